// Per-peer token buckets for incoming gossip (docs/p2p.md, "Flood protection"). One bucket per
// propagating peer, over all topics: a peer may send `burst` messages at once and `perSecond`
// on average; the rest is dropped before it costs a validation. A message over the rate still
// counts, as debt down to -burst, and while a peer's bucket holds less than one token its whole
// RPCs are refused unread (`admits`): the harder a peer floods, the less of it we even decode.
// Pure bookkeeping with an injected clock, so it is testable without sockets or timers.
import { ConfigError } from '../util/errors.js';

export interface RateLimit {
  /** Sustained messages per second per peer. */
  perSecond: number;
  /** Messages a peer may send at once (bucket size). */
  burst: number;
  /**
   * Refused RPCs (net of a forgiveness of REFUSALS_FORGIVEN_PER_SECOND) after which the peer
   * counts as flooding (`flooding()`): it kept sending while over its rate.
   */
  maxRefusals: number;
}

export const DEFAULT_PEER_RATE_LIMIT: RateLimit = { perSecond: 100, burst: 500, maxRefusals: 50 };
/** Refusals forgiven per second: an honest peer briefly over its rate never adds up to a flood. */
const REFUSALS_FORGIVEN_PER_SECOND = 1;

interface Bucket {
  tokens: number;
  at: number;
  refusals: number;
}

/** Buckets of peers idle this long are forgotten (they would be full again anyway). */
const IDLE_FORGET_MS = 60_000;
/** Sweep idle buckets at most this often, so the map stays bounded by recently active peers. */
const SWEEP_EVERY_MS = 10_000;

export class PeerRateLimiter {
  readonly limit: RateLimit;
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private lastSweep: number;

  constructor(limit: Partial<RateLimit> = {}, now: () => number = Date.now) {
    const l = { ...DEFAULT_PEER_RATE_LIMIT, ...limit };
    if (!(Number.isFinite(l.perSecond) && l.perSecond > 0))
      throw new ConfigError('rateLimit.perSecond', `must be a positive number, got ${l.perSecond}`);
    if (!Number.isSafeInteger(l.burst) || l.burst < 1)
      throw new ConfigError('rateLimit.burst', `must be a positive integer, got ${l.burst}`);
    if (!Number.isSafeInteger(l.maxRefusals) || l.maxRefusals < 1)
      throw new ConfigError('rateLimit.maxRefusals', `must be a positive integer, got ${l.maxRefusals}`);
    this.limit = l;
    this.now = now;
    this.lastSweep = now();
  }

  /** Takes one token from the peer's bucket; false when it is empty (drop the message, count the debt). */
  take(peer: string): boolean {
    const b = this.bucket(peer);
    const ok = b.tokens >= 1;
    b.tokens = Math.max(-this.limit.burst, b.tokens - 1);
    return ok;
  }

  /**
   * Whether the peer has a token left: false while it is over its rate (refuse its RPCs unread).
   * Each refusal counts towards `flooding()`.
   */
  admits(peer: string): boolean {
    const b = this.buckets.get(peer);
    if (b === undefined) return true;
    if (this.refill(b, this.now()).tokens >= 1) return true;
    b.refusals++;
    return false;
  }

  /** The peer kept sending while over its rate: more than `maxRefusals` refused RPCs, net of forgiveness. */
  flooding(peer: string): boolean {
    const b = this.buckets.get(peer);
    return b !== undefined && b.refusals > this.limit.maxRefusals;
  }

  private bucket(peer: string): Bucket {
    const t = this.now();
    this.sweep(t);
    const b = this.buckets.get(peer);
    if (b !== undefined) return this.refill(b, t);
    const fresh = { tokens: this.limit.burst, at: t, refusals: 0 };
    this.buckets.set(peer, fresh);
    return fresh;
  }

  private refill(b: Bucket, t: number): Bucket {
    const seconds = (t - b.at) / 1000;
    b.tokens = Math.min(this.limit.burst, b.tokens + seconds * this.limit.perSecond);
    b.refusals = Math.max(0, b.refusals - seconds * REFUSALS_FORGIVEN_PER_SECOND);
    b.at = t;
    return b;
  }

  /** Forget a peer's bucket (it was disconnected for flooding; it starts afresh). */
  reset(peer: string): void {
    this.buckets.delete(peer);
  }

  /** Peers with a bucket (tests, stats). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = t;
    for (const [peer, b] of this.buckets) if (t - b.at > IDLE_FORGET_MS) this.buckets.delete(peer);
  }
}
