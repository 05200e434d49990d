// What this node signed, per namespace: the chain state, every signature, the digest index that
// enforces uniqueness, and refused conflicting submissions. `checkAndSign` is the one place a
// signature is created: serialised per namespace, decided by the pure chain rules, and written in
// one synced LevelDB batch before anyone sees it (docs/protocol.md §4.1, §4.7). With a signing journal,
// every signature is appended (fsync'ed) to the journal first, and any failed write halts signing
// until a restart checks the store against the journal (docs/design-decisions.md, "Signing journal").
import {
  decideSubmission,
  type ChainFacts,
  type Decision,
  type NamespaceStatus,
  type Submission,
} from '../consensus/chain-rules.js';
import { toHex } from '../util/bytes.js';
import { ChorusError, errorMessage } from '../util/errors.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { parseU64 } from '../util/u64.js';
import { Batch, Table, type RootDb } from './database.js';
import { isInFlightGap, judgeNamespace, type JournalVerdict } from './journal-rules.js';
import { nsEpochKey, nsRange, SEP } from './keys.js';
import type { SigningJournal } from './signing-journal.js';
import {
  conflictFromJson,
  conflictToJson,
  namespaceStateFromJson,
  namespaceStateToJson,
  signedEpochFromJson,
  signedEpochToJson,
  type ConflictRecord,
  type ConflictRecordJson,
  type NamespaceState,
  type NamespaceStateJson,
  type SignedEpoch,
  type SignedEpochJson,
} from './records.js';

/** Creates the signature for an epoch the rules allowed (called inside the namespace's lock). */
export type Signer = (namespace: string, epoch: bigint, digest: Uint8Array) => Omit<SignedEpoch, 'previous'>;

export type CheckAndSignResult =
  | { kind: 'signed'; record: SignedEpoch; becameRoot: boolean }
  | { kind: 'replayed'; record: SignedEpoch }
  | { kind: 'rejected'; decision: Extract<Decision, { kind: 'reject' }> };

export interface SigningStoreOptions {
  now: () => bigint;
  /** The independent record of every signature, appended before the LevelDB batch. */
  journal?: SigningJournal;
  /** Compact the journal at start once it holds more records than this (default 4096). */
  journalCompactAfter?: number;
}

/** Why signing is off: the doppelgänger halt, a failed write, or a store behind its journal. */
export type HaltKind = 'doppelganger' | 'store-failed' | 'store-behind-journal';

/** A write of a signature failed: nothing was answered and signing is halted. */
export class SigningHaltedError extends ChorusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('signing-halted', message, options);
  }
}

/** What the start-up comparison of journal and store found, per namespace. */
export interface JournalCheckResult {
  verdicts: Map<string, JournalVerdict>;
  /** Namespaces whose newest signed epoch was added to the journal (journal behind the store). */
  extended: string[];
  /** Namespaces whose one in-flight signature (a crash between journal and store) was written back. */
  restored: { namespace: string; epoch: bigint }[];
  compacted: boolean;
}

/** The journal is rewritten to one record per namespace at start once it holds more than this. */
const COMPACT_AFTER_RECORDS = 4096;

export class SigningStore {
  readonly states: Table<NamespaceState, NamespaceStateJson>;
  readonly signatures: Table<SignedEpoch, SignedEpochJson>;
  readonly digests: Table<bigint, string>;
  readonly conflicts: Table<ConflictRecord, ConflictRecordJson>;
  readonly meta: Table<string, string>;
  #halt: string | undefined;
  /** In memory only: after a failed write the disk may not take a persisted halt. */
  #storeFailure: string | undefined;
  #writeFailures = 0;
  readonly #seenFailures = new WeakSet<object>();
  readonly #refused = new Map<string, string>();
  readonly #haltListeners: Array<(kind: HaltKind, reason: string, ns?: string) => void> = [];
  readonly #mutex = new KeyedMutex();
  readonly #extraWrites: Array<(batch: Batch, record: SignedEpoch) => void> = [];
  readonly #afterWrites: Array<(record: SignedEpoch) => void> = [];

  constructor(
    private readonly db: RootDb,
    private readonly options: SigningStoreOptions,
  ) {
    this.states = new Table(db, 'ns-state', namespaceStateToJson, namespaceStateFromJson);
    this.signatures = new Table(db, 'signed', signedEpochToJson, signedEpochFromJson);
    this.digests = new Table(
      db,
      'digest-index',
      (e: bigint) => e.toString(),
      (s: string) => parseU64(s, 'epoch'),
    );
    this.conflicts = new Table(db, 'conflicts', conflictToJson, conflictFromJson);
    this.meta = new Table(
      db,
      'meta',
      (v: string) => v,
      (v: string) => v,
    );
  }

  /** Loads persistent state (the signing halt) once after opening. */
  async load(): Promise<void> {
    this.#halt = await this.meta.get('signing-halt');
  }

  /** Why signing is halted, if it is (survives restarts until `resume`). */
  get haltReason(): string | undefined {
    return this.#halt;
  }

  /** Why signing is off after a failed write (until the node restarts), if it is. */
  get storeFailure(): string | undefined {
    return this.#storeFailure;
  }

  /** Failed writes seen since start (store or journal). */
  get writeFailures(): number {
    return this.#writeFailures;
  }

  /** Namespaces refused at start because the store is behind (or contradicts) the journal. */
  get refusedNamespaces(): ReadonlyMap<string, string> {
    return this.#refused;
  }

  /** Why signing is off for this namespace, if it is (any of the three halts). */
  haltReasonFor(ns: string): string | undefined {
    return this.#halt ?? this.#storeFailure ?? this.#refused.get(ns);
  }

  /** Called once per halt as it begins (alerts, logs). */
  onHalt(listener: (kind: HaltKind, reason: string, ns?: string) => void): void {
    this.#haltListeners.push(listener);
  }

  /**
   * A write to the store or the journal failed: stop signing at once. Only a restart clears this,
   * because only the start-up check proves what the disk really holds.
   */
  storeFailed(reason: string, cause?: unknown): void {
    // The same failure can arrive twice (the database's write watch, then this store's caller).
    if (typeof cause === 'object' && cause !== null) {
      if (this.#seenFailures.has(cause)) return;
      this.#seenFailures.add(cause);
    }
    this.#writeFailures++;
    if (this.#storeFailure !== undefined) return;
    this.#storeFailure =
      `a write to the store failed (${reason}); signing stays off until the node restarts and ` +
      `checks its store against the signing journal`;
    for (const l of this.#haltListeners) l('store-failed', this.#storeFailure);
  }

  async halt(reason: string): Promise<void> {
    this.#halt = reason;
    await new Batch(this.db).put(this.meta, 'signing-halt', reason).write(true);
  }

  async resume(): Promise<void> {
    this.#halt = undefined;
    await new Batch(this.db).del(this.meta, 'signing-halt').write(true);
  }

  /** Called after a signing batch is written (caches that mirror the batch's contents). */
  onSigned(after: (record: SignedEpoch) => void): void {
    this.#afterWrites.push(after);
  }

  /** Lets later layers (gossip) add writes to the same atomic batch as each new signature. */
  onSign(addWrites: (batch: Batch, record: SignedEpoch) => void): void {
    this.#extraWrites.push(addWrites);
  }

  async namespaceState(ns: string): Promise<NamespaceState | undefined> {
    return this.states.get(ns);
  }

  /** Creates the namespace's state if absent (no root yet: the first signed epoch becomes it). */
  async ensureNamespace(ns: string): Promise<NamespaceState> {
    return this.#mutex.run(ns, async () => {
      const existing = await this.states.get(ns);
      if (existing) return existing;
      const state: NamespaceState = { name: ns, status: 'Initialization', signedCount: 0n };
      await new Batch(this.db).put(this.states, ns, state).write(true);
      return state;
    });
  }

  async signedEpoch(ns: string, epoch: bigint): Promise<SignedEpoch | undefined> {
    return this.signatures.get(nsEpochKey(ns, epoch));
  }

  /** Signed epochs of a namespace in epoch order (newest first with `reverse`). */
  async *signedEpochs(
    ns: string,
    opts: { from?: bigint; to?: bigint; reverse?: boolean; limit?: number } = {},
  ): AsyncGenerator<SignedEpoch> {
    const range = nsRange(ns);
    const gte = opts.from !== undefined ? nsEpochKey(ns, opts.from) : range.gte;
    const lt = opts.to !== undefined ? nsEpochKey(ns, opts.to) + SEP : range.lt;
    for await (const [, v] of this.signatures.entries({
      gte,
      lt,
      reverse: opts.reverse ?? false,
      limit: opts.limit ?? -1,
    }))
      yield v;
  }

  async listConflicts(ns?: string): Promise<ConflictRecord[]> {
    const out: ConflictRecord[] = [];
    for await (const [, c] of this.conflicts.entries(ns ? nsRange(ns) : {})) out.push(c);
    return out;
  }

  /**
   * The only way a signature is made. `status` is the effective status (configuration may disable
   * a namespace). Concurrent calls for one namespace run one after another.
   */
  async checkAndSign(
    ns: string,
    status: NamespaceStatus | undefined,
    submission: Submission,
    sign: Signer,
  ): Promise<CheckAndSignResult> {
    return this.#mutex.run(ns, async () => {
      const state = (await this.states.get(ns)) ?? { name: ns, status: 'Initialization' as const, signedCount: 0n };
      const [signedAt, signedPrev, digestAt] = await Promise.all([
        this.signatures.get(nsEpochKey(ns, submission.epoch)),
        submission.epoch > 0n ? this.signatures.get(nsEpochKey(ns, submission.epoch - 1n)) : Promise.resolve(undefined),
        this.digests.get(`${ns}${SEP}${toHex(submission.digest)}`),
      ]);
      const facts: ChainFacts = { status: status ?? state.status };
      if (state.root) facts.root = state.root;
      if (state.head) facts.head = state.head;
      if (signedAt) facts.signedAtEpoch = signedAt.digest;
      if (signedPrev) facts.signedAtPreviousEpoch = signedPrev.digest;
      if (digestAt !== undefined) facts.digestSignedAt = digestAt;
      const halted = this.haltReasonFor(ns);
      if (halted !== undefined) facts.halted = halted;

      const decision = decideSubmission(facts, submission);
      switch (decision.kind) {
        case 'replay':
          return { kind: 'replayed', record: signedAt as SignedEpoch };
        case 'reject':
          if (decision.conflict && signedAt) {
            // The refusal stands even when its evidence cannot be written (a full disk); the
            // failed write halts signing like any other.
            try {
              await this.#recordConflict(ns, submission, signedAt.digest);
            } catch (err) {
              this.storeFailed(`conflict record: ${errorMessage(err)}`, err);
            }
          }
          return { kind: 'rejected', decision };
        case 'sign': {
          const record: SignedEpoch = { ...sign(ns, submission.epoch, submission.digest) };
          if (submission.previous) record.previous = submission.previous;
          const head = { epoch: record.epoch, digest: record.digest };
          const next: NamespaceState = {
            name: ns,
            status: 'Online',
            root: decision.becomesRoot ? head : (state.root ?? head),
            head,
            signedCount: state.signedCount + 1n,
          };
          const batch = new Batch(this.db)
            .put(this.signatures, nsEpochKey(ns, record.epoch), record)
            .put(this.digests, `${ns}${SEP}${toHex(record.digest)}`, record.epoch)
            .put(this.states, ns, next);
          for (const add of this.#extraWrites) add(batch, record);
          // Journal first: whatever fails after this, the journal holds at least what LevelDB
          // holds, so a restart can tell a store that lost signatures (docs/design-decisions.md).
          await this.#durably('signing journal', () => this.options.journal?.append([record]));
          await this.#durably('store', () => batch.write(true));
          for (const after of this.#afterWrites) after(record);
          return { kind: 'signed', record, becameRoot: decision.becomesRoot };
        }
      }
    });
  }

  /**
   * Writes verified signatures from another host's history (chorus import) in one synced batch,
   * with their digests and observations, and moves the chain head up to the history's low-water
   * mark so nothing at or below it can be signed here. The caller checked for conflicts.
   */
  async importSigned(
    ns: string,
    records: SignedEpoch[],
    root: { epoch: bigint; digest: Uint8Array } | undefined,
    mark: { epoch: bigint; digest: Uint8Array } | undefined,
  ): Promise<{ epoch: bigint; digest: Uint8Array } | undefined> {
    return this.#mutex.run(ns, async () => {
      const state = (await this.states.get(ns)) ?? { name: ns, status: 'Initialization' as const, signedCount: 0n };
      const batch = new Batch(this.db);
      for (const r of records) {
        if (await this.signatures.get(nsEpochKey(ns, r.epoch))) continue;
        batch
          .put(this.signatures, nsEpochKey(ns, r.epoch), r)
          .put(this.digests, `${ns}${SEP}${toHex(r.digest)}`, r.epoch);
        for (const add of this.#extraWrites) add(batch, r);
      }
      const next: NamespaceState = { ...state, signedCount: state.signedCount + BigInt(records.length) };
      if (!next.root && root) next.root = root;
      if (mark && (!next.head || mark.epoch > next.head.epoch)) {
        next.head = mark;
        next.status = 'Online';
        next.root ??= mark;
      }
      batch.put(this.states, ns, next);
      await this.#durably('signing journal', () => this.options.journal?.append(records));
      await this.#durably('store', () => batch.write(true));
      for (const r of records) for (const after of this.#afterWrites) after(r);
      return next.head;
    });
  }

  /**
   * Writes back signed epochs the store lost, exactly as the journal holds them (chorus repair).
   * The caller checked that none conflicts with the store and that each signature verifies.
   */
  async restoreSigned(ns: string, records: SignedEpoch[]): Promise<void> {
    if (records.length === 0) return;
    records = [...records].sort((a, b) => (a.epoch < b.epoch ? -1 : a.epoch > b.epoch ? 1 : 0));
    await this.#mutex.run(ns, async () => {
      const state = (await this.states.get(ns)) ?? { name: ns, status: 'Initialization' as const, signedCount: 0n };
      const batch = new Batch(this.db);
      const written: SignedEpoch[] = [];
      const next: NamespaceState = { ...state };
      for (const r of records) {
        if (await this.signatures.get(nsEpochKey(ns, r.epoch))) continue;
        batch
          .put(this.signatures, nsEpochKey(ns, r.epoch), r)
          .put(this.digests, `${ns}${SEP}${toHex(r.digest)}`, r.epoch);
        for (const add of this.#extraWrites) add(batch, r);
        written.push(r);
        if (!next.head || r.epoch > next.head.epoch) next.head = { epoch: r.epoch, digest: r.digest };
        // Only a store that lost even its root lacks one; the oldest restored epoch stands in.
        next.root ??= { epoch: r.epoch, digest: r.digest };
      }
      if (next.head) next.status = 'Online';
      next.signedCount = state.signedCount + BigInt(written.length);
      batch.put(this.states, ns, next);
      await batch.write(true);
      for (const r of written) for (const after of this.#afterWrites) after(r);
    });
  }

  /**
   * The start-up check (docs/design-decisions.md, "Signing journal"): every epoch the journal
   * says was signed must be in the store with the same digest, or the namespace refuses to sign
   * until `chorus repair`. A journal behind the store (first start with a journal, a journal
   * moved aside) gets each namespace's newest signature appended; a long journal is compacted.
   */
  async checkJournal(opts: { verify?: (r: SignedEpoch) => boolean } = {}): Promise<JournalCheckResult> {
    const journal = this.options.journal;
    const result: JournalCheckResult = { verdicts: new Map(), extended: [], restored: [], compacted: false };
    if (!journal) return result;
    const byNs = new Map<string, SignedEpoch[]>();
    for (const r of journal.loaded) {
      const list = byNs.get(r.namespace) ?? [];
      list.push(r);
      byNs.set(r.namespace, list);
    }
    for (const [ns, records] of byNs) {
      const stored = new Map<bigint, Uint8Array>();
      for (const r of records) {
        if (stored.has(r.epoch)) continue;
        const s = await this.signatures.get(nsEpochKey(ns, r.epoch));
        if (s) stored.set(r.epoch, s.digest);
      }
      let verdict = judgeNamespace(ns, records, stored);
      const head = (await this.states.get(ns))?.head;
      if (
        opts.verify &&
        isInFlightGap(verdict, records, head) &&
        verdict.kind === 'store-behind' &&
        verdict.missing.every(opts.verify)
      ) {
        await this.restoreSigned(ns, verdict.missing);
        result.restored.push({ namespace: ns, epoch: (verdict.missing[0] as SignedEpoch).epoch });
        verdict = { kind: 'consistent' };
      }
      result.verdicts.set(ns, verdict);
      if (verdict.kind !== 'consistent') {
        this.#refused.set(ns, verdict.reason);
        for (const l of this.#haltListeners) l('store-behind-journal', verdict.reason, ns);
      }
    }
    const newest = new Map<string, SignedEpoch>();
    for (const [ns, records] of byNs) {
      for (const r of records) {
        const n = newest.get(ns);
        if (!n || r.epoch > n.epoch) newest.set(ns, r);
      }
    }
    const append: SignedEpoch[] = [];
    for await (const [ns] of this.states.entries({})) {
      if (this.#refused.has(ns)) continue;
      for await (const top of this.signedEpochs(ns, { reverse: true, limit: 1 })) {
        const n = newest.get(ns);
        if (!n || top.epoch > n.epoch) {
          append.push(top);
          newest.set(ns, top);
          result.extended.push(ns);
        }
      }
    }
    if (
      this.#refused.size === 0 &&
      journal.loaded.length + append.length > (this.options.journalCompactAfter ?? COMPACT_AFTER_RECORDS)
    ) {
      await journal.compact([...newest.values()]);
      result.compacted = true;
    } else {
      await journal.append(append);
    }
    return result;
  }

  /** Runs a write of a signature; a failure halts signing and reaches the caller as 503. */
  async #durably(what: string, write: () => Promise<void> | undefined): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.storeFailed(`${what}: ${errorMessage(err)}`, err);
      throw new SigningHaltedError(
        `the signature could not be stored (${what}), so it is not returned; ` +
          `${this.#storeFailure ?? errorMessage(err)}`,
        { cause: err },
      );
    }
  }

  async #recordConflict(ns: string, s: Submission, signedDigest: Uint8Array): Promise<void> {
    const key = `${nsEpochKey(ns, s.epoch)}${SEP}${toHex(s.digest)}`;
    const now = this.options.now();
    const prev = await this.conflicts.get(key);
    const record: ConflictRecord = prev
      ? { ...prev, lastSeen: now, count: prev.count + 1n }
      : {
          namespace: ns,
          epoch: s.epoch,
          signedDigest,
          submittedDigest: s.digest,
          firstSeen: now,
          lastSeen: now,
          count: 1n,
        };
    await new Batch(this.db).put(this.conflicts, key, record).write(true);
  }
}
