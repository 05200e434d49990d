// The bounded-memory verifier path (consumeProof: lean sort, leaf digests in place of the values,
// interior label hashes at merge time, start tree walked without its own arrays) gives exactly
// the verdicts and messages of the classic path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortLabels, sortLabelsLean } from '../../src/akd/label-order.js';
import {
  encodeSingleAppendOnlyProof,
  decodeSingleAppendOnlyProof,
  type ProofElements,
} from '../../src/akd/proof-codec.js';
import { verifyConsecutiveAppendOnly, type AkdVerifyResult } from '../../src/akd/verifier.js';
import { VirtualLog } from '../../src/akd/virtual-log.js';

function clone(p: ProofElements): ProofElements {
  return decodeSingleAppendOnlyProof(encodeSingleAppendOnlyProof(p, { fullLabels: true }));
}

function summary(r: AkdVerifyResult): string {
  return r.ok ? 'ok' : r.error.message;
}

describe('lean label sort', () => {
  it('orders as sortLabels does: random, clustered, equal and prefix labels', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 3 }),
            fc.uint8Array({ minLength: 32, maxLength: 32 }),
            fc.integer({ min: 0, max: 256 }),
          ),
          { minLength: 0, maxLength: 300 },
        ),
        (items) => {
          const n = items.length;
          const labels = new Uint8Array(n * 32);
          const lens = new Uint16Array(n);
          items.forEach(([cluster, bytes, len], i) => {
            labels.set(bytes, i * 32);
            // Clusters: labels sharing their first 3 bytes (buckets larger than the insertion limit).
            if (cluster > 0) labels.set([cluster, 0xab, 0xcd], i * 32);
            if (cluster === 3 && i > 0) labels.copyWithin(i * 32, (i - 1) * 32, i * 32); // equal to the previous
            lens[i] = len;
          });
          const words = new Uint32Array(labels.buffer);
          expect(Array.from(sortLabelsLean(words, lens, n))).toEqual(Array.from(sortLabels(words, lens, n)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('lean verification', () => {
  it('agrees with the classic path on generated proofs and their mutations', () => {
    const log = new VirtualLog({ configuration: { name: 'whatsapp_v1' }, leaves: 30_000, inserts: 200, epochs: 2 });
    log.next();
    const e = log.next();
    if (e === null) throw new Error('no epoch');
    const check = (p: ProofElements, previous = e.previousHash, current = e.currentHash): string => {
      const classic = verifyConsecutiveAppendOnly(clone(p), previous, current, e.epoch, 'whatsapp_v1');
      const lean = verifyConsecutiveAppendOnly(clone(p), previous, current, e.epoch, 'whatsapp_v1', {
        consumeProof: true,
      });
      expect(summary(lean)).toBe(summary(classic));
      return summary(lean);
    };
    expect(check(e.proof)).toBe('ok');
    expect(check(e.proof, e.currentHash)).toMatch(/start root/);
    expect(check(e.proof, e.previousHash, e.previousHash)).toMatch(/end root/);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: e.proof.count - 1 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 255 }),
        (i, what, bit) => {
          const p = clone(e.proof);
          // Setting a label's length to the one it has is no mutation.
          fc.pre(what !== 2 || p.lens[i] !== bit);
          if (what === 0) p.values[i * 32 + (bit >>> 3)]! ^= 1 << (bit & 7);
          else if (what === 1) p.labels[i * 32 + (bit >>> 3)]! ^= 1 << (bit & 7);
          else p.lens[i] = bit;
          expect(check(p)).not.toBe('ok');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('overwrites the values of a consumed proof and leaves a classic one alone', () => {
    const e = new VirtualLog({ configuration: { name: 'whatsapp_v1' }, leaves: 1_000, inserts: 20, epochs: 1 }).next();
    if (e === null) throw new Error('no epoch');
    const kept = clone(e.proof);
    const before = kept.values.slice();
    expect(verifyConsecutiveAppendOnly(kept, e.previousHash, e.currentHash, e.epoch, 'whatsapp_v1').ok).toBe(true);
    expect(kept.values).toEqual(before);
    const consumed = clone(e.proof);
    expect(
      verifyConsecutiveAppendOnly(consumed, e.previousHash, e.currentHash, e.epoch, 'whatsapp_v1', {
        consumeProof: true,
      }).ok,
    ).toBe(true);
    expect(consumed.values).not.toEqual(before);
  });
});
