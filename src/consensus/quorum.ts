// Which digest of an epoch the network co-signs (docs/protocol.md §4.5): distinct roster auditors per
// digest, the most-signed digest when none is asked for, and no quorum at all for an epoch that
// is equivocated.
import { compareBytes, toHex } from '../util/bytes.js';
import type { Cosignature, CosignedEpoch } from './cosignature.js';
import type { Observation } from './observation.js';
import type { Roster } from './roster.js';

export interface EpochTally {
  digests: { digest: Uint8Array; auditors: string[]; cosignatures: Cosignature[] }[];
  /** More than one digest was seen (by auditors or the log). */
  conflicting: boolean;
}

/** Groups observations of one epoch by digest; only roster auditors' signatures are co-signatures. */
export function tallyEpoch(observations: Observation[], roster: Roster): EpochTally {
  const by = new Map<string, { digest: Uint8Array; auditors: Set<string>; cosignatures: Cosignature[] }>();
  for (const o of observations) {
    const k = toHex(o.digest);
    let entry = by.get(k);
    if (!entry) {
      entry = { digest: o.digest, auditors: new Set(), cosignatures: [] };
      by.set(k, entry);
    }
    const role = roster.signerRole(o.namespace, o.signerKey);
    if (role?.kind !== 'auditor' || entry.auditors.has(role.auditor.name)) continue;
    entry.auditors.add(role.auditor.name);
    entry.cosignatures.push({
      signerKey: o.signerKey,
      timestamp: o.timestamp,
      signature: o.signature,
      ciphersuite: o.ciphersuite,
    });
  }
  const digests = [...by.values()]
    .map((e) => ({
      digest: e.digest,
      auditors: [...e.auditors].sort(),
      cosignatures: e.cosignatures.sort((a, b) => compareBytes(a.signerKey, b.signerKey)),
    }))
    .sort((a, b) => b.auditors.length - a.auditors.length || compareBytes(a.digest, b.digest));
  return { digests, conflicting: by.size > 1 };
}

export interface CosignedView {
  bundle: CosignedEpoch;
  threshold: number;
  /** Threshold met and the epoch not equivocated: only then is a digest presented as co-signed. */
  quorum: boolean;
  equivocated: boolean;
}

export function cosignedView(
  ns: string,
  epoch: bigint,
  tally: EpochTally,
  roster: Roster,
  equivocated: boolean,
  digest?: Uint8Array,
): CosignedView | undefined {
  const pick = digest ? tally.digests.find((d) => compareBytes(d.digest, digest) === 0) : tally.digests[0];
  if (!pick) return undefined;
  const isEquivocated = equivocated || tally.conflicting;
  return {
    bundle: { namespace: ns, epoch, digest: pick.digest, cosignatures: pick.cosignatures },
    threshold: roster.threshold,
    quorum: !isEquivocated && pick.auditors.length >= roster.threshold,
    equivocated: isEquivocated,
  };
}
