// SyncRequest / SyncResponse (proto/chorus.proto) for /chorus/1/sync/1.0.0, with strict decoding.
import { SyncRequestType, SyncResponseType, fromLong, toLong } from '../proto/index.js';
import { observationFromRaw, observationToProto, type Observation } from '../consensus/observation.js';
import { type EquivocationProof } from '../consensus/equivocation.js';
import { DecodeError } from '../util/errors.js';

export interface SyncRequest {
  namespace: string;
  fromEpoch: bigint;
  toEpoch: bigint;
  cursor: Uint8Array;
  limit: number;
  proofs: boolean;
  /** Observations in the server's arrival order; `cursor` is then `<log id hex>:<arrival number>` to start after. */
  arrival?: boolean;
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
}

export class SyncDecodeError extends DecodeError {}

export function encodeSyncRequest(r: SyncRequest): Uint8Array {
  return SyncRequestType.encode({
    namespace: r.namespace,
    from_epoch: toLong(r.fromEpoch),
    to_epoch: toLong(r.toEpoch),
    cursor: r.cursor,
    limit: r.limit,
    proofs: r.proofs,
    arrival: r.arrival ?? false,
  }).finish();
}

export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  let raw: { namespace?: string; from_epoch?: unknown; to_epoch?: unknown; cursor?: Uint8Array; limit?: number; proofs?: boolean; arrival?: boolean };
  try {
    raw = SyncRequestType.decode(bytes) as unknown as typeof raw;
  } catch (err) {
    throw new SyncDecodeError(`undecodable sync request: ${(err as Error).message}`);
  }
  const r: SyncRequest = {
    namespace: raw.namespace ?? '',
    fromEpoch: fromLong(raw.from_epoch, 'from_epoch'),
    toEpoch: fromLong(raw.to_epoch, 'to_epoch'),
    cursor: new Uint8Array(raw.cursor ?? []),
    limit: raw.limit ?? 0,
    proofs: raw.proofs ?? false,
  };
  if (raw.arrival) r.arrival = true;
  if (!r.namespace) throw new SyncDecodeError('sync request without a namespace');
  if (r.cursor.length > 512) throw new SyncDecodeError('sync cursor too long');
  if (r.fromEpoch > r.toEpoch) throw new SyncDecodeError('from_epoch is above to_epoch');
  return r;
}

export function encodeSyncResponse(r: Partial<SyncResponse>): Uint8Array {
  return SyncResponseType.encode({
    observations: (r.observations ?? []).map(observationToProto),
    proofs: (r.proofs ?? []).map((p) => ({ first: observationToProto(p.first), second: observationToProto(p.second) })),
    next_cursor: r.nextCursor ?? new Uint8Array(),
    error: r.error ?? '',
    ...(r.position !== undefined ? { position: toLong(r.position) } : {}),
    ...(r.logId !== undefined ? { log_id: r.logId } : {}),
  }).finish();
}

export function decodeSyncResponse(bytes: Uint8Array): SyncResponse {
  let raw: { observations?: object[]; proofs?: { first?: object; second?: object }[]; next_cursor?: Uint8Array; error?: string; position?: unknown; log_id?: Uint8Array };
  try {
    raw = SyncResponseType.decode(bytes) as unknown as typeof raw;
  } catch (err) {
    throw new SyncDecodeError(`undecodable sync response: ${(err as Error).message}`);
  }
  try {
    return {
      observations: (raw.observations ?? []).map((o) => observationFromRaw(o)),
      proofs: (raw.proofs ?? []).map((p) => {
        if (!p.first || !p.second) throw new SyncDecodeError('a proof without both observations');
        return { first: observationFromRaw(p.first), second: observationFromRaw(p.second) };
      }),
      nextCursor: new Uint8Array(raw.next_cursor ?? []),
      error: raw.error ?? '',
      position: fromLong(raw.position, 'position'),
      ...(raw.log_id && raw.log_id.length ? { logId: new Uint8Array(raw.log_id) } : {}),
    };
  } catch (err) {
    if (err instanceof SyncDecodeError) throw err;
    throw new SyncDecodeError(`sync response: ${(err as Error).message}`);
  }
}
