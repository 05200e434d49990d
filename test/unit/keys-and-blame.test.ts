// Issue 12 §3: key validity windows, blame by auditor identity, roster consistency checks.
import { describe, expect, it } from 'vitest';
import { signingKeyFromSeed, verifyStrict } from '../../src/crypto/ed25519.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import type { Observation } from '../../src/consensus/observation.js';
import { checkCosignedEpoch } from '../../src/consensus/cosignature.js';
import {
  checkEquivocationProof,
  classifyEquivocation,
  detectEquivocation,
  makeEquivocationProof,
  proofFact,
} from '../../src/consensus/equivocation.js';
import { judgeObservation } from '../../src/consensus/observation-rules.js';
import { KEY_RETIREMENT_GRACE_MS, keyStatusAt, Roster } from '../../src/consensus/roster.js';
import { toHex } from '../../src/util/bytes.js';

const [old1, new1, org2, org3, log] = [1, 2, 3, 4, 9].map((i) => signingKeyFromSeed(new Uint8Array(32).fill(i))) as [
  ReturnType<typeof signingKeyFromSeed>,
  ReturnType<typeof signingKeyFromSeed>,
  ReturnType<typeof signingKeyFromSeed>,
  ReturnType<typeof signingKeyFromSeed>,
  ReturnType<typeof signingKeyFromSeed>,
];
const ROTATION = 1_000_000n;
const roster = Roster.fromJson({
  network: 'test',
  threshold: 2n,
  auditors: [
    {
      name: 'org1',
      keys: [
        { public_key: toHex(old1.publicKey), not_before: 0n },
        { public_key: toHex(new1.publicKey), not_before: ROTATION },
      ],
    },
    { name: 'org2', public_key: toHex(org2.publicKey) },
    { name: 'org3', public_key: toHex(org3.publicKey) },
  ],
  namespaces: [{ name: 'ns', log_key: toHex(log.publicKey) }],
});

function observe(key: typeof old1, digest: number, timestamp: bigint, epoch = 5n): Observation {
  const m = { ciphersuite: 1, namespace: 'ns', timestamp, epoch, digest: new Uint8Array(32).fill(digest) };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
}

const facts = (nowMs: bigint) => ({
  audited: (n: string) => n === 'ns',
  roster,
  nowMs,
  maxFutureMs: 600_000n,
  alreadyStored: false,
  verify: verifyStrict,
});

describe('key validity windows', () => {
  const keys = roster.auditors[0]!.keys;
  it("a key is valid from its not_before to the next key's not_before plus the grace", () => {
    expect(keyStatusAt(keys, new1.publicKey, ROTATION - 1n)).toBe('not-yet-valid');
    expect(keyStatusAt(keys, new1.publicKey, ROTATION)).toBe('valid');
    expect(keyStatusAt(keys, new1.publicKey, 10n ** 15n)).toBe('valid'); // the newest key never retires
    expect(keyStatusAt(keys, old1.publicKey, 0n)).toBe('valid');
    expect(keyStatusAt(keys, old1.publicKey, ROTATION + KEY_RETIREMENT_GRACE_MS - 1n)).toBe('valid');
    expect(keyStatusAt(keys, old1.publicKey, ROTATION + KEY_RETIREMENT_GRACE_MS)).toBe('retired');
    expect(keyStatusAt(keys, org2.publicKey, 0n)).toBeUndefined();
    expect(roster.keyStatus('ns', log.publicKey, 0n)).toBe('valid'); // log keys have no window
  });

  it('an observation signed by a key before its not_before is rejected; one signed in its window is accepted', async () => {
    const now = ROTATION + 10n ** 9n;
    expect(await judgeObservation(observe(new1, 1, ROTATION - 1n), facts(now))).toEqual({
      outcome: 'reject',
      reason: 'key-not-yet-valid',
    });
    expect(await judgeObservation(observe(new1, 1, ROTATION), facts(now))).toEqual({
      outcome: 'accept',
      reason: 'valid',
    });
  });

  it('a retired key keeps its old observations valid and cannot sign new ones', async () => {
    const now = ROTATION + 10n ** 9n;
    expect(await judgeObservation(observe(old1, 1, ROTATION - 1n), facts(now))).toEqual({
      outcome: 'accept',
      reason: 'valid',
    });
    expect(await judgeObservation(observe(old1, 1, ROTATION + KEY_RETIREMENT_GRACE_MS), facts(now))).toEqual({
      outcome: 'reject',
      reason: 'key-retired',
    });
  });

  it('a co-signature by a key outside its window does not count', async () => {
    const early = observe(new1, 1, ROTATION - 1n);
    const fine = observe(org2, 1, ROTATION - 1n);
    const bundle = {
      namespace: 'ns',
      epoch: 5n,
      digest: early.digest,
      cosignatures: [early, fine].map((o) => ({
        signerKey: o.signerKey,
        timestamp: o.timestamp,
        signature: o.signature,
        ciphersuite: o.ciphersuite,
      })),
    };
    const c = await checkCosignedEpoch(bundle, roster, verifyStrict);
    expect(c.signers.map((x) => x.name)).toEqual(['org2']);
    expect(c.rejected).toEqual([{ signerKey: toHex(new1.publicKey), reason: 'key-not-valid' }]);
  });

  it("a proof built from an observation outside its key's window convicts nobody", async () => {
    const p = makeEquivocationProof(observe(new1, 1, ROTATION - 5n), observe(org2, 2, ROTATION));
    expect(await checkEquivocationProof(p, roster, verifyStrict)).toMatchObject({ ok: false, reason: 'key-not-valid' });
  });
});

describe('blame by auditor identity', () => {
  const t = ROTATION + 10n; // both of org1's keys are valid (the old one in its grace)

  it('one auditor signing two digests with two of its keys is auditor-equivocation, not a split view', async () => {
    const p = makeEquivocationProof(observe(old1, 1, t), observe(new1, 2, t));
    expect(classifyEquivocation(p.first, p.second, roster)).toBe('auditor-equivocation');
    expect(await checkEquivocationProof(p, roster, verifyStrict)).toEqual({
      ok: true,
      kind: 'auditor-equivocation',
      signers: ['org1', 'org1'],
    });
  });

  it('two auditors, or an auditor and the log, are a split view; the log twice is log-equivocation', () => {
    expect(classifyEquivocation(observe(old1, 1, t), observe(org2, 2, t), roster)).toBe('split-view');
    expect(classifyEquivocation(observe(old1, 1, t), observe(log, 2, t), roster)).toBe('split-view');
    expect(classifyEquivocation(observe(log, 1, t), observe(log, 2, t), roster)).toBe('log-equivocation');
  });

  it('detection prefers convicting the auditor across its keys, and the fact is per auditor', () => {
    const known = [observe(org2, 0x10, t), observe(old1, 0x20, t)];
    const p = detectEquivocation(known, observe(new1, 0x30, t), roster)!;
    expect(classifyEquivocation(p.first, p.second, roster)).toBe('auditor-equivocation');
    const q = makeEquivocationProof(observe(old1, 0x20, t), observe(old1, 0x30, t));
    // Same key twice or two keys: one fact, so nodes keep one proof for it.
    expect(proofFact(p, 'auditor-equivocation', ['org1', 'org1'])).toBe(
      proofFact(q, 'auditor-equivocation', ['org1', 'org1']),
    );
  });
});

describe('roster consistency', () => {
  const a = (name: string, key: number, peer?: string) => ({
    name,
    public_key: toHex(new Uint8Array(32).fill(key)),
    ...(peer ? { peer_id: peer } : {}),
  });

  it('refuses a threshold greater than the number of auditors, except as a draft being edited', () => {
    const doc = { network: 'x', threshold: 3n, auditors: [a('a', 1), a('b', 2)] };
    expect(() => Roster.fromJson(doc)).toThrow(
      /roster.threshold: threshold 3 is greater than the number of auditors \(2\)/,
    );
    expect(Roster.fromJson(doc, { draft: true }).threshold).toBe(3);
    expect(Roster.fromJson({ ...doc, threshold: 2n }).threshold).toBe(2);
  });

  it('refuses one peer id under two auditor names', () => {
    expect(() =>
      Roster.fromJson({ network: 'x', threshold: 1n, auditors: [a('a', 1, '12D3KooWA'), a('b', 2, '12D3KooWA')] }),
    ).toThrow(/roster.auditors.1.peer_id: peer id 12D3KooWA is already listed for "a"/);
  });

  it('refuses one key under two names', () => {
    expect(() => Roster.fromJson({ network: 'x', threshold: 1n, auditors: [a('a', 1), a('b', 1)] })).toThrow(
      /is already listed for "a"/,
    );
  });
});
