import { describe, expect, test } from 'vitest';
import { pino } from 'pino';
import {
  MAX_REASONS_PER_OUTCOME,
  TopicValidationQueue,
  ValidationCounters,
  type PendingMessage,
  type TopicHandler,
  type ValidationResult,
} from '../../src/p2p/validation-queue.js';

const logger = pino({ level: 'silent' });

interface Gate {
  promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

function msg(i: number, size = 8): PendingMessage {
  const data = new Uint8Array(size);
  data[0] = i;
  return { msgId: `id-${i}`, from: `peer-${i % 3}`, data };
}

function setup(handler: TopicHandler, maxBytes = 1024) {
  const counters = new ValidationCounters();
  const reports: { id: string; result: ValidationResult }[] = [];
  const q = new TopicValidationQueue({
    topic: 't',
    handler,
    maxBytes,
    counters,
    report: (m, result) => reports.push({ id: m.msgId, result }),
    logger,
  });
  return { q, counters, reports };
}

describe('TopicValidationQueue', () => {
  test('reports the validator verdict and counts it by outcome and reason', async () => {
    const seen: string[] = [];
    const { q, counters, reports } = setup({
      validate: async (data, from) => {
        seen.push(from);
        if (data[0] === 1) return { outcome: 'reject', reason: 'bad-signature' };
        if (data[0] === 2) return { outcome: 'ignore', reason: 'duplicate' };
        return { outcome: 'accept', reason: 'new' };
      },
    });
    for (const i of [0, 1, 2, 3]) q.push(msg(i));
    await q.idle();
    expect(seen).toEqual(['peer-0', 'peer-1', 'peer-2', 'peer-0']);
    expect(reports.map((r) => [r.id, r.result.outcome])).toEqual([
      ['id-0', 'accept'],
      ['id-1', 'reject'],
      ['id-2', 'ignore'],
      ['id-3', 'accept'],
    ]);
    expect(counters.snapshot()).toEqual({
      t: { accept: { new: 2 }, reject: { 'bad-signature': 1 }, ignore: { duplicate: 1 } },
    });
    expect(counters.get('t', 'accept')).toBe(2);
    expect(counters.get('t', 'reject', 'bad-signature')).toBe(1);
  });

  test('oversize data is rejected before the validator runs', async () => {
    let calls = 0;
    const { q, counters, reports } = setup({
      maxBytes: 16,
      validate: async () => {
        calls++;
        return { outcome: 'accept', reason: 'new' };
      },
    });
    q.push(msg(0, 17));
    q.push(msg(1, 16));
    await q.idle();
    expect(calls).toBe(1);
    expect(reports[0]).toEqual({ id: 'id-0', result: { outcome: 'reject', reason: 'oversize' } });
    expect(counters.get('t', 'reject', 'oversize')).toBe(1);
    expect(counters.get('t', 'accept', 'new')).toBe(1);
  });

  test('the host-wide cap applies when the handler sets none', async () => {
    const { q, counters } = setup({ validate: async () => ({ outcome: 'accept', reason: 'new' }) }, 10);
    q.push(msg(0, 11));
    await q.idle();
    expect(counters.get('t', 'reject', 'oversize')).toBe(1);
  });

  test('overflow is ignored with reason queue-full, the queue never exceeds maxQueue, concurrency is bounded', async () => {
    const g = gate();
    let running = 0;
    let maxRunning = 0;
    const { q, counters, reports } = setup({
      maxQueue: 3,
      concurrency: 2,
      validate: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await g.promise;
        running--;
        return { outcome: 'accept', reason: 'new' };
      },
    });
    for (let i = 0; i < 10; i++) q.push(msg(i));
    // 2 validating, 3 waiting, 5 dropped at once (reported without waiting for the validator).
    expect(q.inFlight).toBe(2);
    expect(q.length).toBe(3);
    expect(counters.get('t', 'ignore', 'queue-full')).toBe(5);
    expect(reports.map((r) => r.id)).toEqual(['id-5', 'id-6', 'id-7', 'id-8', 'id-9']);
    expect(reports.every((r) => r.result.outcome === 'ignore' && r.result.reason === 'queue-full')).toBe(true);
    g.open();
    await q.idle();
    expect(counters.get('t', 'accept', 'new')).toBe(5);
    expect(maxRunning).toBe(2);
    // Queue drained: new messages are accepted again.
    q.push(msg(42));
    await q.idle();
    expect(counters.get('t', 'accept', 'new')).toBe(6);
  });

  test('messages are validated in arrival order (FIFO) with concurrency 1', async () => {
    const order: number[] = [];
    const { q } = setup({
      concurrency: 1,
      validate: async (data) => {
        order.push(data[0] as number);
        await Promise.resolve();
        return { outcome: 'accept', reason: 'new' };
      },
    });
    for (let i = 0; i < 50; i++) q.push(msg(i));
    await q.idle();
    expect(order).toEqual([...Array(50).keys()]);
  });

  test('a throwing or malformed validator gives ignore (no penalty for our own bug)', async () => {
    const { q, counters } = setup({
      validate: async (data) => {
        if (data[0] === 0) throw new Error('boom');
        return { outcome: 'maybe', reason: 'x' } as unknown as ValidationResult;
      },
    });
    q.push(msg(0));
    q.push(msg(1));
    await q.idle();
    expect(counters.get('t', 'ignore', 'validator-error')).toBe(1);
    expect(counters.get('t', 'ignore', 'bad-validator-result')).toBe(1);
    expect(counters.get('t', 'accept')).toBe(0);
    expect(counters.get('t', 'reject')).toBe(0);
  });

  test('close reports everything still queued as ignore/shutdown', async () => {
    const g = gate();
    const { q, counters } = setup({
      maxQueue: 10,
      concurrency: 1,
      validate: async () => {
        await g.promise;
        return { outcome: 'accept', reason: 'new' };
      },
    });
    for (let i = 0; i < 4; i++) q.push(msg(i));
    q.close();
    expect(counters.get('t', 'ignore', 'shutdown')).toBe(3);
    q.push(msg(9));
    expect(counters.get('t', 'ignore', 'shutdown')).toBe(4);
    g.open();
    await q.idle();
    expect(counters.get('t', 'accept', 'new')).toBe(1);
  });

  test('drain drops the queued, waits for the running, and leaves the queue usable', async () => {
    const g = gate();
    let finished = 0;
    const { q, counters } = setup({
      concurrency: 1,
      validate: async () => {
        await g.promise;
        finished++;
        return { outcome: 'accept', reason: 'new' };
      },
    });
    for (let i = 0; i < 3; i++) q.push(msg(i));
    let drained = false;
    const d = q.drain().then(() => (drained = true));
    expect(counters.get('t', 'ignore', 'shutdown')).toBe(2);
    await Promise.resolve();
    expect(drained).toBe(false);
    g.open();
    await d;
    expect(finished).toBe(1);
    q.push(msg(5));
    await q.idle();
    expect(counters.get('t', 'accept', 'new')).toBe(2);
  });

  test('invalid limits are refused', () => {
    expect(() => setup({ maxQueue: 0, validate: async () => ({ outcome: 'accept', reason: '' }) })).toThrow(/maxQueue/);
    expect(() => setup({ concurrency: 1.5, validate: async () => ({ outcome: 'accept', reason: '' }) })).toThrow(
      /concurrency/,
    );
  });
});

describe('ValidationCounters', () => {
  test('distinct reasons per outcome are capped so metric labels stay bounded', () => {
    const c = new ValidationCounters();
    for (let i = 0; i < MAX_REASONS_PER_OUTCOME + 10; i++) c.record('t', 'reject', `r${i}`);
    c.record('t', 'reject', 'r0');
    const reject = c.snapshot().t?.reject ?? {};
    expect(Object.keys(reject)).toHaveLength(MAX_REASONS_PER_OUTCOME + 1);
    expect(reject.other).toBe(10);
    expect(reject.r0).toBe(2);
    expect(c.get('t', 'reject')).toBe(MAX_REASONS_PER_OUTCOME + 11);
    expect(c.get('unknown', 'accept')).toBe(0);
  });

  describe('fairness between peers', () => {
    const from = (peer: string, i: number): PendingMessage => ({
      msgId: `${peer}-${i}`,
      from: peer,
      data: new Uint8Array([i & 0xff]),
    });

    test("one peer's flood cannot starve another peer's messages: they are served in turn", async () => {
      const g = gate();
      const order: string[] = [];
      const { q, counters } = setup({
        concurrency: 1,
        validate: async (_data, peer) => {
          order.push(peer);
          await g.promise;
          return { outcome: 'accept', reason: 'new' };
        },
      });
      for (let i = 0; i < 500; i++) q.push(from('flooder', i));
      q.push(from('honest', 0));
      q.push(from('honest', 1));
      // The flooder holds only its own share (64 waiting + 1 running); the rest was dropped at once.
      expect(q.peerLength('flooder')).toBe(64);
      expect(counters.get('t', 'ignore', 'peer-queue-full')).toBe(500 - 65);
      expect(q.peerLength('honest')).toBe(2);
      g.open();
      await q.idle();
      // The flooder's first message was already running and its queue is next in turn; after
      // that the two alternate: the honest peer waits for one flooder message, not 64.
      expect(order.slice(0, 5)).toEqual(['flooder', 'flooder', 'honest', 'flooder', 'honest']);
      expect(counters.get('t', 'accept', 'new')).toBe(65 + 2);
    });

    test('a full queue makes room for a newcomer by dropping the newest message of the peer holding the most', async () => {
      const g = gate();
      const validated: string[] = [];
      const { q, reports } = setup({
        maxQueue: 8,
        maxQueuePerPeer: 8,
        concurrency: 1,
        validate: async (_data, peer) => {
          await g.promise;
          validated.push(peer);
          return { outcome: 'accept', reason: 'new' };
        },
      });
      for (let i = 0; i < 9; i++) q.push(from('flooder', i)); // 1 running, 8 waiting: full
      expect(q.length).toBe(8);
      q.push(from('honest', 0));
      expect(q.length).toBe(8);
      expect(q.peerLength('honest')).toBe(1);
      // The flooder's newest waiting message made the room.
      expect(reports).toEqual([{ id: 'flooder-8', result: { outcome: 'ignore', reason: 'queue-full' } }]);
      // The peer holding the most gets its own new message dropped, not someone else's.
      q.push(from('flooder', 9));
      expect(reports.at(-1)).toEqual({ id: 'flooder-9', result: { outcome: 'ignore', reason: 'queue-full' } });
      expect(q.length).toBe(8);
      g.open();
      await q.idle();
      expect(validated.filter((p) => p === 'honest')).toHaveLength(1);
      expect(validated.indexOf('honest')).toBeLessThanOrEqual(2);
    });

    test('per-peer bound must be a positive integer and never exceeds the whole queue', () => {
      expect(() => setup({ maxQueuePerPeer: 0, validate: async () => ({ outcome: 'accept', reason: 'x' }) })).toThrow(
        /maxQueuePerPeer/,
      );
      const { q } = setup({
        maxQueue: 10,
        maxQueuePerPeer: 100,
        validate: async () => ({ outcome: 'accept', reason: 'x' }),
      });
      expect(q.maxQueuePerPeer).toBe(10);
    });
  });
});
