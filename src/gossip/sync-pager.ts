// Paging through a peer's sync answers (docs/p2p.md, "Sync protocol"), one helper for the node and
// the monitor. The page bounds are the constants below and the host's per-session page bound
// (`sync.maxPagesPerSession`, which throws `SyncPageLimitError` when used up).
import { ChorusError, DecodeError } from '../util/errors.js';
import { decodeSyncResponse, encodeSyncRequest, type SyncRequest, type SyncResponse } from '../wire/sync-messages.js';

/** Items per sync page: what a server sends at most and what a client asks for by default. */
export const SYNC_PAGE_MAX = 256;
/** Arrivals a server scans per page at most (a node's arrival log interleaves its namespaces). */
export const ARRIVAL_SCAN_MAX = SYNC_PAGE_MAX * 16;

/** The peer's answer did not decode: invalid data from it (the caller penalises it). */
export class SyncPageDecodeError extends ChorusError {
  constructor(
    readonly peerId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('sync-page-undecodable', message, options);
  }
}

/** The peer refused the request (its `error` field): nothing to penalise, the sync just stops. */
export class SyncRefusedError extends ChorusError {
  constructor(message: string) {
    super('sync-refused', message);
  }
}

/** What a pager sends requests through: a host sync session (bounded) does. */
export interface PageTransport {
  readonly peerId: string;
  request(bytes: Uint8Array): Promise<Uint8Array>;
}

/**
 * Asks `first`, hands each decoded answer to `onPage` (which checks and keeps its items, and may
 * throw, or answer 'stop', to stop), then follows `nextCursor` until the peer has no more. The cursor is opaque: it
 * is passed back as received.
 */
export async function pageThrough(
  transport: PageTransport,
  first: SyncRequest,
  onPage: (page: SyncResponse) => Promise<'stop' | undefined>,
): Promise<void> {
  let cursor = first.cursor;
  for (;;) {
    const bytes = await transport.request(encodeSyncRequest({ ...first, cursor }));
    let page: SyncResponse;
    try {
      page = decodeSyncResponse(bytes);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      const message = `peer ${transport.peerId} sent an undecodable sync page for ${first.namespace}: ${err.message}`;
      throw new SyncPageDecodeError(transport.peerId, message, { cause: err });
    }
    if (page.error) {
      throw new SyncRefusedError(`peer ${transport.peerId} refused sync of ${first.namespace}: ${page.error}`);
    }
    if ((await onPage(page)) === 'stop' || page.nextCursor.length === 0) return;
    cursor = page.nextCursor;
    // Let the event loop breathe between pages (signature checks are synchronous).
    await new Promise((r) => setImmediate(r));
  }
}
