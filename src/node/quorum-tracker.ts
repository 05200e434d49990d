// Announces, once per (namespace, epoch), that an epoch reached the roster's threshold of
// distinct auditors on one digest (the `quorum-reached` event). Markers persist, so a restart
// does not announce again.
import type { Observation } from '../consensus/observation.js';
import { tallyEpoch } from '../consensus/quorum.js';
import type { Roster } from '../consensus/roster.js';
import { Batch, Table, type RootDb } from '../store/database.js';
import { nsEpochKey } from '../store/keys.js';
import type { ObservationStore } from '../store/observation-store.js';
import { toHex } from '../util/bytes.js';
import { KeyedMutex } from '../util/keyed-mutex.js';

export interface QuorumReached {
  namespace: string;
  epoch: bigint;
  digest: string;
  signers: string[];
  threshold: number;
}

export class QuorumTracker {
  readonly #marks: Table<string, string>;
  readonly #mutex = new KeyedMutex();

  constructor(
    private readonly db: RootDb,
    private readonly roster: Roster,
    private readonly observations: ObservationStore,
  ) {
    this.#marks = new Table(db, 'quorum-marks', (v: string) => v, (v: string) => v);
  }

  async reached(ns: string, epoch: bigint): Promise<string | undefined> {
    return this.#marks.get(nsEpochKey(ns, epoch));
  }

  /** Checks the epoch of a newly stored observation; returns the announcement when it is new. */
  async onObservation(o: Observation): Promise<QuorumReached | undefined> {
    const key = nsEpochKey(o.namespace, o.epoch);
    return this.#mutex.run(key, async () => {
      if ((await this.#marks.get(key)) !== undefined) return undefined;
      const tally = tallyEpoch(await this.observations.observationsAt(o.namespace, o.epoch), this.roster);
      if (tally.conflicting) return undefined;
      const top = tally.digests[0];
      if (!top || top.auditors.length < this.roster.threshold) return undefined;
      const digest = toHex(top.digest);
      await new Batch(this.db).put(this.#marks, key, digest).write(false);
      return { namespace: o.namespace, epoch: o.epoch, digest, signers: top.auditors, threshold: this.roster.threshold };
    });
  }
}
