import { describe, expect, test } from 'vitest';
import { PeerRateLimiter } from '../../src/p2p/rate-limit.js';

describe('PeerRateLimiter (per-peer token buckets)', () => {
  test('a peer may send its burst at once, then its rate; other peers have their own bucket', () => {
    let t = 0;
    const rl = new PeerRateLimiter({ perSecond: 10, burst: 5 }, () => t);
    const taken = (peer: string, n: number): number =>
      Array.from({ length: n }, () => rl.take(peer)).filter(Boolean).length;
    expect(taken('a', 5)).toBe(5);
    // Another peer is not affected by a's burst.
    expect(taken('b', 5)).toBe(5);
    t += 500; // 0.5 s at 10/s: 5 more tokens
    expect(taken('a', 5)).toBe(5);
    t += 100;
    expect(taken('a', 1)).toBe(1);
    expect(taken('a', 1)).toBe(0);
    // Refill never exceeds the burst.
    t += 60_000;
    expect(taken('a', 6)).toBe(5);
  });

  test('messages over the rate count as debt (down to -burst); a peer in debt is not admitted until it has paid it off', () => {
    let t = 0;
    const rl = new PeerRateLimiter({ perSecond: 10, burst: 5 }, () => t);
    expect(rl.admits('a')).toBe(true);
    for (let i = 0; i < 5; i++) expect(rl.take('a')).toBe(true);
    expect(rl.admits('a')).toBe(false);
    for (let i = 0; i < 100; i++) expect(rl.take('a')).toBe(false); // debt floors at -5
    t += 1000; // +10 tokens: -5 -> 5
    expect(rl.admits('a')).toBe(true);
    expect(rl.take('a')).toBe(true);
    rl.take('a');
    rl.take('a');
    rl.take('a');
    rl.take('a'); // 0 left
    expect(rl.take('a')).toBe(false); // -1
    t += 150; // +1.5 -> 0.5: still not a whole token
    expect(rl.admits('a')).toBe(false);
    t += 50; // 1.0
    expect(rl.admits('a')).toBe(true);
    expect(rl.admits('never-seen')).toBe(true);
  });

  test('a peer that keeps sending while refused is flooding; an honest peer briefly over its rate is forgiven', () => {
    let t = 0;
    const rl = new PeerRateLimiter({ perSecond: 10, burst: 5, maxRefusals: 20 }, () => t);
    for (const peer of ['flooder', 'bursty']) for (let i = 0; i < 10; i++) rl.take(peer);
    // bursty: a few refused RPCs, then quiet for a while.
    for (let i = 0; i < 15; i++) expect(rl.admits('bursty')).toBe(false);
    expect(rl.flooding('bursty')).toBe(false);
    // flooder: an RPC every 10 ms, each admitted one carrying 10 messages.
    for (let step = 0; step < 300 && !rl.flooding('flooder'); step++) {
      t += 10;
      if (rl.admits('flooder')) for (let i = 0; i < 10; i++) rl.take('flooder');
    }
    expect(rl.flooding('flooder')).toBe(true);
    expect(t).toBeLessThan(3000);
    t += 2000;
    expect(rl.admits('bursty')).toBe(true);
    expect(rl.flooding('bursty')).toBe(false);
    rl.reset('flooder');
    expect(rl.flooding('flooder')).toBe(false);
  });

  test('buckets of idle peers are forgotten, so the map stays bounded by recently active senders', () => {
    let t = 0;
    const rl = new PeerRateLimiter({ perSecond: 1, burst: 1 }, () => t);
    for (let i = 0; i < 100; i++) rl.take(`peer-${i}`);
    expect(rl.size).toBe(100);
    t += 61_000;
    rl.take('fresh');
    expect(rl.size).toBe(1);
  });

  test('limits must be positive', () => {
    expect(() => new PeerRateLimiter({ perSecond: 0 })).toThrow(/perSecond/);
    expect(() => new PeerRateLimiter({ burst: 0.5 })).toThrow(/burst/);
    expect(() => new PeerRateLimiter({ maxRefusals: 0 })).toThrow(/maxRefusals/);
  });
});
