// The witness's record per log origin (c2sp.org/tlog-witness; docs/c2sp.md, "Chorus as a tlog witness"): the
// latest checkpoint it agreed to cosign — size, root hash and the log-signed note. Checking a request against
// this record and recording the new checkpoint are one step per origin: `run` holds the origin's lock, and
// `persist` writes one synced batch before the caller may answer. A record never moves back and never
// changes root at one size, whatever the caller asks: never two roots for one size of one origin.
import { createHash } from 'node:crypto';
import { bytesEqual, fromHex, toHex } from '../util/bytes.js';
import { ChorusError } from '../util/errors.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { Batch, Table, type RootDb } from './database.js';

/** The latest checkpoint of one origin the witness agreed to cosign. */
export interface WitnessedCheckpoint {
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
  /** The checkpoint as the log signed it (body and the log's signature lines). */
  note: string;
  /** When it was recorded (ms). */
  recordedAt: bigint;
}

interface WitnessedJson {
  origin: string;
  size: string;
  root: string;
  note: string;
  at: string;
}

/** A write that would roll an origin back or give one size a second root: refused, nothing written. */
export class WitnessStateRollbackError extends ChorusError {
  constructor(message: string) {
    super('witness-state-rollback', message);
  }
}

/**
 * Whether `next` may replace `latest` (pure): a larger size, or the same size with the same root. The
 * consistency proof between them was checked by the caller (src/c2sp/witness-request.ts); this only keeps
 * the record from ever moving back, whatever a caller's bug.
 */
export function advanceProblem(
  latest: Pick<WitnessedCheckpoint, 'size' | 'rootHash'> | undefined,
  next: Pick<WitnessedCheckpoint, 'size' | 'rootHash'>,
): string | null {
  if (!latest) return null;
  if (next.size < latest.size) return `size ${next.size} is below the recorded size ${latest.size}`;
  if (next.size === latest.size && !bytesEqual(next.rootHash, latest.rootHash))
    return `size ${next.size} is recorded with another root hash`;
  return null;
}

/** One origin's record while its lock is held. */
export interface OriginStep {
  readonly latest: WitnessedCheckpoint | undefined;
  /** Records `next` (synced, one batch); `latest` is `next` afterwards. */
  persist(next: Omit<WitnessedCheckpoint, 'origin'>): Promise<void>;
}

export class WitnessStateStore {
  readonly #table: Table<WitnessedCheckpoint, WitnessedJson>;
  readonly #locks = new KeyedMutex();

  constructor(private readonly db: RootDb) {
    this.#table = new Table<WitnessedCheckpoint, WitnessedJson>(
      db,
      'witness-state',
      (v) => ({
        origin: v.origin,
        size: v.size.toString(),
        root: toHex(v.rootHash),
        note: v.note,
        at: v.recordedAt.toString(),
      }),
      (j) => ({
        origin: j.origin,
        size: BigInt(j.size),
        rootHash: fromHex(j.root, 32),
        note: j.note,
        recordedAt: BigInt(j.at),
      }),
    );
  }

  /** Origins are arbitrary text: the key is the hex SHA-256 of the origin (the monitoring path's hash). */
  static key(origin: string): string {
    return createHash('sha256').update(origin, 'utf8').digest('hex');
  }

  async latest(origin: string): Promise<WitnessedCheckpoint | undefined> {
    return this.#table.get(WitnessStateStore.key(origin));
  }

  /** Every origin's record (for the API's listing and for tests). */
  async all(): Promise<WitnessedCheckpoint[]> {
    const out: WitnessedCheckpoint[] = [];
    for await (const [, v] of this.#table.entries({})) out.push(v);
    return out;
  }

  /**
   * Runs `fn` with the origin's lock held: no other `run` of the origin starts before it ends, so a
   * check against `latest` and its `persist` are atomic (the tlog-witness race warning).
   */
  async run<T>(origin: string, fn: (step: OriginStep) => Promise<T>): Promise<T> {
    const key = WitnessStateStore.key(origin);
    return this.#locks.run(key, async () => {
      let latest = await this.#table.get(key);
      const step: OriginStep = {
        get latest() {
          return latest;
        },
        persist: async (next) => {
          const problem = advanceProblem(latest, next);
          if (problem) throw new WitnessStateRollbackError(`witness state of ${JSON.stringify(origin)}: ${problem}`);
          const record: WitnessedCheckpoint = { origin, ...next };
          await new Batch(this.db).put(this.#table, key, record).write(true);
          latest = record;
        },
      };
      return fn(step);
    });
  }
}
