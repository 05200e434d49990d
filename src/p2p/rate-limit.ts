// Per-peer token buckets for incoming gossip (docs/p2p.md, "Flood protection"). One bucket per
// propagating peer, over all topics: a peer may send `burst` messages at once and `perSecond`
// on average; the rest is dropped before it costs a validation. Pure bookkeeping with an injected
// clock, so it is testable without sockets or timers.
import { ConfigError } from '../util/errors.js';

export interface RateLimit {
  /** Sustained messages per second per peer. */
  perSecond: number;
  /** Messages a peer may send at once (bucket size). */
  burst: number;
}

export const DEFAULT_PEER_RATE_LIMIT: RateLimit = { perSecond: 200, burst: 2_000 };

interface Bucket {
  tokens: number;
  at: number;
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
    if (!(Number.isFinite(l.perSecond) && l.perSecond > 0)) throw new ConfigError('rateLimit.perSecond', `must be a positive number, got ${l.perSecond}`);
    if (!Number.isSafeInteger(l.burst) || l.burst < 1) throw new ConfigError('rateLimit.burst', `must be a positive integer, got ${l.burst}`);
    this.limit = l;
    this.now = now;
    this.lastSweep = now();
  }

  /** Takes one token from the peer's bucket; false when it is empty (drop the message). */
  take(peer: string): boolean {
    const t = this.now();
    this.sweep(t);
    let b = this.buckets.get(peer);
    if (b === undefined) {
      b = { tokens: this.limit.burst, at: t };
      this.buckets.set(peer, b);
    } else {
      b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.perSecond);
      b.at = t;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
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
