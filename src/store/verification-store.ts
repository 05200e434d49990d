// Results of AKD append-only validation per (namespace, epoch), the proofs that verified (served
// back at /{epoch}/{previous}/{current} so plexi users can check them through this node), with a
// retention limit, and each namespace's last verified epoch.
import type { AbstractSublevel } from 'abstract-level';
import type { AkdFailure } from '../akd/verdict.js';
import { parseJson, stringifyJson } from '../util/json.js';
import { Batch, Table, type RootDb } from './database.js';
import { nsEpochKey, nsRange } from './keys.js';

export interface VerificationRecord {
  namespace: string;
  epoch: bigint;
  blobName: string;
  ok: boolean;
  failure?: AkdFailure;
  jobId: string;
  /** When the verification finished (ms). */
  timestamp: bigint;
  startHash: string;
  endHash: string;
  inserted: number;
  unchanged: number;
  ms: number;
}

/** parseJson makes every integer a bigint: give the small counters back their number type. */
function decodeRecord(text: string): VerificationRecord {
  const r = parseJson(text) as Record<string, unknown>;
  const failure = r.failure as Record<string, unknown> | undefined;
  if (failure && typeof failure.offset === 'bigint') failure.offset = Number(failure.offset);
  return { ...(r as unknown as VerificationRecord), inserted: Number(r.inserted), unchanged: Number(r.unchanged), ms: Number(r.ms) };
}

type BlobSub = AbstractSublevel<RootDb, string | Buffer | Uint8Array, string, Uint8Array>;

export class VerificationStore {
  readonly results: Table<VerificationRecord, string>;
  readonly lastVerified: Table<bigint, string>;
  readonly blobIndex: Table<string, string>;
  readonly #blobs: BlobSub;

  constructor(private readonly db: RootDb) {
    this.results = new Table(db, 'verifications', (r: VerificationRecord) => stringifyJson(r), decodeRecord);
    this.lastVerified = new Table(db, 'last-verified', (e: bigint) => e.toString(), (s: string) => BigInt(s));
    this.blobIndex = new Table(db, 'proof-index', (v: string) => v, (v: string) => v);
    this.#blobs = db.sublevel<string, Uint8Array>('proof-blobs', { keyEncoding: 'utf8', valueEncoding: 'view' });
  }

  async result(ns: string, epoch: bigint): Promise<VerificationRecord | undefined> {
    return this.results.get(nsEpochKey(ns, epoch));
  }

  async lastVerifiedEpoch(ns: string): Promise<bigint | undefined> {
    return this.lastVerified.get(ns);
  }

  /**
   * Records a result; a verified proof is kept (at most `retention` per namespace, 0 = all);
   * the namespace's last verified epoch is the end of the contiguous verified run from `from`.
   */
  async record(r: VerificationRecord, proof: Uint8Array | undefined, chainStart: bigint, retention: number): Promise<bigint | undefined> {
    const batch = new Batch(this.db).put(this.results, nsEpochKey(r.namespace, r.epoch), r);
    if (r.ok && proof) {
      batch.put(this.blobIndex, nsEpochKey(r.namespace, r.epoch), r.blobName);
      await this.#blobs.put(r.blobName, proof);
    }
    await batch.write(true);
    if (r.ok && retention > 0) await this.#prune(r.namespace, retention);
    return this.#advance(r.namespace, chainStart);
  }

  async #advance(ns: string, chainStart: bigint): Promise<bigint | undefined> {
    const current = await this.lastVerified.get(ns);
    let e = current ?? chainStart;
    for (;;) {
      const next = await this.results.get(nsEpochKey(ns, e + 1n));
      if (!next?.ok) break;
      e++;
    }
    if (current === undefined && e === chainStart) return undefined;
    if (e !== current) await new Batch(this.db).put(this.lastVerified, ns, e).write(false);
    return e;
  }

  async #prune(ns: string, retention: number): Promise<void> {
    const keys: [string, string][] = [];
    for await (const kv of this.blobIndex.entries(nsRange(ns))) keys.push(kv);
    const excess = keys.length - retention;
    for (let i = 0; i < excess; i++) {
      const [k, blob] = keys[i] as [string, string];
      await this.#blobs.del(blob);
      await new Batch(this.db).del(this.blobIndex, k).write(false);
    }
  }

  async proofBlob(blobName: string): Promise<Uint8Array | undefined> {
    return this.#blobs.get(blobName);
  }
}
