// Results of proof verification per (namespace, epoch) and each namespace's last verified epoch,
// whatever the log format (docs/log-formats.md): failures are the formats' plain data. The proofs
// themselves are files (src/store/proof-files.ts), not LevelDB values.
import type { ProofFailure } from '../formats/log-format.js';
import { parseJson, stringifyJson } from '../util/json.js';
import { Batch, Table, type RootDb } from './database.js';
import { nsEpochKey } from './keys.js';

export interface VerificationRecord {
  namespace: string;
  epoch: bigint;
  blobName: string;
  ok: boolean;
  failure?: ProofFailure;
  jobId: string;
  /** When the verification finished (ms). */
  timestamp: bigint;
  startHash: string;
  endHash: string;
  inserted: number;
  unchanged: number;
  ms: number;
}

/** parseJson makes every integer a bigint: give the small counters (and AKD's decode offset) back their number type. */
function decodeRecord(text: string): VerificationRecord {
  const r = parseJson(text) as Record<string, unknown>;
  const failure = r.failure as Record<string, unknown> | undefined;
  if (failure && typeof failure.offset === 'bigint') failure.offset = Number(failure.offset);
  return {
    ...(r as unknown as VerificationRecord),
    inserted: Number(r.inserted),
    unchanged: Number(r.unchanged),
    ms: Number(r.ms),
  };
}

export class VerificationStore {
  readonly results: Table<VerificationRecord, string>;
  readonly lastVerified: Table<bigint, string>;

  constructor(private readonly db: RootDb) {
    this.results = new Table(db, 'verifications', (r: VerificationRecord) => stringifyJson(r), decodeRecord);
    this.lastVerified = new Table(
      db,
      'last-verified',
      (e: bigint) => e.toString(),
      (s: string) => BigInt(s),
    );
  }

  async result(ns: string, epoch: bigint): Promise<VerificationRecord | undefined> {
    return this.results.get(nsEpochKey(ns, epoch));
  }

  async lastVerifiedEpoch(ns: string): Promise<bigint | undefined> {
    return this.lastVerified.get(ns);
  }

  /**
   * Records a result; the namespace's last verified epoch is the end of the contiguous verified run from
   * `chainStart`.
   */
  async record(r: VerificationRecord, chainStart: bigint): Promise<bigint | undefined> {
    await new Batch(this.db).put(this.results, nsEpochKey(r.namespace, r.epoch), r).write(true);
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
}
