// Co-signature tallying (issue 13 §7): checkCosignedEpoch (what a client checks against the
// roster), and tallyEpoch / cosignedView (what the API's /cosignatures route and the quorum
// tracker count). Pure: no sockets, signatures checked with the real Ed25519 verifier.
import { describe, expect, it } from 'vitest';
import {
  checkCosignedEpoch,
  cosignedEpochFromJson,
  cosignedEpochToJson,
  decodeCosignedEpoch,
  encodeCosignedEpoch,
  CosignedEpochDecodeError,
  type Cosignature,
  type CosignedEpoch,
} from '../../src/consensus/cosignature.js';
import { cosignedView, tallyEpoch } from '../../src/consensus/quorum.js';
import { KEY_RETIREMENT_GRACE_MS, Roster } from '../../src/consensus/roster.js';
import { verifyStrict } from '../../src/crypto/ed25519.js';
import type { SigningKey } from '../../src/crypto/ed25519.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { toHex } from '../../src/util/bytes.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { digestOf, signedObservation, testKey, testRoster } from '../support/service-fixtures.js';

const NS = 'cosig.example';
const EPOCH = 7n;
const D = digestOf(0xaa);
const logKey = testKey(20);

/** The one place the tally functions are wired (a changed signature is a one-place fix). */
function makeTally(roster: Roster) {
  return {
    check: (c: CosignedEpoch, threshold?: number) => checkCosignedEpoch(c, roster, verifyStrict, threshold),
    tally: (obs: Parameters<typeof tallyEpoch>[0]) => tallyEpoch(obs, roster),
    view: (obs: Parameters<typeof tallyEpoch>[0], equivocated: boolean, digest?: Uint8Array) =>
      cosignedView(NS, EPOCH, tallyEpoch(obs, roster), roster, equivocated, digest),
  };
}

const roster = testRoster({ ns: NS, auditors: 4, threshold: 3, logKey });

function cosig(
  key: SigningKey,
  opts: { timestamp?: bigint; epoch?: bigint; digest?: Uint8Array; ns?: string } = {},
): Cosignature {
  const m = {
    ciphersuite: 1,
    namespace: opts.ns ?? NS,
    timestamp: opts.timestamp ?? 1000n,
    epoch: opts.epoch ?? EPOCH,
    digest: opts.digest ?? D,
  };
  return { signerKey: key.publicKey, timestamp: m.timestamp, signature: key.sign(signedBytes(m)), ciphersuite: 1 };
}
const bundle = (cosignatures: Cosignature[]): CosignedEpoch => ({
  namespace: NS,
  epoch: EPOCH,
  digest: D,
  cosignatures,
});

describe('checkCosignedEpoch', () => {
  const t = makeTally(roster);

  it('counts distinct roster auditors: exactly the threshold is a quorum, one fewer is not', async () => {
    const two = await t.check(bundle([cosig(testKey(0)), cosig(testKey(1))]));
    expect(two).toMatchObject({ threshold: 3, quorum: false, rejected: [] });
    expect(two.signers.map((s) => s.name)).toEqual(['org1', 'org2']);
    const three = await t.check(bundle([cosig(testKey(0)), cosig(testKey(1)), cosig(testKey(2))]));
    expect(three.quorum).toBe(true);
    expect(three.signers).toEqual(
      [0, 1, 2].map((i) => ({ name: `org${i + 1}`, signerKey: toHex(testKey(i).publicKey) })),
    );
    // An explicit threshold overrides the roster's.
    expect((await t.check(bundle([cosig(testKey(0)), cosig(testKey(1))]), 2)).quorum).toBe(true);
  });

  it('names the reason for every co-signature it does not count', async () => {
    const k0 = testKey(0);
    const good = cosig(k0);
    const outsider = testKey(30);
    const c = bundle([
      { ...good, signerKey: good.signerKey.slice(0, 31) },
      { ...cosig(testKey(1)), signature: new Uint8Array(63) },
      { ...cosig(testKey(1)), ciphersuite: 9 },
      cosig(outsider),
      cosig(logKey),
      cosig(testKey(2), { digest: digestOf(0xbb) }), // signed another digest
      cosig(testKey(2), { epoch: EPOCH + 1n }),
      cosig(testKey(2), { ns: 'other.example' }),
      good,
      good, // a repeat counts once
    ]);
    const r = await t.check(c);
    expect(r.rejected.map((x) => x.reason)).toEqual([
      'malformed',
      'malformed',
      'malformed',
      'unknown-signer',
      'not-an-auditor',
      'bad-signature',
      'bad-signature',
      'bad-signature',
      'duplicate-signer',
    ]);
    expect(r.rejected[3]?.signerKey).toBe(toHex(outsider.publicKey));
    expect(r.signers.map((s) => s.name)).toEqual(['org1']);
    expect(r.quorum).toBe(false);
  });

  it('an auditor with two keys (a rotation) counts once', async () => {
    const old = testKey(0);
    const next = testKey(10);
    const rotated = Roster.fromJson({
      network: 'svc-test',
      threshold: 2n,
      auditors: [
        {
          name: 'org1',
          keys: [
            { public_key: toHex(old.publicKey), not_before: 0n },
            { public_key: toHex(next.publicKey), not_before: 5000n },
          ],
        },
        { name: 'org2', public_key: toHex(testKey(1).publicKey) },
      ],
      namespaces: [{ name: NS }],
    });
    const r = await makeTally(rotated).check(
      bundle([cosig(old, { timestamp: 5000n }), cosig(next, { timestamp: 5000n })]),
    );
    expect(r.signers.map((s) => s.name)).toEqual(['org1']);
    expect(r.rejected).toEqual([{ signerKey: toHex(next.publicKey), reason: 'duplicate-signer' }]);
    expect(r.quorum).toBe(false);
  });

  it('key validity windows: one ms before not_before and from next not_before + grace on, not counted', async () => {
    const old = testKey(0);
    const next = testKey(10);
    const NB = 1_000_000n;
    const rotated = Roster.fromJson({
      network: 'svc-test',
      threshold: 1n,
      auditors: [
        {
          name: 'org1',
          keys: [
            { public_key: toHex(old.publicKey), not_before: 0n },
            { public_key: toHex(next.publicKey), not_before: NB },
          ],
        },
      ],
      namespaces: [{ name: NS }],
    });
    const t2 = makeTally(rotated);
    const reasons = async (k: SigningKey, ts: bigint) =>
      (await t2.check(bundle([cosig(k, { timestamp: ts })]))).rejected.map((x) => x.reason);
    expect(await reasons(next, NB - 1n)).toEqual(['key-not-valid']);
    expect(await reasons(next, NB)).toEqual([]);
    const end = NB + KEY_RETIREMENT_GRACE_MS;
    expect(await reasons(old, end - 1n)).toEqual([]);
    expect(await reasons(old, end)).toEqual(['key-not-valid']);
  });

  it('the bundle survives protobuf and JSON round trips, and malformed bundles are typed errors', async () => {
    const c = bundle([cosig(testKey(0)), cosig(testKey(1))]);
    const back = decodeCosignedEpoch(encodeCosignedEpoch(c));
    expect(back).toEqual(c);
    const json = cosignedEpochToJson(c, {
      threshold: 3,
      quorum: false,
      equivocated: false,
      names: (k) => roster.auditorByKey(k)?.name ?? null,
    });
    expect(cosignedEpochFromJson(parseJson(stringifyJson(json)))).toEqual(c);
    expect(() => decodeCosignedEpoch(encodeCosignedEpoch({ ...c, digest: new Uint8Array(31) }))).toThrow(
      CosignedEpochDecodeError,
    );
    expect(() => cosignedEpochFromJson({ ...json, epoch: -1n })).toThrow(/epoch must be a u64/);
    expect(() => cosignedEpochFromJson({ ...json, cosignatures: [7] })).toThrow(/cosignatures.0 must be an object/);
  });
});

describe('tallyEpoch and cosignedView (the /cosignatures route and the quorum tracker)', () => {
  const t = makeTally(roster);
  const obs = (i: number, digest = D, key?: SigningKey) => signedObservation(key ?? testKey(i), NS, EPOCH, digest);

  it('happy path: three auditors on one digest are a quorum; the log and outsiders never count', () => {
    const list = [obs(2), obs(0), obs(1), obs(0, D, logKey), obs(0, D, testKey(30))];
    const tally = t.tally(list);
    expect(tally.conflicting).toBe(false);
    expect(tally.digests).toHaveLength(1);
    expect(tally.digests[0]?.auditors).toEqual(['org1', 'org2', 'org3']);
    expect(tally.digests[0]?.cosignatures.map((c) => toHex(c.signerKey))).toEqual(
      [0, 1, 2].map((i) => toHex(testKey(i).publicKey)).sort(),
    );
    const v = t.view(list, false);
    expect(v).toMatchObject({ threshold: 3, quorum: true, equivocated: false });
    expect(toHex(v?.bundle.digest ?? new Uint8Array())).toBe(toHex(D));
  });

  it('threshold minus one is no quorum; one auditor observed twice counts once', () => {
    const v = t.view([obs(0), obs(1), signedObservation(testKey(0), NS, EPOCH, D, 2000n)], false);
    expect(v?.quorum).toBe(false);
    expect(v?.bundle.cosignatures).toHaveLength(2);
  });

  it('two digests: the most-signed first, conflicting, and no quorum for either', () => {
    const other = digestOf(0x01); // sorts before D: the count, not the bytes, decides the order
    const list = [obs(0), obs(1), obs(2), obs(3, other)];
    const tally = t.tally(list);
    expect(tally.conflicting).toBe(true);
    expect(tally.digests.map((d) => [toHex(d.digest), d.auditors.length])).toEqual([
      [toHex(D), 3],
      [toHex(other), 1],
    ]);
    expect(t.view(list, false)).toMatchObject({ quorum: false, equivocated: true });
    const asked = t.view(list, false, other);
    expect(toHex(asked?.bundle.digest ?? new Uint8Array())).toBe(toHex(other));
    expect(t.view(list, false, digestOf(0x77))).toBeUndefined();
  });

  it('a digest seen only from the log still makes the epoch conflicting', () => {
    const tally = t.tally([obs(0), obs(1), obs(2), obs(0, digestOf(5), logKey)]);
    expect(tally.conflicting).toBe(true);
    expect(tally.digests[1]?.auditors).toEqual([]);
  });

  it('a stored equivocation proof withholds the quorum even with one digest', () => {
    expect(t.view([obs(0), obs(1), obs(2)], true)).toMatchObject({ quorum: false, equivocated: true });
    expect(t.view([], false)).toBeUndefined();
  });
});
