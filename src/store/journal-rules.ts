// Pure rules comparing the signing journal with the store (see docs/design-decisions.md, "Signing
// journal"): the store must hold every epoch the journal says was signed, with the same digest.
import { bytesEqual, toHex } from '../util/bytes.js';
import type { SignedEpoch } from './records.js';

export type JournalVerdict =
  | { kind: 'consistent' }
  /** The store lost signed epochs the journal still has: restorable by `chorus repair`. */
  | { kind: 'store-behind'; missing: SignedEpoch[]; reason: string }
  /** Two digests for one epoch between (or within) the records: never repaired automatically. */
  | { kind: 'conflict'; epoch: bigint; digests: [string, string]; reason: string };

/**
 * Judges one namespace: `journal` are its journal records in append order, `stored` the digest
 * the store holds at each of their epochs (absent when the store has none).
 */
export function judgeNamespace(ns: string, journal: SignedEpoch[], stored: Map<bigint, Uint8Array>): JournalVerdict {
  const seen = new Map<bigint, Uint8Array>();
  const missing = new Map<bigint, SignedEpoch>();
  for (const r of journal) {
    const before = seen.get(r.epoch);
    if (before && !bytesEqual(before, r.digest)) {
      return conflict(ns, r.epoch, before, r.digest, 'the signing journal itself holds two digests');
    }
    seen.set(r.epoch, r.digest);
    const s = stored.get(r.epoch);
    if (s === undefined) missing.set(r.epoch, r);
    else if (!bytesEqual(s, r.digest))
      return conflict(ns, r.epoch, r.digest, s, 'the signing journal and the store disagree');
  }
  if (missing.size === 0) return { kind: 'consistent' };
  const list = [...missing.values()].sort((a, b) => (a.epoch < b.epoch ? -1 : a.epoch > b.epoch ? 1 : 0));
  const first = list[0] as SignedEpoch;
  const last = list[list.length - 1] as SignedEpoch;
  return {
    kind: 'store-behind',
    missing: list,
    reason:
      `the store is behind the signing journal for "${ns}": it lacks ${list.length} signed epoch(s) from ` +
      `${first.epoch} ` +
      `(digest ${toHex(first.digest)}) to ${last.epoch} (digest ${toHex(last.digest)}); stop the node and run ` +
      `chorus repair --config FILE`,
  };
}

function conflict(ns: string, epoch: bigint, a: Uint8Array, b: Uint8Array, what: string): JournalVerdict {
  return {
    kind: 'conflict',
    epoch,
    digests: [toHex(a), toHex(b)],
    reason:
      `${what} for "${ns}" at epoch ${epoch}: ${toHex(a)} vs ${toHex(b)}; this node may have signed two ` +
      `digests, signing stays off (chorus repair refuses this)`,
  };
}

/**
 * Whether what the store lacks is only the one signature that was in flight when the process
 * stopped: the namespace's lock lets one signature at a time sit between its journal append and
 * its LevelDB batch, so a SIGKILL there leaves exactly the journal's newest record of the
 * namespace missing, one epoch above the store's head. That signature was never answered; writing
 * it back is what `chorus repair` would do, so a start does it itself. Anything more is a store
 * that lost data, which an operator must see.
 */
export function isInFlightGap(
  verdict: JournalVerdict,
  journal: SignedEpoch[],
  storeHead: { epoch: bigint } | undefined,
): boolean {
  if (verdict.kind !== 'store-behind' || verdict.missing.length !== 1) return false;
  const missing = verdict.missing[0] as SignedEpoch;
  const newest = journal.reduce<SignedEpoch | undefined>((n, r) => (!n || r.epoch > n.epoch ? r : n), undefined);
  if (!newest || newest.epoch !== missing.epoch) return false;
  return storeHead === undefined || missing.epoch === storeHead.epoch + 1n;
}
