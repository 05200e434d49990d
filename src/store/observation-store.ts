// Observations and equivocation proofs (docs/protocol.md §3-§5). Observations are indexed by
// (namespace, epoch, digest, signer) and numbered in the order they were stored (the arrival log
// that sync pages through, so a peer gets exactly what arrived since it last synced, even for an
// old epoch); proofs by id, by the fact they prove (one kept per fact:
// the smallest id, so every node converges on the same proof), by namespace and epoch, and by
// arrival time for newest-first listings.
import { randomBytes } from 'node:crypto';
import { decodeObservation, encodeObservation, type Observation } from '../consensus/observation.js';
import {
  decodeEquivocationProof,
  encodeEquivocationProof,
  proofFact,
  proofId,
  type EquivocationKind,
  type EquivocationProof,
} from '../consensus/equivocation.js';
import { fromHex, toHex } from '../util/bytes.js';
import { systemClock, type Clock } from '../util/clock.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { parseU64 } from '../util/u64.js';
import { Batch, Table, type RootDb } from './database.js';
import { epochKey, nsEpochKey, nsRange, SEP } from './keys.js';

export interface StoredProof {
  id: string;
  fact: string;
  kind: EquivocationKind;
  namespace: string;
  epoch: bigint;
  proof: EquivocationProof;
  /** Local arrival time (ms). */
  receivedAt: bigint;
  signers: [string, string];
}

interface StoredProofJson {
  id: string;
  fact: string;
  kind: EquivocationKind;
  namespace: string;
  epoch: string;
  proof: string;
  received_at: string;
  signers: [string, string];
}

const proofToJson = (p: StoredProof): StoredProofJson => ({
  id: p.id,
  fact: p.fact,
  kind: p.kind,
  namespace: p.namespace,
  epoch: p.epoch.toString(),
  proof: toHex(encodeEquivocationProof(p.proof)),
  received_at: p.receivedAt.toString(),
  signers: p.signers,
});

const proofFromJson = (j: StoredProofJson): StoredProof => ({
  id: j.id,
  fact: j.fact,
  kind: j.kind,
  namespace: j.namespace,
  epoch: parseU64(j.epoch),
  proof: decodeEquivocationProof(fromHex(j.proof)),
  receivedAt: parseU64(j.received_at),
  signers: j.signers,
});

export function observationKey(o: Pick<Observation, 'namespace' | 'epoch' | 'digest' | 'signerKey'>): string {
  return `${nsEpochKey(o.namespace, o.epoch)}${SEP}${toHex(o.digest)}${SEP}${toHex(o.signerKey)}`;
}

export type StoreProofResult = 'stored' | 'replaced' | 'known';

/**
 * A batch built but not written after this long no longer holds back the complete head of the
 * arrival log (see `#completeHead`): batches are written within milliseconds, so 10 s means lost.
 */
export const IN_FLIGHT_EXPIRY_MS = 10_000n;

export class ObservationStore {
  readonly observations: Table<Observation, string>;
  readonly proofs: Table<StoredProof, StoredProofJson>;
  readonly proofByFact: Table<string, string>;
  readonly proofByTime: Table<string, string>;
  readonly proofByNsEpoch: Table<string, string>;
  /**
   * Replaced (or never-kept, larger) proof id -> its fact: alert ids must resolve forever, even
   * after the canonical proof replaced them (docs/design-decisions.md, "Proof ids resolve forever").
   */
  readonly proofAliases: Table<string, string>;
  /** Arrival number (20 digits) -> observation key, written in the same batch as the observation. */
  readonly arrivals: Table<string, string>;
  #nextArrival: bigint | undefined;
  #logId: string | undefined;
  readonly #arrivalMeta: Table<string, string>;
  /** Arrival numbers handed out whose batch is not written yet -> when (ms). */
  readonly #inFlight = new Map<bigint, bigint>();
  #ready: Promise<void> | undefined;
  readonly #mutex = new KeyedMutex();
  /**
   * What is stored at recent (namespace, epoch)s: gossip hits the same few epochs thousands of
   * times, and a LevelDB iterator per message would dominate ingest. Bounded, oldest dropped.
   */
  readonly #recent = new Map<string, Observation[]>();
  static readonly RECENT_EPOCHS = 4096;

  constructor(
    private readonly db: RootDb,
    private readonly clock: Clock = systemClock,
  ) {
    this.observations = new Table(
      db,
      'obs',
      (o: Observation) => toHex(encodeObservation(o)),
      (h: string) => decodeObservation(fromHex(h)),
    );
    this.proofs = new Table(db, 'proofs', proofToJson, proofFromJson);
    const id = (s: string) => s;
    this.proofByFact = new Table(db, 'proof-fact', id, id);
    this.proofByTime = new Table(db, 'proof-time', id, id);
    this.proofByNsEpoch = new Table(db, 'proof-ns', id, id);
    this.proofAliases = new Table(db, 'proof-aliases', id, id);
    this.arrivals = new Table(db, 'obs-arrival', id, id);
    this.#arrivalMeta = new Table(db, 'obs-arrival-meta', id, id);
  }

  /** The arrival log's id (hex): peers resume a sync only in the log their mark came from. */
  get arrivalLogId(): string {
    if (this.#logId === undefined) throw new Error('ObservationStore: ready() must resolve first');
    return this.#logId;
  }

  /**
   * Loads the arrival counter; a store written before the arrival log existed gets every
   * observation it holds numbered first (in key order). Must resolve before `addObservation`;
   * the async methods wait for it themselves.
   */
  ready(): Promise<void> {
    return (this.#ready ??= this.#loadArrivals());
  }

  async #loadArrivals(): Promise<void> {
    let logId = await this.#arrivalMeta.get('log-id');
    if (logId === undefined) {
      logId = randomBytes(16).toString('hex');
      await new Batch(this.db).put(this.#arrivalMeta, 'log-id', logId).write(true);
    }
    this.#logId = logId;
    let last: bigint | undefined;
    for await (const k of this.arrivals.sub.keys({ reverse: true, limit: 1 })) last = BigInt(k);
    if (last === undefined) {
      last = 0n;
      let batch = new Batch(this.db);
      for await (const k of this.observations.sub.keys()) {
        batch.put(this.arrivals, epochKey(++last), k);
        if (batch.size >= 1000) {
          await batch.write(false);
          batch = new Batch(this.db);
        }
      }
      if (batch.size > 0) await batch.write(false);
    }
    this.#nextArrival = last + 1n;
  }

  /**
   * Adds an observation, and its arrival number, to a batch (also inside the signing batch for our own observations).
   */
  addObservation(batch: Batch, o: Observation): void {
    if (this.#nextArrival === undefined)
      throw new Error('ObservationStore: ready() must resolve before observations are written');
    const key = observationKey(o);
    const n = this.#nextArrival++;
    batch.put(this.observations, key, o);
    batch.put(this.arrivals, epochKey(n), key);
    this.#inFlight.set(n, this.clock.now());
    batch.onSettled(() => this.#inFlight.delete(n));
  }

  /**
   * The arrival number up to which every entry is written: batches commit out of order, so the
   * log is only complete below the oldest batch still in flight. A sync that stops here never
   * skips an entry that becomes visible later, so the next sync resumes exactly after it. A
   * batch built but never written would hold this back for good: after IN_FLIGHT_EXPIRY_MS it no
   * longer counts.
   */
  #completeHead(): bigint {
    let head = (this.#nextArrival as bigint) - 1n;
    const now = this.clock.now();
    for (const [n, since] of this.#inFlight) {
      if (now - since > IN_FLIGHT_EXPIRY_MS) this.#inFlight.delete(n);
      else if (n - 1n < head) head = n - 1n;
    }
    return head;
  }

  /**
   * Observations of `ns` stored after arrival number `after` (exclusive), in arrival order: at most
   * `limit` of them, scanning at most `maxScan` arrivals (other namespaces share the log). `last`
   * is the arrival number the scan reached; `done` when nothing after it was stored yet. An
   * `after` beyond this log (the peer's mark is from a log that was wiped) starts from the start.
   */
  async arrivalPage(
    ns: string,
    after: bigint,
    limit: number,
    maxScan: number,
  ): Promise<{ items: Observation[]; last: bigint; done: boolean }> {
    await this.ready();
    const head = this.#completeHead();
    // A mark beyond everything ever numbered here is from a log that was wiped: start over.
    const from = after >= (this.#nextArrival as bigint) ? 0n : after > head ? head : after;
    const prefix = `${ns}${SEP}`;
    const items: Observation[] = [];
    let last = from;
    let scanned = 0;
    let full = false;
    for await (const [k, key] of this.arrivals.entries({
      gt: epochKey(from),
      lt: epochKey(head + 1n),
      limit: maxScan,
    })) {
      scanned++;
      last = BigInt(k);
      if (!key.startsWith(prefix)) continue;
      const o = await this.observations.get(key);
      if (o) items.push(o);
      if (items.length >= limit) {
        full = true;
        break;
      }
    }
    return { items, last, done: last >= head || (!full && scanned < maxScan) };
  }

  async hasObservation(o: Pick<Observation, 'namespace' | 'epoch' | 'digest' | 'signerKey'>): Promise<boolean> {
    // Loading the epoch's list (one iterator) serves the store that usually follows, too.
    const key = observationKey(o);
    return (await this.#known(o.namespace, o.epoch)).some((k) => observationKey(k) === key);
  }

  async #known(ns: string, epoch: bigint): Promise<Observation[]> {
    const k = nsEpochKey(ns, epoch);
    let list = this.#recent.get(k);
    if (!list) {
      list = await this.observationsAt(ns, epoch);
      this.#remember(k, list);
    }
    return list;
  }

  #remember(k: string, list: Observation[]): void {
    this.#recent.delete(k);
    this.#recent.set(k, list);
    if (this.#recent.size > ObservationStore.RECENT_EPOCHS) {
      const oldest = this.#recent.keys().next().value as string;
      this.#recent.delete(oldest);
    }
  }

  /** Keeps the cache right for observations written by someone else's batch (our signatures). */
  noteWritten(o: Observation): void {
    const list = this.#recent.get(nsEpochKey(o.namespace, o.epoch));
    if (list && !list.some((k) => observationKey(k) === observationKey(o))) list.push(o);
  }

  async getObservation(
    k: Pick<Observation, 'namespace' | 'epoch' | 'digest' | 'signerKey'>,
  ): Promise<Observation | undefined> {
    return this.observations.get(observationKey(k));
  }

  /** Every observation of one (namespace, epoch). */
  async observationsAt(ns: string, epoch: bigint): Promise<Observation[]> {
    const prefix = `${nsEpochKey(ns, epoch)}${SEP}`;
    const out: Observation[] = [];
    for await (const [, o] of this.observations.entries({ gte: prefix, lt: `${nsEpochKey(ns, epoch)}\x01` }))
      out.push(o);
    return out;
  }

  /**
   * Stores a verified observation and returns what was known at that (namespace, epoch) before,
   * for equivocation detection. Serialised per (namespace, epoch) so two conflicting arrivals
   * always see each other.
   */
  async storeObservation(o: Observation): Promise<{ stored: boolean; known: Observation[] }> {
    await this.ready();
    return this.#mutex.run(nsEpochKey(o.namespace, o.epoch), async () => {
      const list = await this.#known(o.namespace, o.epoch);
      const key = observationKey(o);
      const known = [...list];
      if (known.some((k) => observationKey(k) === key)) return { stored: false, known };
      await this.#groupWrite(o);
      // Cached only once written: a failed write must not make the observation look stored.
      if (!list.some((k) => observationKey(k) === key)) list.push(o);
      return { stored: true, known };
    });
  }

  // Gossip delivers observations in bursts: every observation waiting in one event-loop turn is
  // written in one LevelDB batch (each caller still waits for its write).
  #pending: Observation[] = [];
  #flush: Promise<void> | undefined;

  #groupWrite(o: Observation): Promise<void> {
    this.#pending.push(o);
    this.#flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const items = this.#pending;
      this.#pending = [];
      this.#flush = undefined;
      const batch = new Batch(this.db);
      for (const item of items) this.addObservation(batch, item);
      await batch.write(false);
    });
    return this.#flush;
  }

  /**
   * For an observation already written elsewhere (our own signature, in the signing batch): what
   * else is known at its (namespace, epoch), read under the same lock as `storeObservation`, so a
   * conflicting arrival racing with our signature is always seen by one side.
   */
  async othersAt(o: Observation): Promise<Observation[]> {
    return this.#mutex.run(nsEpochKey(o.namespace, o.epoch), async () => {
      const list = await this.#known(o.namespace, o.epoch);
      const key = observationKey(o);
      if (!list.some((k) => observationKey(k) === key)) list.push(o);
      return list.filter((k) => observationKey(k) !== key);
    });
  }

  /** Observations of a namespace in key order from `after` (exclusive), epochs in [from, to]. */
  async observationPage(
    ns: string,
    from: bigint,
    to: bigint,
    after: string | undefined,
    limit: number,
  ): Promise<{ items: Observation[]; last?: string }> {
    const gte = nsEpochKey(ns, from);
    const lt = `${nsEpochKey(ns, to)}\x01`;
    const items: Observation[] = [];
    let last: string | undefined;
    const range = after !== undefined && after >= gte ? { gt: after, lt } : { gte, lt };
    for await (const [k, o] of this.observations.entries({ ...range, limit })) {
      items.push(o);
      last = k;
    }
    return last !== undefined ? { items, last } : { items };
  }

  /** The newest epoch observed in a namespace, if any. */
  async latestObservedEpoch(ns: string): Promise<bigint | undefined> {
    for await (const k of this.observations.sub.keys({ ...nsRange(ns), reverse: true, limit: 1 })) {
      return parseU64(k.slice(ns.length + 1, ns.length + 21).replace(/^0+(?=\d)/, ''), 'epoch');
    }
    return undefined;
  }

  async proof(id: string): Promise<StoredProof | undefined> {
    return this.proofs.get(id);
  }

  /**
   * The proof for an id, following an alias to the fact's canonical proof when the id was
   * replaced. The alias names the fact, not a proof id, so a chain of replacements still resolves.
   */
  async resolveProof(id: string): Promise<StoredProof | undefined> {
    const direct = await this.proofs.get(id);
    if (direct) return direct;
    const fact = await this.proofAliases.get(id);
    if (fact === undefined) return undefined;
    const canonical = await this.proofByFact.get(fact);
    return canonical === undefined ? undefined : this.proofs.get(canonical);
  }

  /**
   * Stores a verified proof unless a proof of the same fact with a smaller id is held (then
   * `known`); a larger one held is replaced, so all nodes converge on the smallest.
   */
  async storeProof(
    proof: EquivocationProof,
    kind: EquivocationKind,
    signers: [string, string],
    nowMs: bigint,
  ): Promise<{ result: StoreProofResult; stored: StoredProof }> {
    const fact = proofFact(proof, kind, signers);
    const id = proofId(proof);
    return this.#mutex.run(`proof\x00${fact}`, async () => {
      const heldId = await this.proofByFact.get(fact);
      if (heldId !== undefined && heldId <= id) {
        // A larger id someone may have alerted on: remember it so it resolves to the canonical proof.
        if (heldId !== id && (await this.proofAliases.get(id)) === undefined)
          await new Batch(this.db).put(this.proofAliases, id, fact).write(true);
        return { result: 'known' as const, stored: (await this.proofs.get(heldId)) as StoredProof };
      }
      const ns = proof.first.namespace;
      const epoch = proof.first.epoch;
      const record: StoredProof = { id, fact, kind, namespace: ns, epoch, proof, receivedAt: nowMs, signers };
      const batch = new Batch(this.db);
      if (heldId !== undefined) {
        const held = await this.proofs.get(heldId);
        batch.del(this.proofs, heldId);
        batch.put(this.proofAliases, heldId, fact);
        if (held) {
          batch.del(this.proofByTime, `${epochKey(held.receivedAt)}${SEP}${heldId}`);
          batch.del(this.proofByNsEpoch, `${nsEpochKey(ns, epoch)}${SEP}${heldId}`);
          record.receivedAt = held.receivedAt; // the fact was known since then
        }
      }
      batch
        .put(this.proofs, id, record)
        .put(this.proofByFact, fact, id)
        .put(this.proofByTime, `${epochKey(record.receivedAt)}${SEP}${id}`, id)
        .put(this.proofByNsEpoch, `${nsEpochKey(ns, epoch)}${SEP}${id}`, id);
      await batch.write(true);
      return { result: heldId !== undefined ? ('replaced' as const) : ('stored' as const), stored: record };
    });
  }

  /** Proofs newest first, optionally for one namespace. */
  async listProofs(opts: { namespace?: string; limit?: number } = {}): Promise<StoredProof[]> {
    const out: StoredProof[] = [];
    const limit = opts.limit ?? 1000;
    for await (const [, id] of this.proofByTime.entries({ reverse: true })) {
      const p = await this.proofs.get(id);
      if (!p || (opts.namespace !== undefined && p.namespace !== opts.namespace)) continue;
      out.push(p);
      if (out.length >= limit) break;
    }
    return out;
  }

  async proofsAt(ns: string, epoch: bigint): Promise<StoredProof[]> {
    const out: StoredProof[] = [];
    const prefix = `${nsEpochKey(ns, epoch)}${SEP}`;
    for await (const [, id] of this.proofByNsEpoch.entries({ gte: prefix, lt: `${nsEpochKey(ns, epoch)}\x01` })) {
      const p = await this.proofs.get(id);
      if (p) out.push(p);
    }
    return out;
  }

  /** Proofs of a namespace in (epoch, id) order from `after` (exclusive), epochs in [from, to]. */
  async proofPage(
    ns: string,
    from: bigint,
    to: bigint,
    after: string | undefined,
    limit: number,
  ): Promise<{ items: StoredProof[]; last?: string }> {
    const gte = nsEpochKey(ns, from);
    const lt = `${nsEpochKey(ns, to)}\x01`;
    const range = after !== undefined && after >= gte ? { gt: after, lt } : { gte, lt };
    const items: StoredProof[] = [];
    let last: string | undefined;
    for await (const [k, id] of this.proofByNsEpoch.entries({ ...range, limit })) {
      const p = await this.proofs.get(id);
      if (p) items.push(p);
      last = k;
    }
    return last !== undefined ? { items, last } : { items };
  }

  async equivocatedEpochCount(ns: string): Promise<number> {
    const epochs = new Set<string>();
    for await (const k of this.proofByNsEpoch.sub.keys(nsRange(ns))) epochs.add(k.slice(0, ns.length + 21));
    return epochs.size;
  }
}
