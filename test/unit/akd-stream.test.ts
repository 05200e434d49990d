// The streaming file decoder (proof-stream.ts) against the in-memory decoder: same elements or the
// same error (reason, message, offset) for every vector and for corrupted and hostile blobs, with
// windows small enough that every element, header and group crosses a window boundary.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AkdDecodeError, AkdReadError } from '../../src/akd/errors.js';
import { SyntheticLog } from '../../src/akd/generator.js';
import { ElementArena, decodeSingleAppendOnlyProof, type ProofElements } from '../../src/akd/proof-codec.js';
import { decodeProofFile } from '../../src/akd-runtime/proof-file-reader.js';
import { AKD_MODEL_VECTORS, AKD_VECTORS, loadIndex, loadProof } from './akd-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'chorus-akd-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function fileOf(bytes: Uint8Array): string {
  const path = join(dir, `p${fileNo++}.bin`);
  writeFileSync(path, bytes);
  return path;
}

type Decoded = { ok: true; p: ProofElements } | { ok: false; reason: string; message: string; offset: number };

function attempt(fn: () => ProofElements): Decoded {
  try {
    return { ok: true, p: fn() };
  } catch (err) {
    if (!(err instanceof AkdDecodeError)) throw err;
    return { ok: false, reason: err.reason, message: err.message, offset: err.offset };
  }
}

function expectSame(bytes: Uint8Array, windows: number[], what: string): void {
  const memory = attempt(() => decodeSingleAppendOnlyProof(bytes));
  const path = fileOf(bytes);
  for (const windowBytes of windows) {
    const streamed = attempt(() => decodeProofFile(path, { windowBytes }));
    if (memory.ok && streamed.ok) {
      expect(streamed.p.unchangedCount, what).toBe(memory.p.unchangedCount);
      expect(streamed.p.insertedCount, what).toBe(memory.p.insertedCount);
      expect(Buffer.from(streamed.p.labels).equals(Buffer.from(memory.p.labels)), what).toBe(true);
      expect(Array.from(streamed.p.lens), what).toEqual(Array.from(memory.p.lens));
      expect(Buffer.from(streamed.p.values).equals(Buffer.from(memory.p.values)), what).toBe(true);
    } else {
      expect(streamed, `${what} (window ${windowBytes})`).toEqual(memory);
    }
  }
}

describe('streaming proof decoder', () => {
  it('decodes every vector as the in-memory decoder does, whatever the window', () => {
    for (const vectors of [AKD_VECTORS, AKD_MODEL_VECTORS]) {
      for (const c of loadIndex(vectors)) expectSame(loadProof(vectors, c), [1, 7, 64, 1 << 20], c.name);
    }
  });

  it('agrees on truncations at every length and on corrupted bytes', () => {
    const log = new SyntheticLog({ name: 'whatsapp_v1' }, 'stream');
    log.publish(20);
    const proof = log.publish(5).proof;
    for (let n = 0; n <= proof.length; n += 3) expectSame(proof.subarray(0, n), [16, 100], `truncated to ${n}`);
    for (let i = 0; i < proof.length; i += 5) {
      const bad = proof.slice();
      bad[i] = (bad[i] as number) ^ 0x80;
      expectSame(bad, [16, 100], `byte ${i} flipped`);
    }
  });

  it('skips unknown fields (long ones by seeking, groups across windows) and rejects lying lengths', () => {
    const element = new SyntheticLog({ name: 'whatsapp_v1' }, 'unknown').publish(2).proof;
    const unknownLong = new Uint8Array([0x1a, 0x80, 0x08, ...new Uint8Array(1024)]); // field 3, 1024 bytes
    const group = new Uint8Array([0x23, 0x28, 0x05, 0x28, 0x06, 0x24]); // field 4 group { 5: 5, 5: 6 }
    expectSame(new Uint8Array([...unknownLong, ...element, ...group, ...element]), [4, 8, 64], 'unknown fields');
    expectSame(new Uint8Array([...element, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), [4, 64], 'length past the end');
    expectSame(
      new Uint8Array([...element, 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      [4, 64],
      'length over 2^32',
    );
    expectSame(new Uint8Array([0x23, 0x28, 0x05]), [1, 2], 'unterminated group');
    expectSame(new Uint8Array([0x08, 0x01]), [1], 'element with the wrong wire type');
  });

  it('reports the first error of a blob of tiny elements without sizing arrays for them', () => {
    const tiny = new Uint8Array(2_000_000);
    for (let i = 0; i < tiny.length; i += 2) tiny[i] = 0x12; // unchanged_nodes {} (2 bytes each)
    const valid = new SyntheticLog({ name: 'whatsapp_v1' }, 'tiny').publish(3).proof;
    const mixed = new Uint8Array([...valid, ...tiny.subarray(0, 20_000), 0x0a, 0x00]);
    for (const blob of [tiny, mixed]) {
      const before = process.memoryUsage().arrayBuffers;
      expectSame(blob, [1 << 16], 'tiny elements');
      // 1M elements at 66 bytes would be 66 MB of arrays; one scratch slot is enough.
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(30e6);
    }
    expect(() => decodeSingleAppendOnlyProof(mixed)).toThrow(/inserted\[3\]: required field label is missing/);
  });

  it('finds an error in every element under 40 bytes, whatever its bytes (the scratch-slot path)', () => {
    const valid = new SyntheticLog({ name: 'whatsapp_v1' }, 'short').publish(2).proof;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 39 }),
        fc.boolean(),
        fc.boolean(),
        (body, inserted, first) => {
          const element = new Uint8Array([inserted ? 0x0a : 0x12, body.length, ...body]);
          const blob = first ? new Uint8Array([...element, ...valid]) : new Uint8Array([...valid, ...element]);
          expect(() => decodeSingleAppendOnlyProof(blob)).toThrow(AkdDecodeError);
          expectSame(blob, [8], 'short element');
        },
      ),
      { numRuns: 300 },
    );
    // Valid-looking 40-byte elements still decode (the bound is tight).
    const minimal = new Uint8Array([0x0a, 40, 0x0a, 4, 0x0a, 0, 0x10, 0, 0x12, 32, ...new Uint8Array(32)]);
    expect(minimal.length - 2).toBe(40);
    expect(decodeSingleAppendOnlyProof(minimal).count).toBe(1);
  });

  it('reuses an arena from one proof to the next without leaking the previous contents', () => {
    const arena = new ElementArena();
    const proofs = loadIndex(AKD_VECTORS)
      .filter((c) => c.expected === 'ok')
      .map((c) => loadProof(AKD_VECTORS, c))
      .sort((a, b) => b.length - a.length); // largest first: later ones use part of the buffers
    for (const bytes of [...proofs, ...proofs.slice().reverse()]) {
      const fresh = decodeSingleAppendOnlyProof(bytes);
      for (const p of [
        decodeSingleAppendOnlyProof(bytes, { arena }),
        decodeProofFile(fileOf(bytes), { arena, windowBytes: 256 }),
      ]) {
        expect(p.count).toBe(fresh.count);
        expect(Buffer.from(p.labels).equals(Buffer.from(fresh.labels))).toBe(true);
        expect(Array.from(p.lens)).toEqual(Array.from(fresh.lens));
        expect(Buffer.from(p.values).equals(Buffer.from(fresh.values))).toBe(true);
      }
    }
    expect(arena.bytes).toBeGreaterThan(0);
    arena.release();
    expect(arena.bytes).toBe(0);
  });

  it('reports an unreadable file as a read error, not a decode error', () => {
    expect(() => decodeProofFile(join(dir, 'missing.bin'))).toThrow(AkdReadError);
    expect(() => decodeProofFile(dir)).toThrow(AkdReadError); // a folder
  });
});
