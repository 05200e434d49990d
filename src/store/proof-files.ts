// Proof blobs as files in the data directory (docs/design-decisions.md, "Proof storage"): a
// WhatsApp proof is 30–58 MB and Messenger's up to ~300 MB, far too large for LevelDB values.
// Downloads stream into `proofs/incoming/`; a verified proof moves to `proofs/kept/{ns}/` and is
// served by the mirror until retention (bytes, age, count) removes it; a proof that is evidence
// (it failed validation, or its epoch has two blobs) moves to `proofs/evidence/{ns}/` and stays
// until the operator prunes it. LevelDB holds only the index.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { epochOfProofName } from '../formats/proof-name.js';
import { ChorusError } from '../util/errors.js';
import { parseJson, stringifyJson } from '../util/json.js';
import { Batch, Table, type RootDb } from './database.js';
import { SEP, nsEpochKey, nsRange } from './keys.js';

export interface StoredProof {
  namespace: string;
  epoch: bigint;
  blobName: string;
  bytes: number;
  /** When it was stored (ms). */
  storedAt: bigint;
  /** Kept until the operator prunes it. */
  evidence: boolean;
  /** Why it is evidence. */
  reason?: string;
}

export interface RetentionPolicy {
  /** Verified proofs kept per namespace at most, by total size (0: no limit). */
  maxBytes: number;
  /** …and by age (ms; 0: no limit). */
  maxAgeMs: number;
  /** …and by count (0: no limit). */
  maxEpochs: number;
}

export class ProofStoreError extends ChorusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('proof-store', message, options);
  }
}

function decode(text: string): StoredProof {
  const r = parseJson(text) as Record<string, unknown>;
  return { ...(r as unknown as StoredProof), bytes: Number(r.bytes) };
}

/** File name of a blob: its name with the slashes as dashes (never a path of the log's choosing). */
function fileName(blobName: string): string {
  const epoch = epochOfProofName(blobName);
  return `${epoch}-${blobName.split('/').slice(1).join('-')}`;
}

export class ProofFileStore {
  /** (namespace, epoch, blob name) → what is stored; a fork's two blobs both have entries. */
  readonly index: Table<StoredProof, string>;
  /** blob name → namespace, for the mirror (which is asked by blob name alone). */
  readonly byName: Table<string, string>;
  readonly incomingDir: string;

  constructor(
    private readonly db: RootDb,
    readonly root: string,
    private readonly now: () => bigint = () => BigInt(Date.now()),
  ) {
    this.index = new Table(db, 'proof-files', (p: StoredProof) => stringifyJson(p), decode);
    this.byName = new Table(
      db,
      'proof-files-by-name',
      (v: string) => v,
      (v: string) => v,
    );
    this.incomingDir = join(root, 'incoming');
  }

  /**
   * Creates the folders and removes downloads a previous run left half-done. Proofs that earlier
   * versions kept as LevelDB values (`proof-blobs`, `proof-index`) are dropped: at up to ~300 MB
   * each they are what this store exists to keep out of LevelDB; the chain's results stay.
   */
  async open(): Promise<void> {
    await rm(this.incomingDir, { recursive: true, force: true });
    await mkdir(this.incomingDir, { recursive: true, mode: 0o700 });
    for (const legacy of ['proof-blobs', 'proof-index']) await this.db.sublevel(legacy).clear();
  }

  /** A fresh path in `incoming/` for one download. */
  incomingPath(): string {
    return join(this.incomingDir, `${randomUUID()}.part`);
  }

  #key(ns: string, epoch: bigint, blobName: string): string {
    return `${nsEpochKey(ns, epoch)}${SEP}${blobName}`;
  }

  #path(p: Pick<StoredProof, 'namespace' | 'blobName' | 'evidence'>): string {
    return join(this.root, p.evidence ? 'evidence' : 'kept', p.namespace, fileName(p.blobName));
  }

  /** Moves a downloaded file into the store (as evidence or as a verified proof). */
  async keep(
    ns: string,
    blobName: string,
    file: string,
    bytes: number,
    evidence?: { reason: string },
  ): Promise<StoredProof> {
    const epoch = epochOfProofName(blobName);
    const key = this.#key(ns, epoch, blobName);
    const prior = await this.index.get(key);
    const p: StoredProof = {
      namespace: ns,
      epoch,
      blobName,
      bytes,
      storedAt: this.now(),
      evidence: evidence !== undefined || prior?.evidence === true,
      ...(evidence ? { reason: evidence.reason } : prior?.reason ? { reason: prior.reason } : {}),
    };
    const dest = this.#path(p);
    await mkdir(join(dest, '..'), { recursive: true, mode: 0o700 });
    await rename(file, dest);
    if (prior && prior.evidence !== p.evidence) await rm(this.#path(prior), { force: true });
    await new Batch(this.db).put(this.index, key, p).put(this.byName, blobName, ns).write(false);
    return p;
  }

  /** Marks an already kept proof as evidence (its epoch turned out to be forked). */
  async markEvidence(ns: string, blobName: string, reason: string): Promise<boolean> {
    const epoch = epochOfProofName(blobName);
    const key = this.#key(ns, epoch, blobName);
    const p = await this.index.get(key);
    if (!p || p.evidence) return false;
    const next = { ...p, evidence: true, reason };
    await mkdir(join(this.#path(next), '..'), { recursive: true, mode: 0o700 });
    await rename(this.#path(p), this.#path(next));
    await new Batch(this.db).put(this.index, key, next).write(false);
    return true;
  }

  /** The file holding a stored blob, for the mirror. */
  async file(blobName: string): Promise<{ path: string; proof: StoredProof } | undefined> {
    const ns = await this.byName.get(blobName);
    if (ns === undefined) return undefined;
    const p = await this.index.get(this.#key(ns, epochOfProofName(blobName), blobName));
    return p ? { path: this.#path(p), proof: p } : undefined;
  }

  async *entries(ns: string): AsyncGenerator<StoredProof> {
    for await (const [, p] of this.index.entries(nsRange(ns))) yield p;
  }

  async #remove(p: StoredProof): Promise<void> {
    await rm(this.#path(p), { force: true });
    await new Batch(this.db)
      .del(this.index, this.#key(p.namespace, p.epoch, p.blobName))
      .del(this.byName, p.blobName)
      .write(false);
  }

  /**
   * Applies retention to a namespace's verified proofs, oldest epochs first; evidence is never
   * touched here. Returns what was removed.
   */
  async applyRetention(ns: string, policy: RetentionPolicy): Promise<{ removed: number; bytes: number }> {
    const kept: StoredProof[] = [];
    for await (const p of this.entries(ns)) if (!p.evidence) kept.push(p);
    let total = kept.reduce((s, p) => s + p.bytes, 0);
    const cutoff = policy.maxAgeMs > 0 ? this.now() - BigInt(policy.maxAgeMs) : undefined;
    let removed = 0;
    let bytes = 0;
    for (let i = 0; i < kept.length; i++) {
      const p = kept[i] as StoredProof;
      const left = kept.length - i;
      const over =
        (policy.maxBytes > 0 && total > policy.maxBytes) ||
        (policy.maxEpochs > 0 && left > policy.maxEpochs) ||
        (cutoff !== undefined && p.storedAt < cutoff);
      if (!over) continue;
      await this.#remove(p);
      total -= p.bytes;
      removed++;
      bytes += p.bytes;
    }
    return { removed, bytes };
  }

  /** The operator's prune: evidence (and verified proofs) of a namespace, all or up to an epoch. */
  async prune(
    ns: string,
    options: { throughEpoch?: bigint; evidenceOnly?: boolean } = {},
  ): Promise<{ removed: number; bytes: number; blobs: string[] }> {
    const out = { removed: 0, bytes: 0, blobs: [] as string[] };
    const doomed: StoredProof[] = [];
    for await (const p of this.entries(ns)) {
      if (options.throughEpoch !== undefined && p.epoch > options.throughEpoch) break;
      if (options.evidenceOnly && !p.evidence) continue;
      doomed.push(p);
    }
    for (const p of doomed) {
      await this.#remove(p);
      out.removed++;
      out.bytes += p.bytes;
      if (out.blobs.length < 20) out.blobs.push(p.blobName);
    }
    return out;
  }

  /** Bytes on disk per namespace (kept and evidence), for metrics and the benchmark. */
  async usage(ns: string): Promise<{ kept: number; evidence: number; files: number }> {
    const u = { kept: 0, evidence: 0, files: 0 };
    for await (const p of this.entries(ns)) {
      u.files++;
      if (p.evidence) u.evidence += p.bytes;
      else u.kept += p.bytes;
    }
    return u;
  }

  /** Files in a namespace's folders (a check for tests and the operator that the index is whole). */
  async filesOnDisk(ns: string): Promise<string[]> {
    const out: string[] = [];
    for (const kind of ['kept', 'evidence']) {
      try {
        out.push(...(await readdir(join(this.root, kind, ns))).map((f) => `${kind}/${f}`));
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
    }
    return out.sort();
  }

  /** Removes a download that will not be kept. */
  async discard(file: string): Promise<void> {
    await rm(file, { force: true });
  }
}
