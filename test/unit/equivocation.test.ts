import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { signingKeyFromSeed, verifyStrict } from '../../src/crypto/ed25519.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { decodeObservation, encodeObservation, type Observation } from '../../src/consensus/observation.js';
import {
  checkEquivocationProof,
  decodeEquivocationProof,
  detectEquivocation,
  encodeEquivocationProof,
  makeEquivocationProof,
  proofFact,
  proofId,
} from '../../src/consensus/equivocation.js';
import { judgeObservation } from '../../src/consensus/observation-rules.js';
import { Roster } from '../../src/consensus/roster.js';
import { toHex } from '../../src/util/bytes.js';
import { U64_MAX } from '../../src/util/u64.js';

const keys = [1, 2, 3].map((i) => signingKeyFromSeed(new Uint8Array(32).fill(i)));
const logKey = signingKeyFromSeed(new Uint8Array(32).fill(9));
const outsider = signingKeyFromSeed(new Uint8Array(32).fill(7));
const roster = Roster.fromJson({
  network: 'test',
  threshold: 2n,
  auditors: keys.map((k, i) => ({ name: `org${i + 1}`, public_key: toHex(k.publicKey) })),
  namespaces: [{ name: 'ns', log_key: toHex(logKey.publicKey) }],
});

function observe(
  key: (typeof keys)[number],
  digest: number,
  epoch = 5n,
  namespace = 'ns',
  timestamp = 1000n,
): Observation {
  const m = { ciphersuite: 1, namespace, timestamp, epoch, digest: new Uint8Array(32).fill(digest) };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
}

describe('observations', () => {
  it('round-trip through protobuf, u64 extremes included', async () => {
    const o = observe(keys[0]!, 1, U64_MAX, 'ns', U64_MAX);
    const back = decodeObservation(encodeObservation(o));
    expect(back.epoch).toBe(U64_MAX);
    expect(back.timestamp).toBe(U64_MAX);
    expect(toHex(back.signature)).toBe(toHex(o.signature));
  });

  it('reject malformed bytes and wrong lengths with a typed error', async () => {
    const o = observe(keys[0]!, 1);
    expect(() => decodeObservation(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(/undecodable/);
    expect(() => decodeObservation(encodeObservation({ ...o, digest: new Uint8Array(31) }))).toThrow(
      /digest must be 32 bytes/,
    );
    expect(() => decodeObservation(encodeObservation({ ...o, signature: new Uint8Array(63) }))).toThrow(
      /signature must be 64/,
    );
    expect(() => decodeObservation(encodeObservation({ ...o, ciphersuite: 3 }))).toThrow(/ciphersuite/);
    expect(() => decodeObservation(new Uint8Array(2000))).toThrow(/over/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeObservation(bytes);
        } catch (err) {
          return (err as Error).name === 'ObservationDecodeError';
        }
        return true;
      }),
    );
  });

  it('judgeObservation gives explicit outcomes in order', async () => {
    const base = {
      audited: (n: string) => n === 'ns',
      roster,
      nowMs: 1000n,
      maxFutureMs: 600_000n,
      alreadyStored: false,
      verify: verifyStrict,
    };
    const o = observe(keys[0]!, 1);
    expect(await judgeObservation(o, base)).toEqual({ outcome: 'accept', reason: 'valid' });
    expect(await judgeObservation(o, { ...base, topicNamespace: 'other' })).toMatchObject({
      outcome: 'reject',
      reason: 'topic-mismatch',
    });
    expect(await judgeObservation(observe(keys[0]!, 1, 5n, 'other'), base)).toMatchObject({
      outcome: 'ignore',
      reason: 'unknown-namespace',
    });
    expect(await judgeObservation(observe(outsider, 1), base)).toMatchObject({
      outcome: 'reject',
      reason: 'unknown-signer',
    });
    expect(await judgeObservation(observe(keys[0]!, 1, 5n, 'ns', 10_000_000n), base)).toMatchObject({
      outcome: 'reject',
      reason: 'future-timestamp',
    });
    expect(await judgeObservation(o, { ...base, alreadyStored: true })).toMatchObject({
      outcome: 'ignore',
      reason: 'duplicate',
    });
    expect(await judgeObservation({ ...o, epoch: 6n }, base)).toMatchObject({
      outcome: 'reject',
      reason: 'bad-signature',
    });
    expect(await judgeObservation(observe(logKey, 1), base)).toMatchObject({ outcome: 'accept' });
  });
});

describe('equivocation proofs', () => {
  it('split view between two auditors: canonical order, same bytes whichever order it is built in', async () => {
    const a = observe(keys[0]!, 0x20);
    const b = observe(keys[1]!, 0x10);
    const p1 = makeEquivocationProof(a, b);
    const p2 = makeEquivocationProof(b, a);
    expect(toHex(encodeEquivocationProof(p1))).toBe(toHex(encodeEquivocationProof(p2)));
    expect(p1.first.digest[0]).toBe(0x10);
    expect(await checkEquivocationProof(p1, roster, verifyStrict)).toEqual({
      ok: true,
      kind: 'split-view',
      signers: ['org2', 'org1'],
    });
    const back = decodeEquivocationProof(encodeEquivocationProof(p1));
    expect(proofId(back)).toBe(proofId(p1));
  });

  it('same key twice convicts that signer: auditor or log', async () => {
    const p = makeEquivocationProof(observe(keys[2]!, 1), observe(keys[2]!, 2));
    expect(await checkEquivocationProof(p, roster, verifyStrict)).toMatchObject({
      ok: true,
      kind: 'auditor-equivocation',
    });
    const l = makeEquivocationProof(observe(logKey, 1), observe(logKey, 2));
    expect(await checkEquivocationProof(l, roster, verifyStrict)).toMatchObject({
      ok: true,
      kind: 'log-equivocation',
      signers: ['log:ns', 'log:ns'],
    });
  });

  it('rejects proofs whose epochs or namespaces differ, digests are equal, order is wrong, signers unknown or signatures bad', async () => {
    const a = observe(keys[0]!, 1);
    const check = (first: Observation, second: Observation) =>
      checkEquivocationProof({ first, second }, roster, verifyStrict);
    expect(await check(a, observe(keys[1]!, 2, 6n))).toMatchObject({ ok: false, reason: 'epoch-mismatch' });
    expect(await check(a, observe(keys[1]!, 2, 5n, 'other'))).toMatchObject({
      ok: false,
      reason: 'namespace-mismatch',
    });
    expect(await check(a, observe(keys[1]!, 1))).toMatchObject({ ok: false, reason: 'same-digest' });
    expect(await check(observe(keys[1]!, 2), a)).toMatchObject({ ok: false, reason: 'not-canonical' });
    expect(await check(a, observe(outsider, 2))).toMatchObject({ ok: false, reason: 'unknown-signer' });
    const forged = { ...observe(keys[1]!, 2), timestamp: 1001n };
    expect(await check(a, forged)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('detectEquivocation pairs deterministically and prefers convicting a signer', async () => {
    const known = [observe(keys[0]!, 0x30), observe(keys[1]!, 0x10), observe(keys[2]!, 0x20)];
    expect(detectEquivocation(known, observe(keys[0]!, 0x30), roster)).toBeDefined();
    const added = observe(keys[2]!, 0x30, 5n);
    const p = detectEquivocation(known, added, roster)!;
    // keys[2] signed 0x20 before: the proof convicts it.
    expect(toHex(p.first.signerKey)).toBe(toHex(keys[2]!.publicKey));
    expect(toHex(p.second.signerKey)).toBe(toHex(keys[2]!.publicKey));
    const fresh = observe(keys[0]!, 0x40, 5n);
    const q = detectEquivocation([observe(keys[1]!, 0x10), observe(keys[2]!, 0x20)], fresh, roster)!;
    expect(q.first.digest[0]).toBe(0x10);
    expect(detectEquivocation([observe(keys[1]!, 0x10)], observe(keys[0]!, 0x10), roster)).toBeUndefined();
    expect(detectEquivocation([observe(keys[1]!, 0x10, 4n)], observe(keys[0]!, 0x11, 5n), roster)).toBeUndefined();
  });

  it('one fact per split view or convicted signer, whichever observations show it', async () => {
    const p = makeEquivocationProof(observe(keys[0]!, 1), observe(keys[1]!, 2));
    const q = makeEquivocationProof(observe(keys[2]!, 1), observe(keys[1]!, 2));
    expect(proofFact(p, 'split-view', ['org1', 'org2'])).toBe(proofFact(q, 'split-view', ['org3', 'org2']));
    expect(proofId(p)).not.toBe(proofId(q));
  });

  it('decoding garbage never throws anything but a typed error', async () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          decodeEquivocationProof(bytes);
        } catch (err) {
          return (err as Error).name === 'ProofDecodeError';
        }
        return true;
      }),
    );
  });
});

describe('roster', () => {
  it('names the field of an invalid roster', async () => {
    expect(() => Roster.fromJson({ network: 'x', threshold: 0n })).toThrow(/roster.threshold/);
    expect(() => Roster.fromJson({ network: 'x', threshold: 1n, auditors: [{ name: 'a' }] })).toThrow(
      /roster.auditors.0.keys/,
    );
    expect(() =>
      Roster.fromJson({
        network: 'x',
        threshold: 1n,
        auditors: [
          { name: 'a', public_key: 'ab'.repeat(32) },
          { name: 'a', public_key: 'cd'.repeat(32) },
        ],
      }),
    ).toThrow(/duplicate auditor/);
  });
  it('lists several keys per auditor', async () => {
    const r = Roster.fromJson({
      network: 'x',
      threshold: 1n,
      auditors: [
        { name: 'a', keys: [{ public_key: 'ab'.repeat(32) }, { public_key: 'cd'.repeat(32), not_before: 5n }] },
      ],
    });
    expect(r.auditorByKey(new Uint8Array(32).fill(0xcd))?.name).toBe('a');
    expect(r.auditorByKey(new Uint8Array(32).fill(0xab))?.name).toBe('a');
  });
});
