// Cosigned checkpoints (docs/c2sp.md, "Checkpoints in the network"): per (origin, size) the bodies seen
// (normally one) and per body the signatures held — roster witnesses' cosignatures and the origin's log
// signatures, already verified by the caller, one per key, bounded; the latest size per origin; this
// node's own cosignature per (origin, size), never for two bodies; an arrival log per origin for sync;
// checkpoint equivocation proofs, one per fact. Every change is one atomic batch, serialised per origin.
import { createHash, randomBytes } from 'node:crypto';
import type { CheckpointEquivocationKind, CheckpointEquivocationProof } from '../consensus/checkpoint-equivocation.js';
import { signatureKey, type CheckpointSignature } from '../consensus/checkpoint-rules.js';
import { formatNote, formatSignatureLine, parseSignatureLines } from '../c2sp/signed-note.js';
import { ChorusError } from '../util/errors.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { Batch, Table, type RootDb } from './database.js';
import { epochKey, SEP } from './keys.js';

/** Signatures kept per body: far above any roster's witnesses plus log keys, so a flood cannot grow a record. */
export const MAX_SIGNATURES_PER_BODY = 64;

/** This node already cosigned another body for this (origin, size): it never cosigns two (fail closed). */
export class OwnCosignatureConflictError extends ChorusError {
  constructor(
    readonly origin: string,
    readonly size: bigint,
  ) {
    super(
      'own-cosignature-conflict',
      `this node already cosigned another checkpoint body for ${JSON.stringify(origin)} size ${size}; ` +
        'it never cosigns two bodies for one size',
    );
  }
}

export interface CheckpointBody {
  origin: string;
  size: bigint;
  /** The checkpoint note text (body), ending in a newline. */
  text: string;
  firstSeenMs: bigint;
  /** Verified signatures, one per key, in the order they were first held. */
  signatures: CheckpointSignature[];
  /** Position in the origin's arrival log (moves whenever a signature is added). */
  seq: bigint;
}

interface SignatureJson {
  line: string;
  role: 'witness' | 'log';
  signer: string;
  timestamp?: string;
}

interface BodyJson {
  origin: string;
  size: string;
  text: string;
  firstSeenMs: string;
  signatures: SignatureJson[];
  seq: string;
}

export interface StoredCheckpointProof {
  id: string;
  fact: string;
  kind: CheckpointEquivocationKind;
  origin: string;
  namespace: string;
  size: bigint;
  signers: [string, string];
  proof: CheckpointEquivocationProof;
  receivedAt: bigint;
}

type StoredProofJson = Omit<StoredCheckpointProof, 'size' | 'receivedAt'> & { size: string; receivedAt: string };

function sigToJson(s: CheckpointSignature): SignatureJson {
  return {
    line: formatSignatureLine(s.signature),
    role: s.role,
    signer: s.signer,
    ...(s.timestamp !== undefined ? { timestamp: s.timestamp.toString() } : {}),
  };
}

function sigFromJson(j: SignatureJson): CheckpointSignature {
  const signature = parseSignatureLines(j.line)[0] as CheckpointSignature['signature'];
  return {
    signature,
    role: j.role,
    signer: j.signer,
    ...(j.timestamp !== undefined ? { timestamp: BigInt(j.timestamp) } : {}),
  };
}

function bodyToJson(b: CheckpointBody): BodyJson {
  return {
    origin: b.origin,
    size: b.size.toString(),
    text: b.text,
    firstSeenMs: b.firstSeenMs.toString(),
    signatures: b.signatures.map(sigToJson),
    seq: b.seq.toString(),
  };
}

function bodyFromJson(j: BodyJson): CheckpointBody {
  return {
    origin: j.origin,
    size: BigInt(j.size),
    text: j.text,
    firstSeenMs: BigInt(j.firstSeenMs),
    signatures: j.signatures.map(sigFromJson),
    seq: BigInt(j.seq),
  };
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Origins are arbitrary text: keys use their hash (fixed length, no separator inside). */
export function originKey(origin: string): string {
  return sha256Hex(origin);
}

function sizeKey(origin: string, size: bigint): string {
  return `${originKey(origin)}${SEP}${epochKey(size)}`;
}

/** The note of a body with every signature held: log signatures first, then witnesses, each by name and key ID. */
export function mergedNote(body: Pick<CheckpointBody, 'text' | 'signatures'>): string {
  const rank = (s: CheckpointSignature) => (s.role === 'log' ? 0 : 1);
  const sorted = [...body.signatures].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.signature.name < b.signature.name ? -1 : a.signature.name > b.signature.name ? 1 : 0) ||
      a.signature.keyId - b.signature.keyId,
  );
  return formatNote({ text: body.text, signatures: sorted.map((s) => s.signature) });
}

export class CheckpointStore {
  readonly #bodies: Table<CheckpointBody, BodyJson>;
  readonly #latest: Table<string, string>;
  readonly #own: Table<string, string>;
  readonly #arrivals: Table<string, string>;
  readonly #meta: Table<string, string>;
  readonly #proofs: Table<StoredCheckpointProof, StoredProofJson>;
  readonly #proofByFact: Table<string, string>;
  readonly #proofByTime: Table<string, string>;
  readonly #marks: Table<string, string>;
  readonly #mutex = new KeyedMutex();
  readonly #nextSeq = new Map<string, bigint>();
  #logId: string | undefined;

  constructor(
    private readonly db: RootDb,
    private readonly maxSignatures = MAX_SIGNATURES_PER_BODY,
  ) {
    const id = (v: string) => v;
    this.#bodies = new Table(db, 'cp-bodies', bodyToJson, bodyFromJson);
    this.#latest = new Table(db, 'cp-latest', id, id);
    this.#own = new Table(db, 'cp-own', id, id);
    this.#arrivals = new Table(db, 'cp-arrivals', id, id);
    this.#meta = new Table(db, 'cp-meta', id, id);
    this.#proofs = new Table(
      db,
      'cp-proofs',
      (p: StoredCheckpointProof): StoredProofJson => ({
        ...p,
        size: p.size.toString(),
        receivedAt: p.receivedAt.toString(),
      }),
      (j: StoredProofJson): StoredCheckpointProof => ({ ...j, size: BigInt(j.size), receivedAt: BigInt(j.receivedAt) }),
    );
    this.#proofByFact = new Table(db, 'cp-proof-facts', id, id);
    this.#proofByTime = new Table(db, 'cp-proof-time', id, id);
    this.#marks = new Table(db, 'cp-sync-marks', id, id);
  }

  /** Loads (or creates) the arrival log id: a sync mark from another log starts over. */
  async ready(): Promise<void> {
    if (this.#logId !== undefined) return;
    let logId = await this.#meta.get('log-id');
    if (logId === undefined) {
      logId = randomBytes(16).toString('hex');
      await new Batch(this.db).put(this.#meta, 'log-id', logId).write(true);
    }
    this.#logId = logId;
  }

  get logId(): string {
    if (this.#logId === undefined) throw new Error('CheckpointStore: ready() must resolve first');
    return this.#logId;
  }

  /** Every body held for (origin, size), in body-hash order. */
  async bodies(origin: string, size: bigint): Promise<CheckpointBody[]> {
    const prefix = `${sizeKey(origin, size)}${SEP}`;
    const out: CheckpointBody[] = [];
    for await (const [, b] of this.#bodies.entries({ gte: prefix, lt: `${sizeKey(origin, size)}\x01` })) out.push(b);
    return out;
  }

  async body(origin: string, size: bigint, text: string): Promise<CheckpointBody | undefined> {
    return this.#bodies.get(`${sizeKey(origin, size)}${SEP}${sha256Hex(text)}`);
  }

  async latestSize(origin: string): Promise<bigint | undefined> {
    const v = await this.#latest.get(originKey(origin));
    return v === undefined ? undefined : BigInt(v);
  }

  /** The largest size of `origin` this node cosigned, if any (own records are keyed by sortable size). */
  async latestOwnSize(origin: string): Promise<bigint | undefined> {
    const ok = originKey(origin);
    for await (const k of this.#own.sub.keys({ gte: `${ok}${SEP}`, lt: `${ok}\x01`, reverse: true, limit: 1 }))
      return BigInt(k.slice(ok.length + 1));
    return undefined;
  }

  /** The body of ours cosigned for (origin, size), if any. */
  async ownBody(origin: string, size: bigint): Promise<string | undefined> {
    const hash = (await this.#own.get(sizeKey(origin, size)))?.split(' ')[0];
    if (hash === undefined) return undefined;
    return (await this.#bodies.get(`${sizeKey(origin, size)}${SEP}${hash}`))?.text;
  }

  async #seqAfter(origin: string): Promise<bigint> {
    const ok = originKey(origin);
    let next = this.#nextSeq.get(ok);
    if (next === undefined) {
      next = 1n;
      for await (const k of this.#arrivals.sub.keys({ gte: `${ok}${SEP}`, lt: `${ok}\x01`, reverse: true, limit: 1 }))
        next = BigInt(k.slice(ok.length + 1)) + 1n;
    }
    this.#nextSeq.set(ok, next + 1n);
    return next;
  }

  /** Merges verified signatures into a body (created if new), in one batch. Call inside the origin's lock. */
  async #merge(
    origin: string,
    size: bigint,
    text: string,
    sigs: readonly CheckpointSignature[],
    nowMs: bigint,
    batch: Batch,
    /** Kept even on a full body: this node's own cosignature. */
    own?: CheckpointSignature,
  ): Promise<{ added: CheckpointSignature[]; body: CheckpointBody }> {
    const key = `${sizeKey(origin, size)}${SEP}${sha256Hex(text)}`;
    const held = await this.#bodies.get(key);
    const body: CheckpointBody = held ?? { origin, size, text, firstSeenMs: nowMs, signatures: [], seq: 0n };
    const keys = new Set(body.signatures.map((s) => signatureKey(s.signature)));
    const added: CheckpointSignature[] = [];
    for (const s of sigs) {
      if (body.signatures.length >= this.maxSignatures && s !== own) continue;
      const k = signatureKey(s.signature);
      if (keys.has(k)) continue;
      keys.add(k);
      body.signatures.push(s);
      added.push(s);
    }
    if (added.length === 0) return { added, body };
    const ok = originKey(origin);
    if (held) batch.del(this.#arrivals, `${ok}${SEP}${epochKey(held.seq)}`);
    body.seq = await this.#seqAfter(origin);
    batch.put(this.#bodies, key, body).put(this.#arrivals, `${ok}${SEP}${epochKey(body.seq)}`, key);
    const latest = await this.latestSize(origin);
    if (latest === undefined || size > latest) batch.put(this.#latest, ok, size.toString());
    return { added, body };
  }

  /**
   * Adds verified signatures to the body of (origin, size). Returns the ones not held before, the body
   * as now held, and the other bodies held for the same (origin, size) (evidence of a conflict).
   */
  async add(
    origin: string,
    size: bigint,
    text: string,
    sigs: readonly CheckpointSignature[],
    nowMs: bigint,
  ): Promise<{ added: CheckpointSignature[]; body: CheckpointBody; others: CheckpointBody[] }> {
    return this.#mutex.run(originKey(origin), async () => {
      const batch = new Batch(this.db);
      const { added, body } = await this.#merge(origin, size, text, sigs, nowMs, batch);
      if (batch.size > 0) await batch.write(false);
      const others = (await this.bodies(origin, size)).filter((b) => b.text !== text);
      return { added, body, others };
    });
  }

  /**
   * This node's cosignature of (origin, size): `cosign` runs only when nothing was cosigned for that size
   * yet, and its signature is persisted (synced) with `extra` before this returns. The same body again
   * returns the cosignature held (never a second one); another body throws `OwnCosignatureConflictError`.
   */
  async cosignOnce(
    origin: string,
    size: bigint,
    text: string,
    cosign: () => CheckpointSignature,
    extra: readonly CheckpointSignature[],
    nowMs: bigint,
  ): Promise<{
    own: CheckpointSignature;
    added: CheckpointSignature[];
    body: CheckpointBody;
    others: CheckpointBody[];
  }> {
    return this.#mutex.run(originKey(origin), async () => {
      const hash = sha256Hex(text);
      const ownKey = sizeKey(origin, size);
      // The own record is "<body hash> <signature key>": which body, and which of its signatures is ours.
      const [heldHash, heldSig] = (await this.#own.get(ownKey))?.split(' ') ?? [];
      if (heldHash !== undefined && heldHash !== hash) throw new OwnCosignatureConflictError(origin, size);
      const batch = new Batch(this.db);
      let own: CheckpointSignature | undefined;
      if (heldHash !== undefined) {
        const held = await this.#bodies.get(`${ownKey}${SEP}${hash}`);
        own = held?.signatures.find((s) => signatureKey(s.signature) === heldSig);
      }
      const sigs = [...extra];
      const mine = heldHash === undefined ? cosign() : undefined;
      if (mine) sigs.unshift(mine);
      const { added, body } = await this.#merge(origin, size, text, sigs, nowMs, batch, mine);
      if (mine) {
        batch.put(this.#own, ownKey, `${hash} ${signatureKey(mine.signature)}`);
        own = mine;
      }
      if (batch.size > 0) await batch.write(true);
      const others = (await this.bodies(origin, size)).filter((b) => b.text !== text);
      return { own: own as CheckpointSignature, added, body, others };
    });
  }

  /**
   * Bodies of `origin` changed after arrival number `after`, in arrival order, at most `limit`; `last`
   * is the number reached; `done` when nothing after it is held.
   */
  async arrivalPage(
    origin: string,
    after: bigint,
    limit: number,
  ): Promise<{ items: CheckpointBody[]; last: bigint; done: boolean }> {
    const ok = originKey(origin);
    const items: CheckpointBody[] = [];
    let last = after;
    let done = true;
    for await (const [k, bodyKey] of this.#arrivals.entries({ gt: `${ok}${SEP}${epochKey(after)}`, lt: `${ok}\x01` })) {
      if (items.length >= limit) {
        done = false;
        break;
      }
      const b = await this.#bodies.get(bodyKey);
      last = BigInt(k.slice(ok.length + 1));
      if (b) items.push(b);
    }
    return { items, last, done };
  }

  async syncMark(peer: string, origin: string): Promise<string | undefined> {
    return this.#marks.get(`${peer}${SEP}${originKey(origin)}`);
  }

  async setSyncMark(peer: string, origin: string, mark: string): Promise<void> {
    await new Batch(this.db).put(this.#marks, `${peer}${SEP}${originKey(origin)}`, mark).write(false);
  }

  // ---- equivocation proofs --------------------------------------------------------------------

  /**
   * Stores a verified proof unless one of the same fact with a smaller or equal id is held (`known`);
   * a larger one is replaced, so every node converges on the smallest.
   */
  async storeProof(
    record: Omit<StoredCheckpointProof, 'receivedAt'>,
    nowMs: bigint,
  ): Promise<{ result: 'stored' | 'replaced' | 'known'; stored: StoredCheckpointProof }> {
    return this.#mutex.run(`proof${SEP}${record.fact}`, async () => {
      const heldId = await this.#proofByFact.get(record.fact);
      if (heldId !== undefined && heldId <= record.id) {
        return { result: 'known' as const, stored: (await this.#proofs.get(heldId)) as StoredCheckpointProof };
      }
      const stored: StoredCheckpointProof = { ...record, receivedAt: nowMs };
      const batch = new Batch(this.db);
      if (heldId !== undefined) {
        const held = await this.#proofs.get(heldId);
        batch.del(this.#proofs, heldId);
        if (held) {
          batch.del(this.#proofByTime, `${epochKey(held.receivedAt)}${SEP}${heldId}`);
          stored.receivedAt = held.receivedAt;
        }
      }
      batch
        .put(this.#proofs, record.id, stored)
        .put(this.#proofByFact, record.fact, record.id)
        .put(this.#proofByTime, `${epochKey(stored.receivedAt)}${SEP}${record.id}`, record.id);
      await batch.write(true);
      return { result: heldId !== undefined ? ('replaced' as const) : ('stored' as const), stored };
    });
  }

  async proof(id: string): Promise<StoredCheckpointProof | undefined> {
    return this.#proofs.get(id);
  }

  /** Proofs newest first, optionally of one origin. */
  async listProofs(opts: { origin?: string; limit?: number } = {}): Promise<StoredCheckpointProof[]> {
    const out: StoredCheckpointProof[] = [];
    const limit = opts.limit ?? 1000;
    for await (const [, id] of this.#proofByTime.entries({ reverse: true })) {
      const p = await this.#proofs.get(id);
      if (!p || (opts.origin !== undefined && p.origin !== opts.origin)) continue;
      out.push(p);
      if (out.length >= limit) break;
    }
    return out;
  }

  async proofCount(): Promise<number> {
    let n = 0;
    for await (const _ of this.#proofByFact.sub.keys()) n++;
    return n;
  }
}
