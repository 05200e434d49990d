// Each epoch's quorum state, persisted: when it was first seen and whether it reached the
// roster's threshold of distinct auditors on one digest. Announces the `quorum-reached` event
// once per (namespace, epoch). Both facts live in LevelDB and change in one batch (the marker is
// written and the first-seen time dropped together), so after a restart the liveness rule
// (quorum-missed) sees exactly what was known before it: an epoch that reached its quorum stays
// reached however late a lagging auditor's observation of it arrives, and one still waiting keeps
// its original first-seen time. See docs/design-decisions.md ("Quorum state across restarts").
import type { Observation } from '../consensus/observation.js';
import { tallyEpoch } from '../consensus/quorum.js';
import type { Roster } from '../consensus/roster.js';
import { Batch, Table, type RootDb } from '../store/database.js';
import { nsEpochKey, SEP } from '../store/keys.js';
import type { ObservationStore } from '../store/observation-store.js';
import { toHex } from '../util/bytes.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { parseU64 } from '../util/u64.js';

export interface QuorumReached {
  namespace: string;
  epoch: bigint;
  digest: string;
  signers: string[];
  threshold: number;
}

/** What the liveness rules need to know about an epoch after an observation of it. */
export type EpochQuorumState =
  | { namespace: string; epoch: bigint; reached: true; announcement?: QuorumReached }
  | { namespace: string; epoch: bigint; reached: false; firstSeenMs: bigint };

export class QuorumTracker {
  readonly #marks: Table<string, string>;
  readonly #firstSeen: Table<bigint, string>;
  readonly #mutex = new KeyedMutex();

  constructor(
    private readonly db: RootDb,
    private readonly roster: Roster,
    private readonly observations: ObservationStore,
  ) {
    this.#marks = new Table(
      db,
      'quorum-marks',
      (v: string) => v,
      (v: string) => v,
    );
    this.#firstSeen = new Table(
      db,
      'quorum-first-seen',
      (v: bigint) => v.toString(),
      (v: string) => parseU64(v, 'first-seen'),
    );
  }

  async reached(ns: string, epoch: bigint): Promise<string | undefined> {
    return this.#marks.get(nsEpochKey(ns, epoch));
  }

  /**
   * Records an epoch's first sighting (at `nowMs`) and checks its quorum after a newly stored
   * observation; `announcement` is set only the first time the quorum is reached.
   */
  async onObservation(o: Observation, nowMs: bigint): Promise<EpochQuorumState> {
    const key = nsEpochKey(o.namespace, o.epoch);
    const at = { namespace: o.namespace, epoch: o.epoch };
    return this.#mutex.run(key, async (): Promise<EpochQuorumState> => {
      if ((await this.#marks.get(key)) !== undefined) return { ...at, reached: true };
      const known = await this.#firstSeen.get(key);
      const firstSeenMs = known ?? nowMs;
      const batch = new Batch(this.db);
      const tally = tallyEpoch(await this.observations.observationsAt(o.namespace, o.epoch), this.roster);
      const top = tally.digests[0];
      if (!tally.conflicting && top && top.auditors.length >= this.roster.threshold) {
        const digest = toHex(top.digest);
        batch.put(this.#marks, key, digest);
        if (known !== undefined) batch.del(this.#firstSeen, key);
        await batch.write(false);
        return {
          ...at,
          reached: true,
          announcement: { ...at, digest, signers: top.auditors, threshold: this.roster.threshold },
        };
      }
      if (known === undefined) await batch.put(this.#firstSeen, key, firstSeenMs).write(false);
      return { ...at, reached: false, firstSeenMs };
    });
  }

  /** Epochs seen but not at quorum (the newest `limit`), to resume the liveness rules after a restart. */
  async pending(limit: number): Promise<{ namespace: string; epoch: bigint; firstSeenMs: bigint }[]> {
    const out: { namespace: string; epoch: bigint; firstSeenMs: bigint }[] = [];
    for await (const [k, firstSeenMs] of this.#firstSeen.entries({ reverse: true, limit })) {
      const i = k.lastIndexOf(SEP);
      out.push({
        namespace: k.slice(0, i),
        epoch: parseU64(k.slice(i + 1).replace(/^0+(?=\d)/, ''), 'epoch'),
        firstSeenMs,
      });
    }
    return out;
  }
}
