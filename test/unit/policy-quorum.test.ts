// tlog-policy quorums over verified Plexi signers (src/consensus/policy-quorum.ts, docs/c2sp.md "Policies for
// Plexi co-signatures"): k-of-n and nested groups, keys matched by bytes whatever the names, a rotated
// auditor counted once, quorum none, unmet quorums explained, and bundles checked against a real roster.
import { describe, expect, it } from 'vitest';
import { cosigner, formatVerifierKey, parsePolicy, quorumMet, SIG_TYPE_COSIGNATURE_V1 } from '../../src/c2sp/index.js';
import { checkCosignedEpoch, type CosignedEpoch } from '../../src/consensus/cosignature.js';
import {
  cosignedUnder,
  evaluatePolicyQuorum,
  verifiedBundleSigners,
  type VerifiedSigner,
} from '../../src/consensus/policy-quorum.js';
import { Roster } from '../../src/consensus/roster.js';
import { verifyStrict } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/util/bytes.js';
import { digestOf, signedObservation, testKey } from '../support/service-fixtures.js';

const pub = (i: number) => testKey(i).publicKey;
/** A type-0x04 vkey for key `i`, under any name: the policy's names are its own. */
const vkey = (name: string, i: number) => formatVerifierKey(name, SIG_TYPE_COSIGNATURE_V1, pub(i));
const signer = (name: string, ...keys: number[]): VerifiedSigner => ({ signer: name, keys: keys.map(pub) });

// c2sp.org/tlog-policy's example: 2 of the X witnesses and any Y witness.
const SPEC = parsePolicy(`
witness X1 ${vkey('x1.example', 1)}
witness X2 ${vkey('x2.example', 2)}
witness X3 ${vkey('x3.example', 3)}
group X-witnesses 2 X1 X2 X3
witness Y1 ${vkey('y1.example', 4)}
witness Y2 ${vkey('y2.example', 5)}
witness Y3 ${vkey('y3.example', 6)}
group Y-witnesses any Y1 Y2 Y3
group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
`);

describe('evaluatePolicyQuorum', () => {
  it('k-of-n and nested groups: the spec example met by 2 X and 1 Y, with every group reported', () => {
    const r = evaluatePolicyQuorum(SPEC, [signer('orgA', 1), signer('orgC', 3), signer('orgF', 6)]);
    expect(r.met).toBe(true);
    expect(r.witnesses.filter((w) => w.signer).map((w) => [w.name, w.signer])).toEqual([
      ['X1', 'orgA'],
      ['X3', 'orgC'],
      ['Y3', 'orgF'],
    ]);
    expect(r.groups).toEqual([
      { name: 'X-witnesses', threshold: 2, members: ['X1', 'X2', 'X3'], satisfied: ['X1', 'X3'], met: true },
      { name: 'Y-witnesses', threshold: 1, members: ['Y1', 'Y2', 'Y3'], satisfied: ['Y3'], met: true },
      {
        name: 'X-and-Y',
        threshold: 2,
        members: ['X-witnesses', 'Y-witnesses'],
        satisfied: ['X-witnesses', 'Y-witnesses'],
        met: true,
      },
    ]);
    expect(r.reason).toMatch(/^quorum met: group X-and-Y needs 2 of 2/);
  });

  it('an unmet nested group: the reason names the group short and what it has', () => {
    const r = evaluatePolicyQuorum(SPEC, [signer('orgA', 1), signer('orgD', 4), signer('orgE', 5)]);
    expect(r.met).toBe(false);
    expect(r.groups.find((g) => g.name === 'X-witnesses')).toMatchObject({ satisfied: ['X1'], met: false });
    expect(r.groups.find((g) => g.name === 'Y-witnesses')).toMatchObject({ satisfied: ['Y1', 'Y2'], met: true });
    expect(r.reason).toBe(
      'quorum NOT met: group X-and-Y needs 2 of 2 (X-witnesses, Y-witnesses): Y-witnesses satisfied ' +
        '[group X-witnesses needs 2 of 3 (X1, X2, X3): X1 satisfied]',
    );
    // Three Y witnesses do not make up for the missing X one.
    expect(evaluatePolicyQuorum(SPEC, [signer('a', 4), signer('b', 5), signer('c', 6), signer('d', 1)]).met).toBe(
      false,
    );
  });

  it("the per-group report agrees with the c2sp verdict for every subset of the spec example's witnesses", () => {
    for (let mask = 0; mask < 64; mask++) {
      const present = [1, 2, 3, 4, 5, 6].filter((_, b) => mask & (1 << b));
      const r = evaluatePolicyQuorum(
        SPEC,
        present.map((i) => signer(`org${i}`, i)),
      );
      const names = new Set(r.witnesses.filter((w) => w.signer).map((w) => w.name));
      expect(r.met).toBe(quorumMet(SPEC, names));
      expect(r.groups.find((g) => g.name === 'X-and-Y')?.met).toBe(r.met);
      const xs = present.filter((i) => i <= 3).length;
      const ys = present.length - xs;
      expect(r.met).toBe(xs >= 2 && ys >= 1);
      expect(r.reason.startsWith(r.met ? 'quorum met: ' : 'quorum NOT met: ')).toBe(true);
    }
  });

  it('three levels of nesting and a shared subgroup are evaluated like src/c2sp quorumMet', () => {
    const p = parsePolicy(`
witness a ${vkey('a', 1)}
witness b ${vkey('b', 2)}
witness c ${vkey('c', 3)}
group ab any a b
group abc 2 ab c
group top all abc ab
quorum top
`);
    expect(evaluatePolicyQuorum(p, [signer('o1', 1), signer('o3', 3)]).met).toBe(true);
    const r = evaluatePolicyQuorum(p, [signer('o3', 3)]);
    expect(r.met).toBe(false);
    // ab is explained once although two groups list it.
    expect(r.reason).toBe(
      'quorum NOT met: group top needs 2 of 2 (abc, ab): none satisfied ' +
        '[group abc needs 2 of 2 (ab, c): c satisfied [group ab needs 1 of 2 (a, b): none satisfied]]',
    );
  });

  it('keys are matched by bytes: any name counts, a name without the key does not', () => {
    const p = parsePolicy(`witness w ${vkey('some-other-name.example', 2)}\nquorum w\n`);
    expect(evaluatePolicyQuorum(p, [signer('org2', 2)])).toMatchObject({
      met: true,
      witnesses: [{ name: 'w', key: toHex(pub(2)), signer: 'org2' }],
      unlisted: [],
    });
    const miss = evaluatePolicyQuorum(p, [signer('w', 3), signer('some-other-name.example', 4)]);
    expect(miss).toMatchObject({ met: false, unlisted: ['w', 'some-other-name.example'] });
    expect(miss.reason).toBe('quorum NOT met: witness w: no verified signature by its key');
    // A cosigner's vkey (what a witness publishes) wraps the same bytes as the Plexi key.
    expect(
      parsePolicy(`witness w ${cosigner('org2', testKey(2)).vkey}\nquorum w\n`).witnesses.get('w')?.vkey.publicKey,
    ).toEqual(pub(2));
  });

  it('a rotated auditor with two keys counts once, even when the policy lists both keys', () => {
    const p = parsePolicy(`
witness org1-old ${vkey('org1', 1)}
witness org1-new ${vkey('org1', 11)}
witness org2 ${vkey('org2', 2)}
group two 2 org1-old org1-new org2
quorum two
`);
    const rotated = signer('org1', 1, 11);
    const alone = evaluatePolicyQuorum(p, [rotated]);
    expect(alone.met).toBe(false);
    expect(alone.witnesses.map((w) => w.signer)).toEqual(['org1', undefined, undefined]);
    expect(alone.notCounted).toEqual([{ witness: 'org1-new', signer: 'org1', countedAs: 'org1-old' }]);
    // The same auditor given as two entries is still one signer.
    expect(evaluatePolicyQuorum(p, [signer('org1', 1), signer('org1', 11)]).met).toBe(false);
    expect(evaluatePolicyQuorum(p, [rotated, signer('org2', 2)]).met).toBe(true);
    // A policy that lists only the new key still finds the auditor through it.
    const onlyNew = parsePolicy(`witness n ${vkey('org1', 11)}\nquorum n\n`);
    expect(evaluatePolicyQuorum(onlyNew, [rotated]).met).toBe(true);
  });

  it('quorum none is met by nobody; a policy with no signer at all is not met otherwise', () => {
    const none = evaluatePolicyQuorum(parsePolicy('quorum none\n'), []);
    expect(none).toMatchObject({ met: true, quorum: 'none', witnesses: [], groups: [] });
    expect(none.reason).toBe('quorum none: no cosignature is required');
    expect(evaluatePolicyQuorum(SPEC, []).met).toBe(false);
  });
});

describe('verifiedBundleSigners and cosignedUnder on a real bundle check', () => {
  const NS = 'policy.example';
  const D = digestOf(0x33);
  // org1 rotated from key 1 to key 11 at t=2000; org2 and org3 have one key each.
  const roster = Roster.fromJson({
    network: 'policy-test',
    threshold: 2n,
    auditors: [
      {
        name: 'org1',
        keys: [
          { public_key: toHex(pub(1)), not_before: 0n },
          { public_key: toHex(pub(11)), not_before: 2000n },
        ],
      },
      { name: 'org2', public_key: toHex(pub(2)) },
      { name: 'org3', public_key: toHex(pub(3)) },
    ],
    namespaces: [{ name: NS }],
  });
  const sig = (i: number, t = 1000n) => {
    const o = signedObservation(testKey(i), NS, 7n, D, t);
    return { signerKey: o.signerKey, timestamp: o.timestamp, signature: o.signature, ciphersuite: 1 };
  };
  const bundle = (cosignatures: CosignedEpoch['cosignatures']): CosignedEpoch => ({
    namespace: NS,
    epoch: 7n,
    digest: D,
    cosignatures,
  });

  it('the rotated auditor signed with both keys: both verified keys reach the policy, the auditor counts once', async () => {
    const check = await checkCosignedEpoch(bundle([sig(1, 1000n), sig(11, 3000n), sig(2)]), roster, verifyStrict);
    expect(check.rejected).toEqual([{ signerKey: toHex(pub(11)), reason: 'duplicate-signer' }]);
    const signers = verifiedBundleSigners(check, roster, NS);
    expect(signers).toEqual([
      { signer: 'org1', keys: [pub(1), pub(11)] },
      { signer: 'org2', keys: [pub(2)] },
    ]);
    // The policy knows org1 only by its new key: the duplicate signature is what lets it count.
    const p = parsePolicy(`witness n ${vkey('org1', 11)}\nwitness o2 ${vkey('org2', 2)}\ngroup g all n o2\nquorum g\n`);
    const result = evaluatePolicyQuorum(p, signers);
    expect(result.met).toBe(true);
    expect(cosignedUnder({ rosterQuorum: check.quorum, policy: result, mode: 'roster-and-policy' })).toEqual({
      ok: true,
      reasons: [],
    });
  });

  it('a bad signature by a policy key never counts', async () => {
    const bad = sig(3);
    bad.signature = new Uint8Array(bad.signature).map((b, i) => (i === 0 ? b ^ 1 : b));
    const check = await checkCosignedEpoch(bundle([sig(2), bad]), roster, verifyStrict);
    const p = parsePolicy(`witness w3 ${vkey('org3', 3)}\nquorum w3\n`);
    const result = evaluatePolicyQuorum(p, verifiedBundleSigners(check, roster, NS));
    expect(result).toMatchObject({ met: false, unlisted: ['org2'] });
  });

  it('both must hold unless policy-only; an equivocated epoch never passes', () => {
    const met = evaluatePolicyQuorum(parsePolicy('quorum none\n'), []);
    const unmet = evaluatePolicyQuorum(SPEC, []);
    expect(cosignedUnder({ rosterQuorum: false, policy: met, mode: 'roster-and-policy' })).toEqual({
      ok: false,
      reasons: ["the roster's threshold is not met"],
    });
    expect(cosignedUnder({ rosterQuorum: false, policy: met, mode: 'policy-only' }).ok).toBe(true);
    expect(cosignedUnder({ rosterQuorum: true, policy: unmet, mode: 'roster-and-policy' })).toEqual({
      ok: false,
      reasons: ["the policy's quorum is not met"],
    });
    expect(cosignedUnder({ rosterQuorum: true, policy: met, mode: 'policy-only', equivocated: true })).toEqual({
      ok: false,
      reasons: ['the epoch is equivocated'],
    });
  });
});
