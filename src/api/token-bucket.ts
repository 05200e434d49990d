// Per-client token buckets (the limit of POST /views, docs/protocol.md "Views from anyone"): each
// client may burst up to `burst` requests, then gets `perMinute` more a minute. Pure: the caller
// passes the time, so the rule is tested without waiting.

export interface TokenBucketLimits {
  burst: number;
  perMinute: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();
  constructor(
    readonly limits: TokenBucketLimits,
    /** Clients remembered at once; beyond it the longest-unseen is forgotten (it starts full again). */
    readonly maxClients = 10_000,
  ) {}

  /** Takes one token for `client` at `nowMs`; refused with how long until one is available. */
  take(client: string, nowMs: number): TakeResult {
    const { burst, perMinute } = this.limits;
    const perMs = perMinute / 60_000;
    const b = this.#buckets.get(client);
    const tokens = b ? Math.min(burst, b.tokens + Math.max(0, nowMs - b.atMs) * perMs) : burst;
    // Re-inserted on every request, so the map's first key is always the longest-unseen client.
    this.#buckets.delete(client);
    if (tokens < 1) {
      this.#buckets.set(client, { tokens, atMs: nowMs });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
    }
    this.#buckets.set(client, { tokens: tokens - 1, atMs: nowMs });
    if (this.#buckets.size > this.maxClients) this.#buckets.delete(this.#buckets.keys().next().value as string);
    return { ok: true };
  }

  get size(): number {
    return this.#buckets.size;
  }
}
