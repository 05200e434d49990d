// What a `prefix={epoch}/` listing says about one epoch (docs/design-decisions.md, "Directory
// source"). `max-keys=2` is the smallest listing that still reveals a second object: one key is a
// blob, two are a fork in the log's own directory (or junk next to the blob), none is "not yet"
// (the CDN caches negative listings), never evidence. Pure rules, then the one listing call.
import { parseBlobName, formatBlobName, type AuditBlobName } from '../akd/blob-name.js';
import type { ProofDirectory } from './proof-directory.js';

export interface EpochListing {
  epoch: bigint;
  /** Well-formed blobs for exactly this epoch. */
  blobs: AuditBlobName[];
  /** Keys under the prefix that are not canonical blob names of this epoch (a few at most). */
  malformed: string[];
}

export type EpochVerdict =
  | { kind: 'absent' }
  | { kind: 'one'; blob: AuditBlobName }
  | { kind: 'fork'; names: string[] }
  | { kind: 'malformed'; keys: string[] };

/** Sorts a listing's keys for one epoch: canonical blob names (lower-case hex) vs everything else. */
export function classifyEpochKeys(epoch: bigint, keys: string[]): EpochListing {
  const blobs: AuditBlobName[] = [];
  const malformed: string[] = [];
  for (const k of new Set(keys)) {
    let b: AuditBlobName | undefined;
    try {
      b = parseBlobName(k);
    } catch {
      b = undefined; // reported below as a malformed key
    }
    // Canonical only: upper-case hex or a padded epoch would name a blob no one can fetch by its
    // computed name; epoch 0 ends no transition.
    if (b && b.epoch === epoch && epoch > 0n && formatBlobName(b) === k) blobs.push(b);
    else malformed.push(k.length > 200 ? `${k.slice(0, 200)}…` : k);
  }
  return { epoch, blobs, malformed };
}

/** The rule: one blob and nothing else is the only state in which an epoch may be signed. */
export function judgeEpoch(l: EpochListing): EpochVerdict {
  if (l.blobs.length >= 2) return { kind: 'fork', names: l.blobs.map(formatBlobName) };
  if (l.malformed.length > 0) return { kind: 'malformed', keys: l.malformed };
  if (l.blobs.length === 1) return { kind: 'one', blob: l.blobs[0] as AuditBlobName };
  return { kind: 'absent' };
}

export async function listEpoch(dir: ProofDirectory, epoch: bigint): Promise<EpochListing> {
  const page = await dir.list(`${epoch}/`, { maxKeys: 2 });
  return classifyEpochKeys(epoch, page.keys);
}
