// What a `prefix={epoch}/` listing says about one epoch (docs/design-decisions.md, "Directory
// source"). `max-keys=2` is the smallest listing that still reveals a second object: one key is a
// blob, two are a fork in the log's own directory (or junk next to the blob), none is "not yet"
// (the CDN caches negative listings), never evidence. Pure rules, then the one listing call.
import type { ProofName, ProofNaming } from '../formats/log-format.js';
import type { ProofDirectory } from './proof-directory.js';

/** A canonical proof name found in a listing, with what it says. */
export type ListedProof = ProofName & { name: string };

export interface EpochListing {
  epoch: bigint;
  /** Well-formed blobs for exactly this epoch. */
  blobs: ListedProof[];
  /** Keys under the prefix that are not canonical blob names of this epoch (a few at most). */
  malformed: string[];
}

export type EpochVerdict =
  | { kind: 'absent' }
  | { kind: 'one'; blob: ListedProof }
  | { kind: 'fork'; names: string[] }
  | { kind: 'malformed'; keys: string[] };

/** Sorts a listing's keys for one epoch: the format's canonical proof names vs everything else. */
export function classifyEpochKeys(epoch: bigint, keys: string[], naming: ProofNaming): EpochListing {
  const blobs: ListedProof[] = [];
  const malformed: string[] = [];
  for (const k of new Set(keys)) {
    let b: ProofName | undefined;
    try {
      b = naming.parse(k);
    } catch {
      b = undefined; // reported below as a malformed key
    }
    // Canonical only: upper-case hex or a padded epoch would name a blob no one can fetch by its
    // computed name; epoch 0 ends no transition.
    if (b && b.epoch === epoch && epoch > 0n && naming.format(b) === k) blobs.push({ ...b, name: k });
    else malformed.push(k.length > 200 ? `${k.slice(0, 200)}…` : k);
  }
  return { epoch, blobs, malformed };
}

/** The rule: one blob and nothing else is the only state in which an epoch may be signed. */
export function judgeEpoch(l: EpochListing): EpochVerdict {
  if (l.blobs.length >= 2) return { kind: 'fork', names: l.blobs.map((b) => b.name) };
  if (l.malformed.length > 0) return { kind: 'malformed', keys: l.malformed };
  if (l.blobs.length === 1) return { kind: 'one', blob: l.blobs[0] as ListedProof };
  return { kind: 'absent' };
}

export async function listEpoch(dir: ProofDirectory, epoch: bigint, naming: ProofNaming): Promise<EpochListing> {
  const page = await dir.list(`${epoch}/`, { maxKeys: 2 });
  return classifyEpochKeys(epoch, page.keys, naming);
}
