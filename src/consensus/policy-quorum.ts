// A tlog-policy quorum over verified signers (docs/c2sp.md, "Policies for Plexi co-signatures"): which
// policy witnesses the signers stand for, which groups that satisfies, and why the quorum is or is not
// met. Pure: it takes keys whose signatures were already verified. The verdict is src/c2sp/policy.ts's
// quorumMet, so a Plexi bundle and a cosigned checkpoint are judged by one implementation; the per-group
// report beside it is computed in one pass over the groups.
import { quorumMet, type Policy } from '../c2sp/policy.js';
import { fromHex, toHex } from '../util/bytes.js';
import type { BundleCheck } from './cosignature.js';
import type { Roster } from './roster.js';

/** One signer (a roster auditor) and every key of theirs whose signature verified. */
export interface VerifiedSigner {
  signer: string;
  keys: readonly Uint8Array[];
}

export interface PolicyWitnessOutcome {
  name: string;
  /** The witness's Ed25519 key (hex). */
  key: string;
  /** The signer who counts as this witness, if any. */
  signer?: string;
}

export interface PolicyGroupOutcome {
  name: string;
  threshold: number;
  members: string[];
  /** Members (witnesses or groups) that are satisfied. */
  satisfied: string[];
  met: boolean;
}

export interface PolicyQuorumResult {
  quorum: string;
  met: boolean;
  witnesses: PolicyWitnessOutcome[];
  groups: PolicyGroupOutcome[];
  /** Signers with a verified signature whose keys no policy witness lists. */
  unlisted: string[];
  /** Witnesses a signer's other key matches: one signer stands for one witness only. */
  notCounted: { witness: string; signer: string; countedAs: string }[];
  /** Why the quorum is or is not met, in one line. */
  reason: string;
}

const NONE = 'none';

/**
 * Evaluate `policy`'s quorum when exactly `signers` have signed. A signer counts for the policy witness whose
 * key bytes equal one of its verified keys (the witness's name is the policy's own and need not match);
 * a signer matching several witnesses (a rotated auditor whose old and new keys are both listed) counts
 * once, for the first of them in the file.
 */
export function evaluatePolicyQuorum(policy: Policy, signers: readonly VerifiedSigner[]): PolicyQuorumResult {
  const signerNames = new Set(signers.map((s) => s.signer));
  // Each key belongs to one signer (roster keys are distinct); a repeated key keeps its first signer.
  const signerOfKey = new Map<string, string>();
  for (const s of signers) for (const k of s.keys) if (!signerOfKey.has(toHex(k))) signerOfKey.set(toHex(k), s.signer);
  const counted = new Map<string, string>(); // signer → the witness it counts as
  const witnesses: PolicyWitnessOutcome[] = [];
  const notCounted: PolicyQuorumResult['notCounted'] = [];
  for (const w of policy.witnesses.values()) {
    const key = toHex(w.vkey.publicKey);
    const outcome: PolicyWitnessOutcome = { name: w.name, key };
    const signer = signerOfKey.get(key);
    if (signer !== undefined) {
      const already = counted.get(signer);
      if (already === undefined) {
        counted.set(signer, w.name);
        outcome.signer = signer;
      } else {
        notCounted.push({ witness: w.name, signer, countedAs: already });
      }
    }
    witnesses.push(outcome);
  }
  const cosigned = new Set(witnesses.flatMap((w) => (w.signer === undefined ? [] : [w.name])));
  // One pass in file order: a group's members are defined on earlier lines (tlog-policy), so each member
  // group is already evaluated. The verdict itself is src/c2sp's quorumMet below.
  const groupMet = new Map<string, boolean>();
  const groups: PolicyGroupOutcome[] = [...policy.groups.values()].map((g) => {
    const satisfied = g.members.filter((m) => groupMet.get(m) ?? cosigned.has(m));
    groupMet.set(g.name, satisfied.length >= g.threshold);
    return {
      name: g.name,
      threshold: g.threshold,
      members: [...g.members],
      satisfied,
      met: satisfied.length >= g.threshold,
    };
  });
  const met = quorumMet(policy, cosigned);
  return {
    quorum: policy.quorum,
    met,
    witnesses,
    groups,
    unlisted: [...signerNames].filter((s) => !counted.has(s)),
    notCounted,
    reason: explainQuorum(policy, witnesses, groups),
  };
}

function explainQuorum(policy: Policy, witnesses: PolicyWitnessOutcome[], groups: PolicyGroupOutcome[]): string {
  if (policy.quorum === NONE) return 'quorum none: no cosignature is required';
  const byWitness = new Map(witnesses.map((w) => [w.name, w]));
  const byGroup = new Map(groups.map((g) => [g.name, g]));
  const explained = new Set<string>();
  // Each unmet group is explained once, however many groups include it (groups form a DAG).
  const explain = (name: string): string => {
    const w = byWitness.get(name);
    if (w)
      return w.signer === undefined
        ? `witness ${name}: no verified signature by its key`
        : `witness ${name}: ${w.signer}`;
    const g = byGroup.get(name) as PolicyGroupOutcome;
    explained.add(name);
    const head =
      `group ${name} needs ${g.threshold} of ${g.members.length} (${g.members.join(', ')}): ` +
      (g.satisfied.length ? `${g.satisfied.join(', ')} satisfied` : 'none satisfied');
    if (g.met) return head;
    const nested: string[] = [];
    for (const m of g.members) {
      // Checked as it goes: explaining one member may already explain a later one.
      if (byGroup.has(m) && !byGroup.get(m)?.met && !explained.has(m)) nested.push(explain(m));
    }
    return nested.length ? `${head} [${nested.join('; ')}]` : head;
  };
  const quorumIsGroup = byGroup.has(policy.quorum);
  const met = quorumIsGroup ? byGroup.get(policy.quorum)?.met : byWitness.get(policy.quorum)?.signer !== undefined;
  return `quorum ${met ? 'met' : 'NOT met'}: ${explain(policy.quorum)}`;
}

/**
 * The verified signers of a checked Plexi bundle: every counted roster auditor with the key it signed with,
 * plus the other keys of the same auditor whose signature verified too (`duplicate-signer`: a rotated
 * auditor who signed with both keys), so a policy listing only one of them still finds it.
 */
export function verifiedBundleSigners(check: BundleCheck, roster: Roster, namespace: string): VerifiedSigner[] {
  const out = new Map<string, Uint8Array[]>();
  for (const s of check.signers) out.set(s.name, [fromHex(s.signerKey, 32)]);
  for (const r of check.rejected) {
    if (r.reason !== 'duplicate-signer') continue;
    const key = fromHex(r.signerKey, 32);
    const name = roster.signerName(namespace, key);
    if (name !== undefined) out.set(name, [...(out.get(name) ?? []), key]);
  }
  return [...out].map(([signer, keys]) => ({ signer, keys }));
}

/** What a client requires of a co-signed epoch: the roster threshold and the policy, or the policy alone. */
export type PolicyMode = 'roster-and-policy' | 'policy-only';

/**
 * The combined verdict (docs/c2sp.md, "Policies for Plexi co-signatures"): with a policy and a roster both
 * given, both must hold unless the caller asks for the policy alone; an equivocated epoch never passes.
 */
export function cosignedUnder(args: {
  rosterQuorum: boolean;
  policy: PolicyQuorumResult;
  mode: PolicyMode;
  equivocated?: boolean;
}): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (args.equivocated) reasons.push('the epoch is equivocated');
  if (args.mode === 'roster-and-policy' && !args.rosterQuorum) reasons.push("the roster's threshold is not met");
  if (!args.policy.met) reasons.push("the policy's quorum is not met");
  return { ok: reasons.length === 0, reasons };
}

/** The JSON form the CLI (`--json`) and the API answer: snake_case, every witness and group listed. */
export function policyQuorumToJson(r: PolicyQuorumResult): Record<string, unknown> {
  return {
    quorum: r.quorum,
    met: r.met,
    reason: r.reason,
    witnesses: r.witnesses.map((w) => ({ name: w.name, key: w.key, signer: w.signer ?? null })),
    groups: r.groups.map((g) => ({
      name: g.name,
      threshold: g.threshold,
      members: g.members,
      satisfied: g.satisfied,
      met: g.met,
    })),
    unlisted: r.unlisted,
    not_counted: r.notCounted.map((n) => ({ witness: n.witness, signer: n.signer, counted_as: n.countedAs })),
  };
}

/** The same result as text lines, for the CLI's human output. */
export function policyQuorumLines(r: PolicyQuorumResult): string[] {
  return [
    ...r.witnesses.map((w) => `policy witness ${w.name}: ${w.signer === undefined ? '✗ not signed' : `✓ ${w.signer}`}`),
    ...r.groups.map(
      (g) =>
        `policy group ${g.name} (${g.threshold} of ${g.members.length}): ${g.met ? 'met' : 'NOT met'}, ` +
        `satisfied: ${g.satisfied.join(', ') || 'none'}`,
    ),
    ...r.unlisted.map((s) => `policy: ${s} signed, but no policy witness has its key`),
    ...r.notCounted.map(
      (n) => `policy witness ${n.witness}: not counted, ${n.signer} already counts as ${n.countedAs}`,
    ),
    `policy ${r.reason}`,
  ];
}
