// The auditor network (docs/protocol.md §3-§5) on top of the generic libp2p host: one validator per topic
// with explicit outcomes, our own observations published after they are stored, equivocation
// detection on every stored observation, proofs verified, stored and broadcast, doppelgänger
// protection, and sync with every (re)connected peer.
import { DEFAULT_MAX_FUTURE_SKEW_MS } from '../consensus/observation-rules.js';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { ChorusHost, SyncSession } from '../p2p/index.js';
import { SyncPageLimitError } from '../p2p/errors.js';
import { encodeSignedAlert, type Alert, type SignedAlert } from '../consensus/alerts.js';
import type { ValidationResult } from '../p2p/index.js';
import { verifyStrictAsync } from '../crypto/ed25519-async.js';
import { encodeObservation, type Observation } from '../consensus/observation.js';
import { proofId, detectEquivocation, encodeEquivocationProof } from '../consensus/equivocation.js';
import type { EquivocationProof } from '../consensus/equivocation.js';
import type { Verdict } from '../consensus/observation-rules.js';
import type { Roster } from '../consensus/roster.js';
import type { ObservationStore, StoredProof } from '../store/observation-store.js';
import type { SigningStore } from '../store/signing-store.js';
import type { SignedEpoch } from '../store/records.js';
import { observationKey } from '../store/observation-store.js';
import { nsEpochKey, SEP } from '../store/keys.js';
import { bytesEqual, concatBytes, fromHex, toHex } from '../util/bytes.js';
import { ChorusError, errorMessage } from '../util/errors.js';
import { U64_MAX } from '../util/u64.js';
import { Batch, Table, type RootDb } from '../store/database.js';
import { decodeSyncRequest, encodeSyncResponse, type ArrivalMark, type SyncRequest } from '../wire/sync-messages.js';
import { decodeSyncCursor, encodeSyncCursor, type SyncPosition } from '../wire/sync-cursor.js';
import { decodeGossip, guardedValidator } from '../gossip/outcome.js';
import { TOPIC_KINDS } from '../gossip/topic-kinds.js';
import { ARRIVAL_SCAN_MAX, pageThrough, SYNC_PAGE_MAX, SyncPageDecodeError } from '../gossip/sync-pager.js';

export interface NetworkEvents {
  alert: [info: { alert: Alert; raisedBy: string }];
  equivocation: [proof: StoredProof, origin: 'local' | 'gossip' | 'sync'];
  observation: [o: Observation, origin: 'local' | 'gossip' | 'sync' | 'import'];
  doppelganger: [info: { namespace: string; epoch: bigint; digest: string; reason: string }];
}

export interface NetworkOptions {
  /** Without a host (a node run without a roster) evidence is still gathered, just not gossiped. */
  host?: ChorusHost;
  roster: Roster;
  db: RootDb;
  signing: SigningStore;
  observations: ObservationStore;
  /** Namespaces this node audits (their observation topics are subscribed). */
  audited: string[];
  /** Our own signing keys (doppelgänger protection). */
  ownKeys: Uint8Array[];
  logger: Logger;
  now: () => bigint;
  /** How far in the future an observation's timestamp may be. Default 10 minutes. */
  maxFutureMs?: bigint;
  /** Observations per sync page (the server caps it). */
  syncPageSize?: number;
  /**
   * About this often (ms), sync with one random connected peer, besides on each (re)connection.
   * Gossip is not forwarded back to the peer id it came from, so a second host running under our
   * own peer id (a restored copy of the data directory) is only seen through a peer's store;
   * periodic sync also repairs anything else gossip dropped. Off when absent.
   */
  syncIntervalMs?: number;
  /**
   * Sync requests (pages) per namespace in one sync with one peer; the host's
   * `sync.maxPagesPerSession` (64) when absent. A node further behind resumes from its mark on the
   * next sync (docs/p2p.md, "Flood protection").
   */
  syncMaxPages?: number;
}

/**
 * A part of the node with its own gossip topics and sync mode (the checkpoint service: docs/c2sp.md,
 * "Checkpoints in the network"). Registered before the host starts; `syncWithPeer` pulls every part.
 */
export interface NetworkPart {
  readonly name: string;
  /** Topic -> validator of its messages (network-scoped topics). */
  topics(
    network: string,
  ): { topic: string; maxBytes: number; validate(data: Uint8Array, from: string): Promise<ValidationResult> }[];
  /** The sync modes it answers. */
  readonly syncModes: readonly SyncRequest['mode']['kind'][];
  serveSync(req: SyncRequest, position: SyncPosition | undefined): Promise<Uint8Array>;
  pullSync(session: SyncSession): Promise<void>;
}

/** A peer sent invalid data through sync: it was penalised and the sync with it stopped. */
export class SyncJunkError extends ChorusError {
  constructor(message: string) {
    super('sync-junk', message);
  }
}

const { observations: OBSERVATIONS, equivocations: EQUIVOCATIONS, alerts: ALERTS } = TOPIC_KINDS;

/** A mark "<log id hex>:<arrival number>" (how marks are kept in the database) as a resume position. */
function markToArrival(mark: string | undefined): ArrivalMark | undefined {
  const m = mark === undefined ? undefined : /^([0-9a-f]{32}):([0-9]{1,20})$/.exec(mark);
  if (!m) return undefined;
  const number = BigInt(m[2] as string);
  return number > U64_MAX ? undefined : { logId: fromHex(m[1] as string), number };
}

export function observationFromSigned(r: SignedEpoch): Observation {
  return {
    ciphersuite: r.ciphersuite,
    namespace: r.namespace,
    timestamp: r.timestamp,
    epoch: r.epoch,
    digest: r.digest,
    signature: r.signature,
    signerKey: r.publicKey,
  };
}

export class NetworkService extends EventEmitter<NetworkEvents> {
  readonly #o: NetworkOptions;
  readonly #audited: Set<string>;
  /** (peer, namespace) -> the peer's arrival number our last sync reached. */
  readonly #arrivalMarks: Table<string, string>;
  readonly #syncing = new Set<string>();
  readonly #parts: NetworkPart[] = [];
  #syncTimer: NodeJS.Timeout | undefined;
  #detached = false;
  readonly counters = {
    syncRuns: 0,
    syncObservations: 0,
    syncProofs: 0,
    syncFailures: 0,
    /** Syncs (per namespace) stopped at the page bound; they resume from the mark next time. */
    syncCutOffs: 0,
    /** Invalid items (or undecodable pages) received through sync, each penalised like invalid gossip. */
    syncPenalties: 0,
    proofsPublished: 0,
  };
  #gossipInternalErrors = 0;

  constructor(o: NetworkOptions) {
    super();
    this.#o = o;
    this.#audited = new Set(o.audited);
    this.#arrivalMarks = new Table(
      o.db,
      'sync-arrival-marks',
      (v: string) => v,
      (v: string) => v,
    );
  }

  /** The roster's network name (it names the topics). */
  get networkName(): string {
    return this.#o.roster.network;
  }

  /**
   * Gossip validations that failed on our own error rather than on the message (the message was
   * ignored, its sender not penalised): `chorus_gossip_internal_errors_total`. Kept out of
   * `counters`, which the admin API serves as they are.
   */
  get gossipInternalErrors(): number {
    return this.#gossipInternalErrors;
  }

  /** Counted and logged; the message is ignored, not rejected (src/gossip/outcome.ts). */
  readonly #onInternalError = (error: string, from: string): void => {
    this.#gossipInternalErrors++;
    const what = { event: 'gossip-internal-error', from, err: error };
    this.#o.logger.error(what, 'a gossip validation failed on our side; message ignored');
  };

  /** Subscribes the topics and the sync handler; call before the host starts. */
  async attach(): Promise<void> {
    const { host } = this.#o;
    if (!host) return;
    for (const ns of this.#audited) {
      host.subscribe(OBSERVATIONS.topic(this.networkName, ns), {
        maxBytes: OBSERVATIONS.maxBytes,
        validate: guardedValidator((data, from) => this.#onObservationMessage(ns, data, from), this.#onInternalError),
      });
    }
    host.subscribe(EQUIVOCATIONS.topic(this.networkName), {
      maxBytes: EQUIVOCATIONS.maxBytes,
      validate: guardedValidator((data) => this.#onProofMessage(data), this.#onInternalError),
    });
    host.subscribe(ALERTS.topic(this.networkName), {
      maxBytes: ALERTS.maxBytes,
      validate: guardedValidator((data) => this.#onAlertMessage(data), this.#onInternalError),
    });
    await host.handleSync((req, peer) => this.#serveSync(req, peer));
    // Only roster members keep and serve observations; a monitor or a stranger has nothing to
    // sync from (and would only answer with a reset stream).
    const members = new Set(this.#o.roster.auditors.flatMap((a) => (a.peerId ? [a.peerId] : [])));
    host.onPeerConnected((peer) => {
      if (members.has(peer)) void this.syncWithPeer(peer);
    });
    const every = this.#o.syncIntervalMs;
    if (every) {
      // Anti-entropy as epidemic protocols do it: one random peer per round (0.5-1.5 intervals
      // apart), not all of them. Syncing every peer every round costs each node a full copy of
      // each peer's new observations per round, n² across the network; one peer per round still
      // spreads whatever one node holds to all of them in a few rounds.
      const round = (): void => {
        this.#syncTimer = setTimeout(
          () => {
            if (this.#detached) return;
            const peers = host.connectedPeers().filter((p) => members.has(p));
            const peer = peers[Math.floor(Math.random() * peers.length)];
            if (peer !== undefined) void this.syncWithPeer(peer);
            round();
          },
          every * (0.5 + Math.random()),
        );
        this.#syncTimer.unref();
      };
      round();
    }
  }

  /** Adds a part's topics and sync mode; call before the host starts (like `attach`). */
  registerPart(part: NetworkPart): void {
    this.#parts.push(part);
    const { host } = this.#o;
    if (!host) return;
    for (const t of part.topics(this.networkName)) {
      host.subscribe(t.topic, {
        maxBytes: t.maxBytes,
        validate: guardedValidator((data, from) => t.validate(data, from), this.#onInternalError),
      });
    }
  }

  /** Publishes on any topic; false (logged) when it could not: sync will carry it. */
  publish(topic: string, data: Uint8Array, what: Record<string, unknown>): Promise<boolean> {
    return this.#publish(topic, data, what);
  }

  /** Penalises a peer for invalid data received through sync (as invalid gossip on `topic`). */
  penalize(peer: string, topic: string, count: number, reason: string): void {
    this.#penalize(peer, topic, count, reason);
  }

  /** Stops the periodic sync (the host itself is stopped by its owner). */
  detach(): void {
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    this.#detached = true;
  }

  async #publish(topic: string, data: Uint8Array, what: Record<string, unknown>): Promise<boolean> {
    if (!this.#o.host) return false;
    try {
      await this.#o.host.publish(topic, data);
      return true;
    } catch (err) {
      this.#o.logger.warn(
        { event: 'publish-failed', ...what, err: errorMessage(err) },
        'could not publish; sync will carry it',
      );
      return false;
    }
  }

  #publishObservation(o: Observation): Promise<boolean> {
    const what = { namespace: o.namespace, epoch: o.epoch.toString() };
    return this.#publish(OBSERVATIONS.topic(this.networkName, o.namespace), encodeObservation(o), what);
  }

  /** Called after each new signature of ours is stored: publish it, look for conflicts. */
  async onSigned(record: SignedEpoch): Promise<void> {
    const o = observationFromSigned(record);
    this.emit('observation', o, 'local');
    await this.#detect(o, await this.#o.observations.othersAt(o), 'local');
    await this.#publishObservation(o);
  }

  /** An observation this node received first-hand (a log-signed report): store, check, publish. */
  async publishLocal(o: Observation): Promise<void> {
    const { stored, known } = await this.#o.observations.storeObservation(o);
    if (!stored) return;
    this.emit('observation', o, 'local');
    await this.#detect(o, known, 'local');
    await this.#publishObservation(o);
  }

  // ---- observations ------------------------------------------------------------------------

  async #onObservationMessage(topicNs: string, data: Uint8Array, from: string): Promise<ValidationResult> {
    const decoded = decodeGossip(OBSERVATIONS.codec, data);
    if (!('value' in decoded)) return decoded;
    const verdict = await this.ingestObservation(decoded.value, 'gossip', topicNs);
    if (verdict.outcome === 'reject')
      this.#o.logger.debug({ event: 'observation-rejected', from, reason: verdict.reason }, 'rejected an observation');
    return verdict;
  }

  /** Validates, stores and checks one observation from gossip or sync. */
  async ingestObservation(
    o: Observation,
    origin: 'gossip' | 'sync' | 'import',
    topicNamespace?: string,
  ): Promise<Verdict> {
    const { observations, roster } = this.#o;
    const facts = {
      audited: (ns: string) => this.#audited.has(ns),
      roster,
      nowMs: this.#o.now(),
      maxFutureMs: this.#o.maxFutureMs ?? BigInt(DEFAULT_MAX_FUTURE_SKEW_MS),
      alreadyStored: await observations.hasObservation(o),
      verify: verifyStrictAsync,
      ...(topicNamespace !== undefined ? { topicNamespace } : {}),
    };
    const judged = await OBSERVATIONS.validate(o, facts);
    if (judged.outcome !== 'accept') return judged;
    const verdict: Verdict = { outcome: 'accept', reason: 'valid' };
    await this.#checkDoppelganger(o);
    const { stored, known } = await observations.storeObservation(o);
    if (!stored) return { outcome: 'ignore', reason: 'duplicate' };
    this.emit('observation', o, origin);
    await this.#detect(o, known, origin === 'import' ? 'local' : origin);
    return verdict;
  }

  /** An observation imported from an external Plexi auditor: checked like gossip, then published. */
  async importObservation(o: Observation): Promise<Verdict> {
    const verdict = await this.ingestObservation(o, 'import');
    if (verdict.outcome === 'accept') {
      await this.#publishObservation(o);
    }
    return verdict;
  }

  /**
   * A valid observation signed with our own key that we did not produce means the same key runs
   * somewhere else. Stop signing until the operator says otherwise (design: doppelgänger
   * protection); the observation itself is kept: it is evidence.
   */
  async #checkDoppelganger(o: Observation): Promise<void> {
    if (!this.#o.ownKeys.some((k) => bytesEqual(k, o.signerKey))) return;
    const mine = await this.#o.signing.signedEpoch(o.namespace, o.epoch);
    if (mine && bytesEqual(mine.digest, o.digest) && bytesEqual(mine.signature, o.signature)) return;
    const reason =
      `an observation signed with this node's key ${toHex(o.signerKey)} for ${o.namespace} epoch ${o.epoch} ` +
      `(digest ${toHex(o.digest)}) was not produced by this node: the key is in use elsewhere`;
    if (this.#o.signing.haltReason === undefined) {
      await this.#o.signing.halt(reason);
      this.#o.logger.error(
        { event: 'doppelganger', namespace: o.namespace, epoch: o.epoch.toString(), digest: toHex(o.digest) },
        `signing halted: ${reason}`,
      );
      this.emit('doppelganger', { namespace: o.namespace, epoch: o.epoch, digest: toHex(o.digest), reason });
    }
  }

  async #detect(o: Observation, known: Observation[], origin: 'local' | 'gossip' | 'sync'): Promise<void> {
    const proof = detectEquivocation(known, o, this.#o.roster);
    if (!proof) return;
    await this.#acceptProof(proof, origin === 'local' ? 'local' : origin, true);
  }

  // ---- equivocation proofs -------------------------------------------------------------------

  async #onProofMessage(data: Uint8Array): Promise<ValidationResult> {
    const decoded = decodeGossip(EQUIVOCATIONS.codec, data);
    if (!('value' in decoded)) return decoded;
    return this.#acceptProof(decoded.value, 'gossip', false);
  }

  /**
   * Re-verifies a proof (ours or received), stores it, and publishes it when we built it or it
   * replaced a larger one. Outcomes follow the slashing topics: ignore a fact already known,
   * reject anything that does not prove an equivocation.
   */
  async #acceptProof(
    proof: EquivocationProof,
    origin: 'local' | 'gossip' | 'sync',
    publish: boolean,
  ): Promise<ValidationResult> {
    const { roster, observations, logger } = this.#o;
    const ns = proof.first.namespace;
    const judged = await EQUIVOCATIONS.validate(proof, {
      roster,
      knownNamespace: (n) => this.#audited.has(n) || roster.namespace(n) !== undefined,
      // The same bytes were verified when they were stored: every sync offers every proof again.
      alreadyStored: (await observations.proof(proofId(proof))) !== undefined,
      verify: verifyStrictAsync,
    });
    if (judged.outcome !== 'accept') return judged;
    const { kind, signers } = judged.value;
    const { result, stored } = await observations.storeProof(proof, kind, signers, this.#o.now());
    if (result === 'known') return { outcome: 'ignore', reason: 'duplicate' };
    for (const o of [proof.first, proof.second]) {
      // A proof may be the first we hear of an observation under our own key (a proof convicting
      // it is the clearest sign that it signs elsewhere too): check before the observation is
      // stored, since a stored one is later ignored as a duplicate.
      await this.#checkDoppelganger(o);
      // The proof's observations are valid observations of a namespace we audit: keep them.
      if (this.#audited.has(ns) && (await observations.storeObservation(o)).stored) this.emit('observation', o, origin);
    }
    if (result === 'stored') {
      logger.error(
        {
          event: 'equivocation',
          id: stored.id,
          kind: stored.kind,
          namespace: ns,
          epoch: stored.epoch.toString(),
          signers: stored.signers,
          digests: [toHex(proof.first.digest), toHex(proof.second.digest)],
          origin,
        },
        `equivocation in ${ns} at epoch ${stored.epoch}: ${stored.kind}`,
      );
      this.emit('equivocation', stored, origin);
    } else {
      // The same fact, proven by a smaller proof: kept so every node converges on one proof.
      logger.debug(
        { event: 'equivocation-proof-replaced', id: stored.id, namespace: ns, epoch: stored.epoch.toString() },
        'kept the smaller proof of a known equivocation',
      );
    }
    const topic = EQUIVOCATIONS.topic(this.networkName);
    if (publish && (await this.#publish(topic, encodeEquivocationProof(proof), { id: stored.id }))) {
      this.counters.proofsPublished++;
    }
    return { outcome: 'accept', reason: 'valid' };
  }

  // ---- alerts --------------------------------------------------------------------------------

  async #onAlertMessage(data: Uint8Array): Promise<ValidationResult> {
    const decoded = decodeGossip(ALERTS.codec, data);
    if (!('value' in decoded)) return decoded;
    const maxFutureMs = this.#o.maxFutureMs ?? BigInt(DEFAULT_MAX_FUTURE_SKEW_MS);
    const facts = { roster: this.#o.roster, nowMs: this.#o.now(), maxFutureMs, verify: verifyStrictAsync };
    const judged = await ALERTS.validate(decoded.value, facts);
    if (judged.outcome !== 'accept') return judged;
    this.emit('alert', judged.value);
    return { outcome: 'accept', reason: 'valid' };
  }

  async publishAlert(signed: SignedAlert): Promise<void> {
    await this.#publish(ALERTS.topic(this.networkName), encodeSignedAlert(signed), { alert: 'publish' });
  }

  // ---- sync ----------------------------------------------------------------------------------

  async #serveSync(bytes: Uint8Array, _peer: string): Promise<Uint8Array> {
    let req: SyncRequest;
    let position: SyncPosition | undefined;
    try {
      req = decodeSyncRequest(bytes);
      if (req.cursor.length) position = decodeSyncCursor(req.cursor);
    } catch (err) {
      return encodeSyncResponse({ error: errorMessage(err) });
    }
    const ns = req.namespace;
    const known = this.#audited.has(ns) || this.#o.roster.namespace(ns) !== undefined;
    if (!known) return encodeSyncResponse({ error: `namespace ${ns} is not known here` });
    const limit = Math.max(1, Math.min(req.limit || SYNC_PAGE_MAX, SYNC_PAGE_MAX));
    const { observations } = this.#o;
    const mode = req.mode;
    if (mode.kind === 'checkpoints') {
      const part = this.#parts.find((p) => p.syncModes.includes(mode.kind));
      return part ? part.serveSync(req, position) : encodeSyncResponse({ error: `${mode.kind} are not served here` });
    }
    if (mode.kind === 'arrival') {
      if (position && position.kind !== 'arrival') {
        return encodeSyncResponse({ error: 'the cursor is not an arrival cursor' });
      }
      await observations.ready();
      const logId = observations.arrivalLogId;
      // A mark from another log (this store was wiped, or another host answered under our peer
      // id) says nothing about this one: start from the start.
      const mark = position ?? mode.resume;
      const from = mark && toHex(mark.logId) === logId ? mark.number : 0n;
      const page = await observations.arrivalPage(ns, from, limit, ARRIVAL_SCAN_MAX);
      return encodeSyncResponse({
        observations: page.items,
        nextCursor: page.done
          ? new Uint8Array()
          : encodeSyncCursor({ kind: 'arrival', logId: fromHex(logId), number: page.last }),
        position: page.last,
        logId: fromHex(logId),
      });
    }
    // By epoch: the cursor names the last item sent; the store key is built here from its parts,
    // never taken from the wire (docs/p2p.md, "Sync protocol").
    if (position && position.kind !== 'epoch-item') {
      return encodeSyncResponse({ error: 'the cursor is not a by-epoch cursor' });
    }
    const itemBytes = mode.kind === 'proofs' ? 32 : 64;
    if (position && position.item.length !== itemBytes) {
      return encodeSyncResponse({ error: `a ${mode.kind} cursor item is ${itemBytes} bytes` });
    }
    if (mode.kind === 'proofs') {
      const after = position ? `${nsEpochKey(ns, position.epoch)}${SEP}${toHex(position.item)}` : undefined;
      const page = await observations.proofPage(ns, mode.fromEpoch, mode.toEpoch, after, limit);
      const last = page.items[page.items.length - 1];
      return encodeSyncResponse({
        proofs: page.items.map((p) => p.proof),
        nextCursor:
          page.items.length === limit && last
            ? encodeSyncCursor({ kind: 'epoch-item', epoch: last.epoch, item: fromHex(last.id) })
            : new Uint8Array(),
      });
    }
    const after = position
      ? observationKey({
          namespace: ns,
          epoch: position.epoch,
          digest: position.item.subarray(0, 32),
          signerKey: position.item.subarray(32),
        })
      : undefined;
    const page = await observations.observationPage(ns, mode.fromEpoch, mode.toEpoch, after, limit);
    const last = page.items[page.items.length - 1];
    return encodeSyncResponse({
      observations: page.items,
      nextCursor:
        page.items.length === limit && last
          ? encodeSyncCursor({ kind: 'epoch-item', epoch: last.epoch, item: concatBytes(last.digest, last.signerKey) })
          : new Uint8Array(),
    });
  }

  /**
   * Pulls, from one peer, every proof of the namespaces we audit and every observation the peer
   * stored since our last sync with it (its arrival log, whatever the epoch: an auditor catching
   * up signs old epochs late); each goes through the same checks as gossip. Runs on every
   * (re)connection, so a node that was down or partitioned learns what it missed.
   * Bounded (docs/p2p.md, "Flood protection"): at most `syncMaxPages` requests per namespace; a
   * cut-off sync keeps what validated and resumes from its mark next time. Invalid data (an
   * undecodable page, an observation or proof our checks reject, an observation of another
   * namespace) penalises the peer like invalid gossip and ends the sync with it.
   */
  async syncWithPeer(peer: string): Promise<void> {
    if (this.#syncing.has(peer)) return;
    this.#syncing.add(peer);
    this.counters.syncRuns++;
    const { logger } = this.#o;
    try {
      for (const ns of this.#audited) {
        const host = this.#o.host;
        if (!host) return;
        const session = host.syncSession(peer, this.#o.syncMaxPages);
        const markKey = `${peer}\x00${ns}`;
        const mark = await this.#arrivalMarks.get(markKey);
        // The mark is "<log id>:<arrival number>". The peer's answers stop where its log is
        // complete (no batch still in flight below), so the next sync resumes exactly after it:
        // nothing is skipped or fetched twice; a mark from another log starts over. It moves
        // after every checked page, so what a cut-off or failed sync validated is not asked again.
        const progress: { reached: string | undefined } = { reached: mark };
        try {
          await this.#pullProofs(session, ns);
          await this.#pullArrivals(session, ns, progress);
        } catch (err) {
          if (!(err instanceof SyncPageLimitError)) throw err;
          this.counters.syncCutOffs++;
          logger.info(
            { event: 'sync-cut-off', peer, namespace: ns, pages: session.pages },
            'sync page bound reached; the next sync resumes from here',
          );
        } finally {
          if (progress.reached !== undefined && progress.reached !== mark)
            await new Batch(this.#o.db).put(this.#arrivalMarks, markKey, progress.reached).write(false);
        }
      }
      for (const part of this.#parts) {
        const host = this.#o.host;
        if (!host) return;
        try {
          await part.pullSync(host.syncSession(peer, this.#o.syncMaxPages));
        } catch (err) {
          if (!(err instanceof SyncPageLimitError)) throw err;
          this.counters.syncCutOffs++;
          logger.info({ event: 'sync-cut-off', peer, part: part.name }, 'sync page bound reached; resumes next time');
        }
      }
      logger.debug({ event: 'sync-done', peer }, 'synced with peer');
    } catch (err) {
      this.counters.syncFailures++;
      logger.warn(
        { event: 'sync-failed', peer, err: errorMessage(err) },
        'sync with peer failed; it will be retried on the next connection',
      );
    } finally {
      this.#syncing.delete(peer);
    }
  }

  #penalize(peer: string, topic: string, count: number, reason: string): void {
    this.counters.syncPenalties += count;
    this.#o.logger.warn(
      { event: 'sync-penalty', peer, topic, count, reason },
      'invalid data through sync: peer penalised',
    );
    try {
      this.#o.host?.penalizePeer(peer, topic, count);
    } catch (err) {
      this.#o.logger.error(
        { event: 'sync-penalty-failed', peer, topic, err: errorMessage(err) },
        'could not penalise a peer',
      );
    }
  }

  /** Pages through a sync of one namespace; an undecodable page is invalid data (penalised, sync ended). */
  async #pageThrough(
    session: SyncSession,
    request: SyncRequest,
    onPage: Parameters<typeof pageThrough>[2],
  ): Promise<void> {
    try {
      await pageThrough(session, request, onPage);
    } catch (err) {
      if (err instanceof SyncPageDecodeError) {
        const topic = OBSERVATIONS.topic(this.networkName, request.namespace);
        this.#penalize(session.peerId, topic, 1, 'undecodable-sync-page');
        throw new SyncJunkError(err.message);
      }
      throw err;
    }
  }

  /**
   * Pages through a peer's arrival log for one namespace after `progress.reached`
   * ("<log id>:<n>"), moving it after each checked page (left alone when the peer names no log).
   */
  async #pullArrivals(session: SyncSession, ns: string, progress: { reached: string | undefined }): Promise<void> {
    const peer = session.peerId;
    const resume = markToArrival(progress.reached);
    let logId: string | undefined;
    const request: SyncRequest = {
      namespace: ns,
      limit: this.#o.syncPageSize ?? SYNC_PAGE_MAX,
      cursor: new Uint8Array(),
      mode: resume ? { kind: 'arrival', resume } : { kind: 'arrival' },
    };
    await this.#pageThrough(session, request, async (res) => {
      let invalid = 0;
      for (const o of res.observations) {
        if (o.namespace !== ns) {
          invalid++;
          continue;
        }
        const v = await this.ingestObservation(o, 'sync');
        if (v.outcome === 'accept') this.counters.syncObservations++;
        else if (v.outcome === 'reject') invalid++;
      }
      if (res.logId && res.position !== undefined) {
        const id = toHex(res.logId);
        // Two logs in one sync: two hosts answer under one peer id. What they sent is checked and
        // kept (doppelgänger protection sees it); the mark is left for the next sync.
        if (logId !== undefined && id !== logId)
          throw new Error(`peer ${peer} answered from two arrival logs in one sync (two hosts under one peer id?)`);
        logId = id;
        // The page was checked item by item: even with junk in it, nothing in it needs asking again.
        progress.reached = `${id}:${res.position}`;
      }
      if (invalid > 0) {
        this.#penalize(peer, OBSERVATIONS.topic(this.networkName, ns), invalid, 'invalid-sync-observation');
        throw new SyncJunkError(`peer ${peer} sent ${invalid} invalid observation(s) of ${ns} through sync`);
      }
      return !res.logId || res.position === undefined ? 'stop' : undefined;
    });
  }

  /** Pages through every proof of one namespace a peer holds (by epoch, from 0: they are few). */
  async #pullProofs(session: SyncSession, ns: string): Promise<void> {
    const request: SyncRequest = {
      namespace: ns,
      limit: this.#o.syncPageSize ?? SYNC_PAGE_MAX,
      cursor: new Uint8Array(),
      mode: { kind: 'proofs', fromEpoch: 0n, toEpoch: U64_MAX },
    };
    await this.#pageThrough(session, request, async (res) => {
      let invalid = 0;
      for (const p of res.proofs) {
        const v = await this.#acceptProof(p, 'sync', false);
        if (v.outcome === 'accept') this.counters.syncProofs++;
        else if (v.outcome === 'reject') invalid++;
      }
      if (invalid > 0) {
        this.#penalize(session.peerId, EQUIVOCATIONS.topic(this.networkName), invalid, 'invalid-sync-proof');
        throw new SyncJunkError(
          `peer ${session.peerId} sent ${invalid} invalid equivocation proof(s) of ${ns} through sync`,
        );
      }
      return undefined;
    });
  }
}
