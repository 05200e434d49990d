// Keeps roster peers connected: dial at start, and after every disconnect re-dial with capped
// exponential backoff plus jitter (so a restarted network does not reconnect in lockstep).
// Transport-agnostic: the dial and the clock are injected, which keeps it unit-testable.
import type { Logger } from 'pino';
import { errorMessage } from '../util/errors.js';

export interface BackoffPolicy {
  /** First retry delay. */
  initialMs: number;
  /** Cap on the delay. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Fraction of the delay randomised (0.2: ±20%). */
  jitter: number;
  /**
   * A connection that closes sooner than this counts as a failed attempt. Without it a peer that
   * completes the handshake and then drops us (it blocked us, it is shutting down) would be
   * re-dialled at `initialMs` forever, since each short-lived connection reset the backoff.
   */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 250,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
  stableMs: 5_000,
};

/** Delay before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.min(attempt, 64));
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(policy.maxMs, Math.round(base + spread)));
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const nodeTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref(); // never keep a stopping process alive just to re-dial
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface RedialerOptions {
  dial: (peerId: string) => Promise<void>;
  isConnected: (peerId: string) => boolean;
  /** A blocked peer is never dialled (partition tests, operator bans). */
  isBlocked: (peerId: string) => boolean;
  policy?: Partial<BackoffPolicy>;
  logger: Logger;
  timers?: Timers;
  random?: () => number;
  clock?: () => number;
}

interface PeerState {
  attempt: number;
  /** When the current connection came up, if connected. */
  connectedAt: number | undefined;
  timer: unknown;
  dialling: boolean;
  nextAt: number | undefined;
}

export interface RedialStatus {
  peerId: string;
  attempt: number;
  /** Epoch ms of the next scheduled dial, if any. */
  nextAt: number | undefined;
  dialling: boolean;
}

export class Redialer {
  readonly policy: BackoffPolicy;
  private readonly opts: RedialerOptions;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly clock: () => number;
  private readonly peers = new Map<string, PeerState>();
  private running = false;

  constructor(options: RedialerOptions) {
    this.opts = options;
    this.policy = { ...DEFAULT_BACKOFF, ...options.policy };
    this.timers = options.timers ?? nodeTimers;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? Date.now;
  }

  /** Peers to keep connected; call before start. */
  track(peerId: string): void {
    if (!this.peers.has(peerId))
      this.peers.set(peerId, {
        attempt: 0,
        connectedAt: undefined,
        timer: undefined,
        dialling: false,
        nextAt: undefined,
      });
  }

  isTracked(peerId: string): boolean {
    return this.peers.has(peerId);
  }

  /** Dial every tracked peer now. */
  start(): void {
    this.running = true;
    for (const peerId of this.peers.keys()) this.schedule(peerId, 0);
  }

  stop(): void {
    this.running = false;
    for (const state of this.peers.values()) this.cancel(state);
  }

  onConnected(peerId: string): void {
    const state = this.peers.get(peerId);
    if (state === undefined) return;
    state.connectedAt = this.clock();
    this.cancel(state);
  }

  onDisconnected(peerId: string): void {
    const state = this.peers.get(peerId);
    if (state === undefined) return;
    // The backoff only resets after a connection that stayed up; the first retry after a drop
    // still waits initialMs, since an immediate re-dial tends to race the peer's shutdown.
    if (state.connectedAt !== undefined && this.clock() - state.connectedAt >= this.policy.stableMs) state.attempt = 0;
    state.connectedAt = undefined;
    const delay = backoffDelay(state.attempt, this.policy, this.random);
    state.attempt++;
    this.schedule(peerId, delay);
  }

  /** After an unblock: try again at once. */
  kick(peerId: string): void {
    const state = this.peers.get(peerId);
    if (state === undefined) return;
    state.attempt = 0;
    this.cancel(state);
    this.schedule(peerId, 0);
  }

  status(): RedialStatus[] {
    return [...this.peers].map(([peerId, s]) => ({
      peerId,
      attempt: s.attempt,
      nextAt: s.nextAt,
      dialling: s.dialling,
    }));
  }

  private cancel(state: PeerState): void {
    if (state.timer !== undefined) this.timers.clearTimeout(state.timer);
    state.timer = undefined;
    state.nextAt = undefined;
  }

  private schedule(peerId: string, delayMs: number): void {
    const state = this.peers.get(peerId);
    if (state === undefined || !this.running || state.timer !== undefined || state.dialling) return;
    state.nextAt = Date.now() + delayMs;
    state.timer = this.timers.setTimeout(() => {
      state.timer = undefined;
      state.nextAt = undefined;
      void this.attempt(peerId, state);
    }, delayMs);
  }

  private async attempt(peerId: string, state: PeerState): Promise<void> {
    if (!this.running || this.opts.isBlocked(peerId)) return;
    if (this.opts.isConnected(peerId)) return;
    state.dialling = true;
    try {
      await this.opts.dial(peerId);
    } catch (err) {
      const delay = backoffDelay(state.attempt, this.policy, this.random);
      state.attempt++;
      this.opts.logger.debug(
        { peer: peerId, attempt: state.attempt, retryInMs: delay, err: errorMessage(err) },
        'dial failed',
      );
      state.dialling = false;
      this.schedule(peerId, delay);
      return;
    }
    state.dialling = false;
    // A connection can drop between the dial and now (its disconnect event found us dialling,
    // so nothing was scheduled): make sure we are not left idle.
    if (!this.opts.isConnected(peerId)) {
      const delay = backoffDelay(state.attempt, this.policy, this.random);
      state.attempt++;
      this.schedule(peerId, delay);
    }
  }
}
