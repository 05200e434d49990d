// Sync cursors (proto/chorus.proto SyncCursor; docs/p2p.md, "Sync protocol"). A cursor is opaque to
// the client, which only passes it back; the server that made it reads it, and reads it strictly:
// canonical, bounded, and of the request's mode. A hostile cursor is refused with a clear error;
// it never becomes a store key, since the server builds its keys from the decoded position.
import { SyncCursorType, fromLong, toLong } from '../proto/index.js';
import { decodeCanonical } from './canonical.js';
import { arrivalMarkFromProto, arrivalMarkToProto, MAX_SYNC_CURSOR_BYTES, SyncDecodeError } from './sync-messages.js';
import type { ArrivalMark } from './sync-messages.js';

/** Where a page ended: the last item of a by-epoch page, or the arrival number reached. */
export type SyncPosition =
  { kind: 'epoch-item'; epoch: bigint; item: Uint8Array } | ({ kind: 'arrival' } & ArrivalMark);

/** Longest item tag inside a by-epoch cursor (an observation's digest and signer key: 64 bytes). */
const MAX_ITEM_BYTES = 64;

interface RawCursor {
  epoch_item?: { epoch?: unknown; item?: Uint8Array } | null;
  arrival?: { log_id?: Uint8Array; number?: unknown } | null;
}

export function encodeSyncCursor(p: SyncPosition): Uint8Array {
  // Defaults are left out, as the decoder leaves them out: the encoding stays canonical.
  const item = { ...(p.kind === 'epoch-item' && p.epoch !== 0n ? { epoch: toLong(p.epoch) } : {}) };
  const raw =
    p.kind === 'arrival'
      ? { arrival: arrivalMarkToProto(p) }
      : { epoch_item: { ...item, ...(p.item.length ? { item: p.item } : {}) } };
  return new Uint8Array(SyncCursorType.encode(raw).finish());
}

function decodeRaw(bytes: Uint8Array): SyncPosition {
  if (bytes.length > MAX_SYNC_CURSOR_BYTES) throw new SyncDecodeError('sync cursor too long');
  let raw: RawCursor;
  try {
    raw = SyncCursorType.decode(bytes) as unknown as RawCursor;
  } catch (err) {
    throw new SyncDecodeError(`undecodable sync cursor: ${(err as Error).message}`);
  }
  const hasItem = raw.epoch_item !== undefined && raw.epoch_item !== null;
  const hasArrival = raw.arrival !== undefined && raw.arrival !== null;
  if (hasItem === hasArrival) throw new SyncDecodeError('a sync cursor holds exactly one position');
  try {
    if (raw.arrival) {
      const m = arrivalMarkFromProto(raw.arrival);
      if (m.logId.length !== 16) throw new SyncDecodeError('an arrival cursor names a 16-byte log id');
      return { kind: 'arrival', ...m };
    }
    const e = raw.epoch_item as { epoch?: unknown; item?: Uint8Array };
    const item = new Uint8Array(e.item ?? []);
    if (item.length === 0 || item.length > MAX_ITEM_BYTES) {
      throw new SyncDecodeError(`a cursor item is 1-${MAX_ITEM_BYTES} bytes`);
    }
    return { kind: 'epoch-item', epoch: fromLong(e.epoch, 'epoch'), item };
  } catch (err) {
    if (err instanceof SyncDecodeError) throw err;
    throw new SyncDecodeError(`sync cursor: ${(err as Error).message}`);
  }
}

/** The position a cursor holds; throws `SyncDecodeError` for anything our encoder did not make. */
export function decodeSyncCursor(bytes: Uint8Array): SyncPosition {
  return decodeCanonical(bytes, decodeRaw, encodeSyncCursor, 'sync cursor');
}
