// `/chorus/1/sync/2.0.0`: request/response over a fresh libp2p stream. Exactly one
// length-prefixed request, then one length-prefixed response, then both sides close. Payloads are
// opaque bytes here (the node encodes SyncRequest/SyncResponse). Each side enforces its size caps
// and a deadline; inbound streams are bounded per peer so one peer cannot pin our handler.
import type { Libp2p, Stream, Connection } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Logger } from 'pino';
import { ChorusError, ConfigError, errorMessage } from '../util/errors.js';
import {
  HostStateError,
  SyncOversizeError,
  SyncPageLimitError,
  SyncProtocolError,
  SyncTimeoutError,
} from './errors.js';
import { readFrame, writeFrame } from './framing.js';

export const SYNC_PROTOCOL = '/chorus/1/sync/2.0.0';

export interface SyncLimits {
  /** Largest request accepted (inbound) or sent (outbound). */
  maxRequestBytes: number;
  /** Largest response sent (inbound) or accepted (outbound, overridable per request). */
  maxResponseBytes: number;
  /** Deadline for a whole exchange, both sides (outbound overridable per request). */
  timeoutMs: number;
  /** Inbound sync streams served at once for one peer, over all its connections. */
  maxInboundStreamsPerPeer: number;
  /** Requests one sync session may make (see `session()`); the next one throws `SyncPageLimitError`. */
  maxPagesPerSession: number;
}

export const DEFAULT_SYNC_LIMITS: SyncLimits = {
  maxRequestBytes: 64 * 1024,
  maxResponseBytes: 4 * 1024 * 1024,
  timeoutMs: 10_000,
  maxInboundStreamsPerPeer: 4,
  maxPagesPerSession: 64,
};

export type SyncHandler = (request: Uint8Array, peerId: string) => Promise<Uint8Array>;

export interface SyncRequestOptions {
  timeoutMs?: number;
  maxResponseBytes?: number;
}

export interface SyncStats {
  inbound: { served: number; busy: number; failed: number; oversize: number; timeout: number };
  outbound: { ok: number; failed: number; oversize: number; timeout: number; cutOff: number };
}

/**
 * A bounded run of requests to one peer (paging through its data). Generic: it counts requests,
 * not what they mean; the caller decides what a page is and keeps what it already received.
 */
export class SyncSession {
  readonly peerId: string;
  readonly maxPages: number;
  private used = 0;
  private readonly send: (request: Uint8Array, options?: SyncRequestOptions) => Promise<Uint8Array>;
  private readonly onCutOff: () => void;

  constructor(peerId: string, maxPages: number, send: SyncSession['send'], onCutOff: () => void) {
    if (!Number.isSafeInteger(maxPages) || maxPages <= 0)
      throw new ConfigError('maxPages', `must be a positive integer, got ${maxPages}`);
    this.peerId = peerId;
    this.maxPages = maxPages;
    this.send = send;
    this.onCutOff = onCutOff;
  }

  /** Requests made so far. */
  get pages(): number {
    return this.used;
  }

  async request(request: Uint8Array, options?: SyncRequestOptions): Promise<Uint8Array> {
    if (this.used >= this.maxPages) {
      this.onCutOff();
      throw new SyncPageLimitError(this.peerId, this.maxPages);
    }
    this.used++;
    return this.send(request, options);
  }
}

function checkLimits(limits: SyncLimits): SyncLimits {
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new ConfigError(`sync.${k}`, `must be a positive integer, got ${String(v)}`);
  }
  return limits;
}

export class SyncService {
  readonly limits: SyncLimits;
  private readonly node: Libp2p;
  private readonly log: Logger;
  private handler: SyncHandler | undefined;
  private registered = false;
  private running = false;
  private readonly inflight = new Map<string, number>();
  private readonly counters: SyncStats = {
    inbound: { served: 0, busy: 0, failed: 0, oversize: 0, timeout: 0 },
    outbound: { ok: 0, failed: 0, oversize: 0, timeout: 0, cutOff: 0 },
  };

  constructor(node: Libp2p, limits: Partial<SyncLimits>, logger: Logger) {
    this.node = node;
    this.limits = checkLimits({ ...DEFAULT_SYNC_LIMITS, ...limits });
    this.log = logger;
  }

  /** Set (or replace) the request handler. Install it before start so no early peer is refused. */
  setHandler(handler: SyncHandler): void {
    this.handler = handler;
  }

  /**
   * Register the protocol. The host calls this before libp2p starts listening, so a peer that
   * syncs the moment it connects never meets "protocol not supported"; until a handler is
   * installed, requests are answered with a stream reset.
   */
  async start(): Promise<void> {
    this.running = true;
    await this.register();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.registered) {
      this.registered = false;
      await this.node.unhandle(SYNC_PROTOCOL);
    }
  }

  stats(): SyncStats {
    return { inbound: { ...this.counters.inbound }, outbound: { ...this.counters.outbound } };
  }

  private async register(): Promise<void> {
    if (this.registered) return;
    this.registered = true;
    await this.node.handle(SYNC_PROTOCOL, (stream, connection) => this.serve(stream, connection), {
      // libp2p's own cap is per connection; ours (in serve) is per peer across connections.
      maxInboundStreams: this.limits.maxInboundStreamsPerPeer,
    });
  }

  private async serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const active = this.inflight.get(peer) ?? 0;
    if (active >= this.limits.maxInboundStreamsPerPeer) {
      this.counters.inbound.busy++;
      this.log.warn({ peer, active }, 'sync: too many concurrent requests from peer; stream reset');
      stream.abort(new SyncProtocolError('too many concurrent sync requests'));
      return;
    }
    this.inflight.set(peer, active + 1);
    const { timeoutMs, maxRequestBytes, maxResponseBytes } = this.limits;
    const signal = AbortSignal.timeout(timeoutMs);
    const onAbort = (): void => stream.abort(new SyncTimeoutError(peer, timeoutMs));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const request = await readFrame(stream, maxRequestBytes, 'request');
      if (request === undefined) throw new SyncProtocolError('stream closed before a request arrived');
      const handler = this.handler;
      if (handler === undefined) throw new SyncProtocolError('no sync handler installed');
      const response = await handler(request, peer);
      if (response.byteLength > maxResponseBytes) {
        // The node must page its responses; sending this would only make the peer fail.
        throw new SyncOversizeError('response', maxResponseBytes, response.byteLength);
      }
      await writeFrame(stream, response, signal);
      await stream.close({ signal });
      this.counters.inbound.served++;
    } catch (err) {
      const timedOut = signal.aborted;
      if (timedOut) this.counters.inbound.timeout++;
      else if (err instanceof SyncOversizeError) this.counters.inbound.oversize++;
      else this.counters.inbound.failed++;
      const level = err instanceof SyncOversizeError && err.which === 'response' ? 'error' : 'warn';
      this.log[level](
        { peer, err: timedOut ? 'timeout' : errorMessage(err) },
        'sync: inbound request failed; stream reset',
      );
      stream.abort(err instanceof Error ? err : new SyncProtocolError(errorMessage(err)));
    } finally {
      signal.removeEventListener('abort', onAbort);
      const n = (this.inflight.get(peer) ?? 1) - 1;
      if (n <= 0) this.inflight.delete(peer);
      else this.inflight.set(peer, n);
    }
  }

  /** A session of at most `maxPages` requests (default `maxPagesPerSession`) to one peer. */
  session(peerId: string, maxPages = this.limits.maxPagesPerSession): SyncSession {
    return new SyncSession(
      peerId,
      maxPages,
      (req, options) => this.request(peerId, req, options),
      () => this.counters.outbound.cutOff++,
    );
  }

  /** Send one request to `peerId` and return its response bytes. */
  async request(peerId: string, request: Uint8Array, options: SyncRequestOptions = {}): Promise<Uint8Array> {
    if (!this.running) throw new HostStateError('requestSync: host is not running');
    const timeoutMs = options.timeoutMs ?? this.limits.timeoutMs;
    const maxResponseBytes = options.maxResponseBytes ?? this.limits.maxResponseBytes;
    if (request.byteLength > this.limits.maxRequestBytes) {
      this.counters.outbound.oversize++;
      throw new SyncOversizeError('request', this.limits.maxRequestBytes, request.byteLength);
    }
    let target;
    try {
      target = peerIdFromString(peerId);
    } catch (err) {
      throw new SyncProtocolError(`invalid peer id ${JSON.stringify(peerId)}`, { cause: err });
    }
    const signal = AbortSignal.timeout(timeoutMs);
    let stream: Stream;
    try {
      stream = await this.node.dialProtocol(target, SYNC_PROTOCOL, { signal });
    } catch (err) {
      return this.outboundFailure(peerId, timeoutMs, signal, err, 'cannot open a sync stream');
    }
    const onAbort = (): void => stream.abort(new SyncTimeoutError(peerId, timeoutMs));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await writeFrame(stream, request, signal);
      await stream.close({ signal }); // half-close: exactly one request per stream
      const response = await readFrame(stream, maxResponseBytes, 'response');
      if (response === undefined) throw new SyncProtocolError(`${peerId} closed the sync stream without a response`);
      this.counters.outbound.ok++;
      return response;
    } catch (err) {
      stream.abort(err instanceof Error ? err : new SyncProtocolError(errorMessage(err)));
      return this.outboundFailure(peerId, timeoutMs, signal, err, 'sync exchange failed');
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private outboundFailure(peerId: string, timeoutMs: number, signal: AbortSignal, err: unknown, what: string): never {
    if (signal.aborted) {
      this.counters.outbound.timeout++;
      throw new SyncTimeoutError(peerId, timeoutMs);
    }
    if (err instanceof SyncOversizeError) {
      this.counters.outbound.oversize++;
      throw err;
    }
    this.counters.outbound.failed++;
    if (err instanceof ChorusError) throw err;
    throw new SyncProtocolError(`${what} with ${peerId}: ${errorMessage(err)}`, { cause: err });
  }
}
