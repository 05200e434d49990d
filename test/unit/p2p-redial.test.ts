import { describe, expect, test } from 'vitest';
import { pino } from 'pino';
import { backoffDelay, DEFAULT_BACKOFF, Redialer, type Timers } from '../../src/p2p/redial.js';

const logger = pino({ level: 'silent' });

/** Manual clock: timers fire only when the test advances. */
class FakeTimers implements Timers {
  now = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  readonly delays: number[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.delays.push(ms);
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get size(): number {
    return this.pending.size;
  }
  /** Fire every timer due within `ms`, letting async work settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.pending].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
    this.now = end;
  }
}

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 2_000, factor: 2, jitter: 0, stableMs: 1_000 };
  test('grows exponentially and is capped', () => {
    expect([0, 1, 2, 3, 4, 5, 10, 1000].map((a) => backoffDelay(a, policy))).toEqual([
      100, 200, 400, 800, 1600, 2000, 2000, 2000,
    ]);
  });
  test('jitter stays within ±jitter and under the cap', () => {
    const p = { ...policy, jitter: 0.2 };
    expect(backoffDelay(2, p, () => 0)).toBe(320);
    expect(backoffDelay(2, p, () => 1)).toBe(480);
    expect(backoffDelay(9, p, () => 1)).toBe(2000);
  });
  test('defaults: 250 ms doubling to 30 s', () => {
    expect(DEFAULT_BACKOFF).toMatchObject({ initialMs: 250, maxMs: 30_000, factor: 2 });
  });
});

describe('Redialer', () => {
  function setup(failures: number) {
    const timers = new FakeTimers();
    const dials: string[] = [];
    const connected = new Set<string>();
    const blocked = new Set<string>();
    let left = failures;
    const r = new Redialer({
      dial: async (peer) => {
        dials.push(peer);
        if (left-- > 0) throw new Error('ECONNREFUSED');
        connected.add(peer);
      },
      isConnected: (p) => connected.has(p),
      isBlocked: (p) => blocked.has(p),
      policy: { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0, stableMs: 1_000 },
      logger,
      timers,
      clock: () => timers.now,
    });
    r.track('A');
    return { r, timers, dials, connected, blocked };
  }

  test('dials at start, backs off exponentially on failure, stops once connected', async () => {
    const { r, timers, dials, connected } = setup(3);
    r.start();
    await timers.advance(0);
    expect(dials).toHaveLength(1);
    await timers.advance(5_000);
    expect(dials).toHaveLength(4);
    expect(connected.has('A')).toBe(true);
    // start (0), then 100, 200, 400 after the three failures
    expect(timers.delays).toEqual([0, 100, 200, 400]);
    expect(timers.size).toBe(0);
  });

  test('a disconnect schedules a re-dial after initialMs', async () => {
    const { r, timers, dials, connected } = setup(0);
    r.start();
    await timers.advance(0);
    expect(dials).toHaveLength(1);
    r.onConnected('A');
    await timers.advance(5_000);
    connected.delete('A');
    r.onDisconnected('A');
    await timers.advance(99);
    expect(dials).toHaveLength(1);
    await timers.advance(1);
    expect(dials).toHaveLength(2);
  });

  test('connections that drop at once count as failures (no tight reconnect loop); a stable one resets', async () => {
    const { r, timers, connected } = setup(0);
    r.start();
    await timers.advance(0);
    const flap = async (upMs: number): Promise<void> => {
      r.onConnected('A');
      await timers.advance(upMs);
      connected.delete('A');
      r.onDisconnected('A');
    };
    timers.delays.length = 0;
    await flap(5); // peer accepted the handshake, then dropped us (e.g. it blocked us)
    await timers.advance(5_000);
    await flap(5);
    await timers.advance(5_000);
    await flap(5);
    await timers.advance(5_000);
    expect(timers.delays).toEqual([100, 200, 400]);
    expect(r.status()[0]?.attempt).toBe(3);
    await flap(1_000); // stayed up: backoff starts over
    expect(timers.delays.at(-1)).toBe(100);
    expect(r.status()[0]?.attempt).toBe(1);
  });

  test('a blocked peer is never dialled; kick() after unblocking dials at once', async () => {
    const { r, timers, dials, blocked } = setup(0);
    blocked.add('A');
    r.start();
    await timers.advance(10_000);
    expect(dials).toHaveLength(0);
    blocked.delete('A');
    r.kick('A');
    await timers.advance(0);
    expect(dials).toEqual(['A']);
  });

  test('untracked peers and stopped redialers do nothing', async () => {
    const { r, timers, dials } = setup(0);
    r.onDisconnected('B');
    r.start();
    r.stop();
    await timers.advance(10_000);
    expect(dials).toHaveLength(0);
    expect(timers.size).toBe(0);
  });
});
