// SyncRequest / SyncResponse (proto/chorus.proto) for /chorus/1/sync/2.0.0, with strict decoding:
// a request names exactly one mode, is canonically encoded and its cursor is bounded
// (docs/p2p.md, "Sync protocol").
import { SyncRequestType, SyncResponseType, fromLong, toLong } from '../proto/index.js';
import { observationFromRaw, observationToProto, type Observation } from '../consensus/observation.js';
import { type EquivocationProof } from '../consensus/equivocation.js';
import { DecodeError } from '../util/errors.js';
import { decodeCanonical } from './canonical.js';

/** Longest cursor a server accepts (its own are far shorter). */
export const MAX_SYNC_CURSOR_BYTES = 512;

/** A position in a server's arrival log (log ids are 16 bytes). */
export interface ArrivalMark {
  logId: Uint8Array;
  number: bigint;
}

/** What a sync request asks for: one explicit mode. */
export type SyncMode =
  | { kind: 'observations'; fromEpoch: bigint; toEpoch: bigint }
  | { kind: 'proofs'; fromEpoch: bigint; toEpoch: bigint }
  /** Observations in the server's arrival order, after `resume` when there is no cursor. */
  | { kind: 'arrival'; resume?: ArrivalMark }
  /** Cosigned checkpoint notes of the namespace's checkpoint origin, in the server's checkpoint arrival order. */
  | { kind: 'checkpoints'; resume?: ArrivalMark };

export interface SyncRequest {
  namespace: string;
  /** Items per page; 0 lets the server choose. The server caps it. */
  limit: number;
  /** Opaque: empty for the first page, else the previous answer's `nextCursor`. */
  cursor: Uint8Array;
  mode: SyncMode;
}

export interface SyncResponse {
  observations: Observation[];
  proofs: EquivocationProof[];
  nextCursor: Uint8Array;
  error: string;
  /** Arrival requests: the arrival number this answer reaches (the next sync resumes after it). */
  position?: bigint;
  /** Arrival requests: the server's arrival log id (a wiped store gets a new one). */
  logId?: Uint8Array;
  /** Checkpoints requests: signed checkpoint notes (checked by the receiver like gossip). */
  checkpointNotes: string[];
}

export class SyncDecodeError extends DecodeError {}

interface RawRange {
  from_epoch?: unknown;
  to_epoch?: unknown;
}
interface RawMark {
  log_id?: Uint8Array;
  number?: unknown;
}
interface RawRequest {
  namespace?: string;
  limit?: number;
  cursor?: Uint8Array;
  observations?: RawRange | null;
  proofs?: RawRange | null;
  arrival?: RawMark | null;
  checkpoints?: RawMark | null;
}

function rangeToProto(fromEpoch: bigint, toEpoch: bigint): RawRange {
  // Defaults are left out, as protobuf decoders leave them out: the encoding stays canonical.
  return {
    ...(fromEpoch !== 0n ? { from_epoch: toLong(fromEpoch) } : {}),
    ...(toEpoch !== 0n ? { to_epoch: toLong(toEpoch) } : {}),
  };
}

export function arrivalMarkToProto(m: ArrivalMark | undefined): RawMark {
  if (!m) return {};
  return { ...(m.logId.length ? { log_id: m.logId } : {}), ...(m.number !== 0n ? { number: toLong(m.number) } : {}) };
}

export function arrivalMarkFromProto(raw: RawMark): ArrivalMark {
  return { logId: new Uint8Array(raw.log_id ?? []), number: fromLong(raw.number, 'number') };
}

function encodeRequestRaw(r: SyncRequest): Uint8Array {
  const mode =
    r.mode.kind === 'arrival' || r.mode.kind === 'checkpoints'
      ? { [r.mode.kind]: arrivalMarkToProto(r.mode.resume) }
      : { [r.mode.kind]: rangeToProto(r.mode.fromEpoch, r.mode.toEpoch) };
  return SyncRequestType.encode({
    ...(r.namespace ? { namespace: r.namespace } : {}),
    ...(r.limit ? { limit: r.limit } : {}),
    ...(r.cursor.length ? { cursor: r.cursor } : {}),
    ...mode,
  }).finish();
}

export function encodeSyncRequest(r: SyncRequest): Uint8Array {
  return encodeRequestRaw(r);
}

function decodeRequestRaw(bytes: Uint8Array): SyncRequest {
  let raw: RawRequest;
  try {
    raw = SyncRequestType.decode(bytes) as unknown as RawRequest;
  } catch (err) {
    throw new SyncDecodeError(`undecodable sync request: ${(err as Error).message}`);
  }
  const modes = ['observations', 'proofs', 'arrival', 'checkpoints'] as const;
  const present = modes.filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (present.length !== 1) throw new SyncDecodeError(`a sync request names exactly one mode (got ${present.length})`);
  let mode: SyncMode;
  try {
    const marked = raw.arrival ? 'arrival' : raw.checkpoints ? 'checkpoints' : undefined;
    if (marked !== undefined) {
      const resume = arrivalMarkFromProto(raw[marked] as RawMark);
      mode = resume.logId.length || resume.number !== 0n ? { kind: marked, resume } : { kind: marked };
    } else {
      const kind = present[0] as 'observations' | 'proofs';
      const range = raw[kind] as RawRange;
      const fromEpoch = fromLong(range.from_epoch, 'from_epoch');
      mode = { kind, fromEpoch, toEpoch: fromLong(range.to_epoch, 'to_epoch') };
    }
  } catch (err) {
    throw new SyncDecodeError(`sync request: ${(err as Error).message}`);
  }
  const cursor = new Uint8Array(raw.cursor ?? []);
  const r: SyncRequest = { namespace: raw.namespace ?? '', limit: raw.limit ?? 0, cursor, mode };
  if (!r.namespace) throw new SyncDecodeError('sync request without a namespace');
  if (r.cursor.length > MAX_SYNC_CURSOR_BYTES) throw new SyncDecodeError('sync cursor too long');
  if (mode.kind !== 'arrival' && mode.kind !== 'checkpoints' && mode.fromEpoch > mode.toEpoch) {
    throw new SyncDecodeError('from_epoch is above to_epoch');
  }
  if (
    (mode.kind === 'arrival' || mode.kind === 'checkpoints') &&
    mode.resume &&
    mode.resume.logId.length !== 0 &&
    mode.resume.logId.length !== 16
  ) {
    throw new SyncDecodeError('an arrival log id is 16 bytes');
  }
  return r;
}

/** Strict: one mode, bounded cursor, and the very bytes our encoder makes (no padding, no extras). */
export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  return decodeCanonical(bytes, decodeRequestRaw, encodeRequestRaw, 'sync request');
}

export function encodeSyncResponse(r: Partial<SyncResponse>): Uint8Array {
  return SyncResponseType.encode({
    observations: (r.observations ?? []).map(observationToProto),
    proofs: (r.proofs ?? []).map((p) => ({ first: observationToProto(p.first), second: observationToProto(p.second) })),
    next_cursor: r.nextCursor ?? new Uint8Array(),
    error: r.error ?? '',
    ...(r.position !== undefined ? { position: toLong(r.position) } : {}),
    ...(r.logId !== undefined ? { log_id: r.logId } : {}),
    checkpoint_notes: r.checkpointNotes ?? [],
  }).finish();
}

export function decodeSyncResponse(bytes: Uint8Array): SyncResponse {
  let raw: {
    observations?: object[];
    proofs?: { first?: object; second?: object }[];
    next_cursor?: Uint8Array;
    error?: string;
    position?: unknown;
    log_id?: Uint8Array;
    checkpoint_notes?: string[];
  };
  try {
    raw = SyncResponseType.decode(bytes) as unknown as typeof raw;
  } catch (err) {
    throw new SyncDecodeError(`undecodable sync response: ${(err as Error).message}`);
  }
  try {
    const nextCursor = new Uint8Array(raw.next_cursor ?? []);
    if (nextCursor.length > MAX_SYNC_CURSOR_BYTES) throw new SyncDecodeError('sync cursor too long');
    return {
      observations: (raw.observations ?? []).map((o) => observationFromRaw(o)),
      proofs: (raw.proofs ?? []).map((p) => {
        if (!p.first || !p.second) throw new SyncDecodeError('a proof without both observations');
        return { first: observationFromRaw(p.first), second: observationFromRaw(p.second) };
      }),
      nextCursor,
      error: raw.error ?? '',
      position: fromLong(raw.position, 'position'),
      ...(raw.log_id && raw.log_id.length ? { logId: new Uint8Array(raw.log_id) } : {}),
      checkpointNotes: raw.checkpoint_notes ?? [],
    };
  } catch (err) {
    if (err instanceof SyncDecodeError) throw err;
    throw new SyncDecodeError(`sync response: ${(err as Error).message}`);
  }
}
