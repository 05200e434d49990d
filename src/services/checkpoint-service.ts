// Cosigned checkpoints for the node (docs/c2sp.md, "Checkpoints in the network"): cosigns bodies with the
// node's active key under its roster witness name, ingests notes from gossip, sync and the HTTP API
// (verify, store, merge), turns two bodies for one (origin, size) into a canonical equivocation proof,
// publishes what is new, serves the merged notes, and syncs them with peers.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { parseCheckpoint } from '../c2sp/checkpoint.js';
import { cosigner } from '../c2sp/cosignature.js';
import { formatNote, type NoteSignature } from '../c2sp/signed-note.js';
import {
  buildCheckpointEquivocationProof,
  checkpointProofId,
  encodeCheckpointProof,
  type CheckpointEquivocationProof,
} from '../consensus/checkpoint-equivocation.js';
import {
  decodeCheckpointNote,
  rosterWitnesses,
  signatureKey,
  type CheckpointSignature,
  type RosterWitness,
} from '../consensus/checkpoint-rules.js';
import type { Roster } from '../consensus/roster.js';
import type { SigningKey } from '../crypto/ed25519.js';
import { decodeGossip } from '../gossip/outcome.js';
import { TOPIC_KINDS } from '../gossip/topic-kinds.js';
import { pageThrough, SYNC_PAGE_MAX, SyncPageDecodeError } from '../gossip/sync-pager.js';
import type { SyncSession, ValidationResult } from '../p2p/index.js';
import type { NetworkPart } from './network-service.js';
import {
  mergedNote,
  OwnCosignatureConflictError,
  type CheckpointBody,
  type CheckpointStore,
  type StoredCheckpointProof,
} from '../store/checkpoint-store.js';
import { bytesEqual, fromHex, toHex } from '../util/bytes.js';
import { ChorusError, DecodeError } from '../util/errors.js';
import { encodeSyncCursor, type SyncPosition } from '../wire/sync-cursor.js';
import { encodeSyncResponse, type SyncRequest } from '../wire/sync-messages.js';

const { checkpoints: CHECKPOINTS, checkpointEquivocations: CHECKPOINT_EQUIVOCATIONS } = TOPIC_KINDS;

/** Where a note came from: gossip and sync notes are not re-published (gossipsub forwards what it accepts). */
export type CheckpointSource = 'gossip' | 'sync' | 'api' | 'local';

/** A checkpoint origin the roster does not name. */
export class UnknownOriginError extends ChorusError {
  constructor(readonly origin: string) {
    super('unknown-origin', `checkpoint origin ${JSON.stringify(origin)} is not in the roster`);
  }
}

/** This node has no witness name in the roster (docs/c2sp.md, "Chorus nodes as cosigners"). */
export class CannotCosignError extends ChorusError {
  constructor(message: string) {
    super('cannot-cosign', message);
  }
}

/** What `ingest` did with a note. */
export interface IngestResult {
  outcome: 'accept' | 'ignore' | 'reject';
  reason: string;
  message?: string;
  origin?: string;
  size?: bigint;
  /** Signatures stored that were not held before. */
  added: CheckpointSignature[];
  /** Equivocation proofs this note led to (stored as new facts or replacing larger proofs). */
  equivocations: StoredCheckpointProof[];
}

export interface CosignResult {
  /** The merged note: the body with every signature held for it. */
  note: string;
  /** This node's cosignature (the one made now, or the one made before for the same body). */
  cosignature: NoteSignature;
  /** False when the body was cosigned before (nothing new was signed). */
  fresh: boolean;
  equivocations: StoredCheckpointProof[];
}

export interface CheckpointServiceEvents {
  equivocation: [proof: StoredCheckpointProof, origin: 'local' | 'gossip' | 'sync'];
  checkpoint: [info: { origin: string; size: bigint; added: number; source: CheckpointSource }];
}

/** How the service reaches the network (absent without a roster: nothing is published). */
export interface CheckpointNetwork {
  readonly networkName: string;
  publish(topic: string, data: Uint8Array, what: Record<string, unknown>): Promise<boolean>;
  penalize(peer: string, topic: string, count: number, reason: string): void;
}

export interface CheckpointServiceOptions {
  store: CheckpointStore;
  roster: Roster;
  /** The node's signing key in force at a time (ms): its active key cosigns. */
  signingKey: (nowMs: bigint) => SigningKey;
  /** The roster witness name the node cosigns under; undefined when it has none. */
  witnessName: string | undefined;
  /** The node's roster auditor name (the signer of its own cosignatures). */
  auditorName: string;
  now: () => bigint;
  /** How far in the future a cosignature's timestamp may be (ms). */
  maxFutureMs: bigint;
  logger: Logger;
  network?: CheckpointNetwork;
  syncPageSize?: number;
}

/** A checkpoint sync found junk from a peer: it was penalised and the sync with it stopped. */
export class CheckpointSyncJunkError extends ChorusError {
  constructor(message: string) {
    super('sync-junk', message);
  }
}

function markToArrival(mark: string | undefined): { logId: Uint8Array; number: bigint } | undefined {
  const m = mark === undefined ? undefined : /^([0-9a-f]{32}):([0-9]{1,20})$/.exec(mark);
  return m ? { logId: fromHex(m[1] as string), number: BigInt(m[2] as string) } : undefined;
}

export class CheckpointService extends EventEmitter<CheckpointServiceEvents> implements NetworkPart {
  readonly name = 'checkpoints';
  readonly syncModes = ['checkpoints'] as const;
  readonly #o: CheckpointServiceOptions;
  readonly #witnesses: RosterWitness[];
  readonly counters = { published: 0, proofsPublished: 0, syncNotes: 0 };

  constructor(o: CheckpointServiceOptions) {
    super();
    this.#o = o;
    this.#witnesses = rosterWitnesses(o.roster);
  }

  get store(): CheckpointStore {
    return this.#o.store;
  }

  /** The origins the roster names (namespaces with `checkpoint_origin`). */
  origins(): string[] {
    return this.#o.roster.namespaces.flatMap((n) => (n.checkpointOrigin === undefined ? [] : [n.checkpointOrigin]));
  }

  #nowSeconds(): bigint {
    return this.#o.now() / 1000n;
  }

  /**
   * Cosigns a checkpoint body (with `logSignatures`, verified by the caller, kept beside it), stores it
   * synced, then publishes what is new. The timestamp is now in POSIX seconds (never 0). A body of a size
   * for which this node cosigned another body is refused (`OwnCosignatureConflictError`), never signed.
   */
  async cosignAndPublish(body: string, logSignatures: readonly NoteSignature[] = []): Promise<CosignResult> {
    const cp = parseCheckpoint(body);
    const facts = this.#o.roster.originEntry(cp.origin);
    if (!facts) throw new UnknownOriginError(cp.origin);
    const name = this.#o.witnessName;
    if (name === undefined)
      throw new CannotCosignError('this node has no witness name in the roster (witness_name), so it cannot cosign');
    const nowMs = this.#o.now();
    const timestamp = nowMs / 1000n > 0n ? nowMs / 1000n : 1n;
    const signer = cosigner(name, this.#o.signingKey(nowMs));
    const logs: CheckpointSignature[] = logSignatures.map((signature) => ({
      signature,
      role: 'log',
      signer: `log:${facts.namespace}`,
    }));
    const r = await this.#o.store.cosignOnce(
      cp.origin,
      cp.size,
      body,
      () => ({ signature: signer.cosign(body, timestamp), role: 'witness', signer: this.#o.auditorName, timestamp }),
      logs,
      nowMs,
    );
    const fresh = r.added.some((s) => signatureKey(s.signature) === signatureKey(r.own.signature));
    if (r.added.length) {
      this.emit('checkpoint', { origin: cp.origin, size: cp.size, added: r.added.length, source: 'local' });
      await this.#publishNew(r.body, r.added);
    }
    const equivocations = await this.#detect(r.body, r.others, 'local');
    return { note: mergedNote(r.body), cosignature: r.own.signature, fresh, equivocations };
  }

  /**
   * Verifies a checkpoint note against the roster, stores its new signatures, detects a conflicting body
   * (the result's `equivocations`), and publishes new signatures learnt from `api` or `local` sources.
   */
  async ingest(note: string | Uint8Array, from: CheckpointSource): Promise<IngestResult> {
    let cn;
    try {
      cn = decodeCheckpointNote(note);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return { outcome: 'reject', reason: 'undecodable', message: err.message, added: [], equivocations: [] };
    }
    return this.#ingestDecoded(cn, from);
  }

  async #ingestDecoded(cn: ReturnType<typeof decodeCheckpointNote>, from: CheckpointSource): Promise<IngestResult> {
    const { origin, size } = cn.checkpoint;
    const held = await this.#o.store.body(origin, size, cn.note.text);
    const judged = await CHECKPOINTS.validate(cn, {
      roster: this.#o.roster,
      nowSeconds: this.#nowSeconds(),
      maxFutureSeconds: this.#o.maxFutureMs / 1000n,
      held: new Set((held?.signatures ?? []).map((s) => signatureKey(s.signature))),
      witnesses: this.#witnesses,
    });
    const base = { origin, size, added: [], equivocations: [] };
    if (judged.outcome !== 'accept') return { ...base, ...judged };
    const r = await this.#o.store.add(origin, size, cn.note.text, judged.value.fresh, this.#o.now());
    if (r.added.length === 0) return { ...base, outcome: 'ignore', reason: 'duplicate' };
    this.emit('checkpoint', { origin, size, added: r.added.length, source: from });
    if (from === 'api' || from === 'local') await this.#publishNew(r.body, r.added);
    const equivocations = await this.#detect(r.body, r.others, from === 'api' ? 'local' : from);
    return { outcome: 'accept', reason: 'valid', origin, size, added: r.added, equivocations };
  }

  /**
   * Publishes a body with only the signatures just learnt (peers hold the rest), plus one held witness
   * cosignature and one held log signature when the new ones lack them, so that the note validates alone.
   */
  async #publishNew(body: CheckpointBody, added: readonly CheckpointSignature[]): Promise<void> {
    const net = this.#o.network;
    if (!net) return;
    const sigs = [...added];
    const entry = this.#o.roster.originEntry(body.origin);
    for (const role of ['witness', 'log'] as const) {
      if (role === 'log' && !entry?.logVerifierKeys.length) continue;
      if (sigs.some((s) => s.role === role)) continue;
      const extra = body.signatures.find((s) => s.role === role);
      if (extra) sigs.push(extra);
    }
    const note = formatNote({ text: body.text, signatures: sigs.map((s) => s.signature) });
    const what = { origin: body.origin, size: body.size.toString() };
    if (await net.publish(CHECKPOINTS.topic(net.networkName), new TextEncoder().encode(note), what))
      this.counters.published++;
  }

  /** Proofs from a body and the other bodies held for its (origin, size). */
  async #detect(
    body: CheckpointBody,
    others: readonly CheckpointBody[],
    origin: 'local' | 'gossip' | 'sync',
  ): Promise<StoredCheckpointProof[]> {
    const out: StoredCheckpointProof[] = [];
    for (const other of others) {
      const built = buildCheckpointEquivocationProof(body, other);
      if (!built) continue;
      const r = await this.acceptProof(built.proof, origin, true);
      if (r.stored) out.push(r.stored);
    }
    return out;
  }

  /**
   * Verifies a proof (built here or received), stores it unless a smaller proof of the same fact is held,
   * and publishes it when built here or when it replaced a larger one.
   */
  async acceptProof(
    proof: CheckpointEquivocationProof,
    origin: 'local' | 'gossip' | 'sync',
    publish: boolean,
  ): Promise<{ verdict: ValidationResult; stored?: StoredCheckpointProof }> {
    const { store, roster, logger } = this.#o;
    const id = checkpointProofId(proof);
    const judged = await CHECKPOINT_EQUIVOCATIONS.validate(proof, {
      roster,
      alreadyStored: (await store.proof(id)) !== undefined,
    });
    if (judged.outcome !== 'accept') return { verdict: judged };
    const c = judged.value.check;
    const record = {
      id,
      fact: c.fact,
      kind: c.kind,
      origin: c.origin,
      namespace: c.namespace,
      size: c.size,
      signers: c.signers,
      proof,
    };
    const { result, stored } = await store.storeProof(record, this.#o.now());
    if (result === 'known') return { verdict: { outcome: 'ignore', reason: 'duplicate' } };
    if (result === 'stored') {
      logger.error(
        {
          event: 'checkpoint-equivocation',
          id,
          kind: c.kind,
          origin: c.origin,
          size: c.size.toString(),
          signers: c.signers,
        },
        `checkpoint equivocation for ${c.origin} at size ${c.size}: ${c.kind}`,
      );
      this.emit('equivocation', stored, origin);
    }
    const net = this.#o.network;
    if ((publish || result === 'replaced') && net) {
      const topic = CHECKPOINT_EQUIVOCATIONS.topic(net.networkName);
      if (await net.publish(topic, encodeCheckpointProof(proof), { id })) this.counters.proofsPublished++;
    }
    return { verdict: { outcome: 'accept', reason: 'valid' }, stored };
  }

  // ---- gossip --------------------------------------------------------------------------------

  /** The two network-scoped topics (docs/p2p.md, "Topic kinds"). */
  topics(network: string): ReturnType<NetworkPart['topics']> {
    return [
      { topic: CHECKPOINTS.topic(network), maxBytes: CHECKPOINTS.maxBytes, validate: (d) => this.onGossipNote(d) },
      {
        topic: CHECKPOINT_EQUIVOCATIONS.topic(network),
        maxBytes: CHECKPOINT_EQUIVOCATIONS.maxBytes,
        validate: (d) => this.onGossipProof(d),
      },
    ];
  }

  /** The `checkpoints` topic's validator. */
  async onGossipNote(data: Uint8Array): Promise<ValidationResult> {
    const decoded = decodeGossip(CHECKPOINTS.codec, data);
    if (!('value' in decoded)) return decoded;
    const r = await this.#ingestDecoded(decoded.value, 'gossip');
    return { outcome: r.outcome, reason: r.reason };
  }

  /** The `checkpoint-equivocations` topic's validator. */
  async onGossipProof(data: Uint8Array): Promise<ValidationResult> {
    const decoded = decodeGossip(CHECKPOINT_EQUIVOCATIONS.codec, data);
    if (!('value' in decoded)) return decoded;
    return (await this.acceptProof(decoded.value, 'gossip', false)).verdict;
  }

  // ---- serving -------------------------------------------------------------------------------

  /** The body served for a size: ours if we cosigned one, else the one with most signatures, then the smallest. */
  async #chosen(origin: string, size: bigint): Promise<CheckpointBody | undefined> {
    const bodies = await this.#o.store.bodies(origin, size);
    if (bodies.length <= 1) return bodies[0];
    const own = await this.#o.store.ownBody(origin, size);
    const mine = bodies.find((b) => b.text === own);
    if (mine) return mine;
    return [...bodies].sort((a, b) => b.signatures.length - a.signatures.length || (a.text < b.text ? -1 : 1))[0];
  }

  /** The latest checkpoint of an origin with every signature held; undefined when none is held. */
  async latest(origin: string): Promise<{ size: bigint; note: string } | undefined> {
    const size = await this.#o.store.latestSize(origin);
    if (size === undefined) return undefined;
    const body = await this.#chosen(origin, size);
    return body ? { size, note: mergedNote(body) } : undefined;
  }

  /**
   * What the monitoring path serves: the latest checkpoint this node cosigned, with every signature held on
   * that body. tlog-witness requires the witness's own cosignature in it and a 404 before it cosigned any, so
   * a newer size cosigned only by peers is not served here (docs/c2sp.md, "Checkpoints in the network").
   */
  async latestCosigned(origin: string): Promise<{ size: bigint; note: string } | undefined> {
    const size = await this.#o.store.latestOwnSize(origin);
    if (size === undefined) return undefined;
    const text = await this.#o.store.ownBody(origin, size);
    const body = text === undefined ? undefined : await this.#o.store.body(origin, size, text);
    return body ? { size, note: mergedNote(body) } : undefined;
  }

  /**
   * How many roster auditors' cosignatures are held on the body of (origin, size) with this root hash (one per
   * auditor, whatever its keys); 0 when no such body is held. `GET /witness/logs` shows it (docs/c2sp.md).
   */
  async cosignerCount(origin: string, size: bigint, rootHash: Uint8Array): Promise<number> {
    for (const b of await this.#o.store.bodies(origin, size)) {
      if (!bytesEqual(parseCheckpoint(b.text).rootHash, rootHash)) continue;
      return new Set(b.signatures.filter((s) => s.role === 'witness').map((s) => s.signer)).size;
    }
    return 0;
  }

  /** The note of (origin, size) with every signature held. */
  async note(origin: string, size: bigint): Promise<string | undefined> {
    const body = await this.#chosen(origin, size);
    return body ? mergedNote(body) : undefined;
  }

  async listProofs(opts: { origin?: string; limit?: number } = {}): Promise<StoredCheckpointProof[]> {
    return this.#o.store.listProofs(opts);
  }

  async proof(id: string): Promise<StoredCheckpointProof | undefined> {
    return this.#o.store.proof(id);
  }

  // ---- sync (docs/p2p.md, "Sync protocol") ----------------------------------------------------

  /** Answers a `checkpoints` sync request: the notes of the namespace's origin after the mark, in arrival order. */
  async serveSync(req: SyncRequest, position: SyncPosition | undefined): Promise<Uint8Array> {
    if (req.mode.kind !== 'checkpoints') return encodeSyncResponse({ error: 'not a checkpoints request' });
    if (position && position.kind !== 'arrival')
      return encodeSyncResponse({ error: 'the cursor is not an arrival cursor' });
    const origin = this.#o.roster.namespace(req.namespace)?.checkpointOrigin;
    if (origin === undefined)
      return encodeSyncResponse({ error: `namespace ${req.namespace} has no checkpoint origin` });
    const { store } = this.#o;
    await store.ready();
    const mark = position ?? req.mode.resume;
    const from = mark && toHex(mark.logId) === store.logId ? mark.number : 0n;
    const limit = Math.max(1, Math.min(req.limit || SYNC_PAGE_MAX, SYNC_PAGE_MAX));
    const page = await store.arrivalPage(origin, from, limit);
    const logId = fromHex(store.logId);
    return encodeSyncResponse({
      checkpointNotes: page.items.map((b) => mergedNote(b)),
      nextCursor: page.done ? new Uint8Array() : encodeSyncCursor({ kind: 'arrival', logId, number: page.last }),
      position: page.last,
      logId,
    });
  }

  /** Pulls every origin's notes a peer changed since our last sync with it; each is checked like gossip. */
  async pullSync(session: SyncSession): Promise<void> {
    const { store, roster, network } = this.#o;
    await store.ready();
    for (const ns of roster.namespaces) {
      const origin = ns.checkpointOrigin;
      if (origin === undefined) continue;
      const peer = session.peerId;
      const mark = await store.syncMark(peer, origin);
      const resume = markToArrival(mark);
      const request: SyncRequest = {
        namespace: ns.name,
        limit: this.#o.syncPageSize ?? SYNC_PAGE_MAX,
        cursor: new Uint8Array(),
        mode: resume ? { kind: 'checkpoints', resume } : { kind: 'checkpoints' },
      };
      const topic = network ? CHECKPOINTS.topic(network.networkName) : '';
      try {
        await pageThrough(session, request, async (res) => {
          let invalid = 0;
          for (const note of res.checkpointNotes) {
            const r = await this.ingest(note, 'sync');
            if (r.outcome === 'accept') this.counters.syncNotes++;
            else if (r.outcome === 'reject' || r.origin !== origin) invalid++;
          }
          if (res.logId && res.position !== undefined)
            await store.setSyncMark(peer, origin, `${toHex(res.logId)}:${res.position}`);
          if (invalid > 0) {
            network?.penalize(peer, topic, invalid, 'invalid-sync-checkpoint');
            throw new CheckpointSyncJunkError(`peer ${peer} sent ${invalid} invalid checkpoint note(s) through sync`);
          }
          return !res.logId || res.position === undefined ? 'stop' : undefined;
        });
      } catch (err) {
        if (err instanceof SyncPageDecodeError) {
          network?.penalize(peer, topic, 1, 'undecodable-sync-page');
          throw new CheckpointSyncJunkError(err.message);
        }
        throw err;
      }
    }
  }
}

export { OwnCosignatureConflictError };
