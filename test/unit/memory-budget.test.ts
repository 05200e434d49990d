// The node's memory budget (src/services/memory-budget.ts; docs/akd.md, "The node's memory"): the
// pure admission rule (FIFO, no overtaking, an oversize job alone) and the promise wrapper the
// services use, plus the AKD verification estimate it is fed with.
import { describe, expect, it } from 'vitest';
import { akdVerificationBytes, VERIFY_FIXED_BYTES } from '../../src/akd-runtime/memory-estimate.js';
import { MIN_ELEMENT_BYTES } from '../../src/akd/proof-codec.js';
import { configFromObject, DEFAULT_MEMORY_BUDGET_MB } from '../../src/config/config.js';
import { BudgetLedger, MemoryBudget, MemoryBudgetError } from '../../src/services/memory-budget.js';
import { ConfigError } from '../../src/util/errors.js';

const MB = 2 ** 20;

describe('BudgetLedger', () => {
  it('admits jobs while they fit and queues the rest', () => {
    const l = new BudgetLedger(100);
    const a = l.request(60);
    const b = l.request(40);
    const c = l.request(1);
    expect(a.admitted).toEqual([a.ticket]);
    expect(b.admitted).toEqual([b.ticket]);
    expect(c.admitted).toEqual([]);
    expect(l.state()).toEqual({ capacity: 100, inUse: 100, running: 2, waiting: 1 });
    expect(l.release(a.ticket)).toEqual([c.ticket]);
    expect(l.state()).toEqual({ capacity: 100, inUse: 41, running: 2, waiting: 0 });
  });

  it('serves in arrival order: a small job never overtakes a large one that waits (no starvation)', () => {
    const l = new BudgetLedger(100);
    const w1 = l.request(30); // namespace W, running
    const m = l.request(90); // namespace M: does not fit yet
    const w2 = l.request(10); // would fit, but M came first
    const w3 = l.request(10);
    expect(m.admitted).toEqual([]);
    expect(w2.admitted).toEqual([]);
    expect(w3.admitted).toEqual([]);
    expect(l.state().waiting).toBe(3);
    // W's running job ends: M goes first, W's later jobs wait for room after it.
    expect(l.release(w1.ticket)).toEqual([m.ticket, w2.ticket]);
    expect(l.isRunning(w3.ticket)).toBe(false);
    expect(l.release(m.ticket)).toEqual([w3.ticket]);
  });

  it('runs a job larger than the whole budget alone, once nothing else runs', () => {
    const l = new BudgetLedger(100);
    const small = l.request(20);
    const big = l.request(250);
    const after = l.request(5);
    expect(big.admitted).toEqual([]);
    expect(l.release(small.ticket)).toEqual([big.ticket]);
    expect(l.state()).toEqual({ capacity: 100, inUse: 250, running: 1, waiting: 1 });
    // Nothing joins it, however small.
    expect(l.isRunning(after.ticket)).toBe(false);
    expect(l.release(big.ticket)).toEqual([after.ticket]);
    // An oversize job arriving at an idle budget starts at once.
    const l2 = new BudgetLedger(10);
    const x = l2.request(11);
    expect(x.admitted).toEqual([x.ticket]);
  });

  it('lets a waiting job withdraw, admitting the ones it held up', () => {
    const l = new BudgetLedger(100);
    const a = l.request(50);
    const big = l.request(80);
    const c = l.request(30);
    expect(l.release(big.ticket)).toEqual([c.ticket]);
    expect(l.state()).toEqual({ capacity: 100, inUse: 80, running: 2, waiting: 0 });
    expect(l.release(a.ticket)).toEqual([]);
    expect(() => l.release(a.ticket)).toThrow(MemoryBudgetError);
  });

  it('refuses a budget or a reservation that is not a byte count', () => {
    expect(() => new BudgetLedger(0)).toThrow(MemoryBudgetError);
    expect(() => new BudgetLedger(1.5)).toThrow(MemoryBudgetError);
    const l = new BudgetLedger(10);
    expect(() => l.request(-1)).toThrow(MemoryBudgetError);
    expect(() => l.request(Number.NaN)).toThrow(MemoryBudgetError);
    expect(l.state().waiting).toBe(0);
  });
});

describe('MemoryBudget', () => {
  it('runs jobs when admitted, in order, and gives the bytes back when a job fails', async () => {
    const budget = new MemoryBudget(100);
    const order: string[] = [];
    let finishFirst!: () => void;
    const first = budget.run(70, async () => {
      order.push('m start');
      await new Promise<void>((r) => (finishFirst = r));
      order.push('m end');
    });
    const second = budget.run(50, async () => {
      order.push('w start');
      throw new Error('download failed');
    });
    const third = budget.run(10, async () => {
      order.push('w2 start');
      return 7;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['m start']);
    expect(budget.state()).toMatchObject({ inUse: 70, running: 1, waiting: 2 });
    finishFirst();
    await first;
    await expect(second).rejects.toThrow('download failed');
    await expect(third).resolves.toBe(7);
    expect(order).toEqual(['m start', 'm end', 'w start', 'w2 start']);
    expect(budget.state()).toEqual({ capacity: 100, inUse: 0, running: 0, waiting: 0 });
  });

  it('releases a reservation once, however often release is called', async () => {
    const budget = new MemoryBudget(10);
    const a = await budget.reserve(6);
    const b = await budget.reserve(4);
    let cAdmitted = false;
    const c = budget.reserve(6).then((r) => {
      cAdmitted = true;
      return r;
    });
    a.release();
    a.release();
    await new Promise((r) => setTimeout(r, 5));
    expect(cAdmitted).toBe(true);
    expect(budget.state()).toMatchObject({ inUse: 10, running: 2 });
    b.release();
    (await c).release();
    expect(budget.state().inUse).toBe(0);
  });
});

describe('akdVerificationBytes', () => {
  it('bounds the worker arrays by the shortest valid element: 72 bytes each, plus the fixed part', () => {
    expect(akdVerificationBytes(0)).toBe(VERIFY_FIXED_BYTES);
    expect(akdVerificationBytes(MIN_ELEMENT_BYTES)).toBe(72 + VERIFY_FIXED_BYTES);
    expect(akdVerificationBytes(MIN_ELEMENT_BYTES + 1)).toBe(144 + VERIFY_FIXED_BYTES);
    // The realistic shapes (docs/akd.md): W 44.3 MB → ≈ 96 MB; M 223 MB → ≈ 417 MB, above the
    // default budget of 384 MB, so an M verification runs alone.
    expect(Math.round(akdVerificationBytes(44_300_000) / MB)).toBe(92);
    expect(akdVerificationBytes(223_000_000)).toBeGreaterThan(384 * MB);
  });
});

describe('validation.memory_budget_mb', () => {
  const parse = (doc: unknown) => configFromObject(doc, '/etc/chorus/chorus.yaml');

  it('defaults to 384 MB and is read in MiB', () => {
    expect(DEFAULT_MEMORY_BUDGET_MB).toBe(384);
    expect(parse({}).validation.memoryBudgetBytes).toBe(384 * MB);
    expect(parse({ validation: { memory_budget_mb: 200 } }).validation.memoryBudgetBytes).toBe(200 * MB);
  });

  it.each([0, -5, 1.5, 2_000_000, 'lots'])('refuses %j, naming the field', (value) => {
    let err: unknown;
    try {
      parse({ validation: { memory_budget_mb: value } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).path).toBe('validation.memory_budget_mb');
  });
});
