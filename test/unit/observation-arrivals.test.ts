// The observation store's arrival log (what sync pages through): every stored observation gets
// the next arrival number in the same batch, pages follow arrival order per namespace whatever
// the epoch, a mark from a wiped log starts over, and a store from before the log is numbered.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Batch, openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore, observationKey } from '../../src/store/observation-store.js';
import type { Observation } from '../../src/consensus/observation.js';
import { tempDir } from '../support/tmp.js';

const obs = (namespace: string, epoch: bigint, signer: number): Observation => ({
  ciphersuite: 1,
  namespace,
  timestamp: 1000n + epoch,
  epoch,
  digest: new Uint8Array(32).fill(Number(epoch % 200n)),
  signature: new Uint8Array(64).fill(signer),
  signerKey: new Uint8Array(32).fill(signer),
});
const epochs = (items: Observation[]): bigint[] => items.map((o) => o.epoch);

describe('ObservationStore arrival log', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
  });
  afterEach(async () => {
    if (db.status === 'open') await db.close();
    tmp.cleanup();
  });

  it('pages observations of one namespace in the order they were stored, old epochs included', async () => {
    const store = new ObservationStore(db);
    for (const e of [10n, 11n, 12n]) await store.storeObservation(obs('a', e, 1));
    await store.storeObservation(obs('b', 5n, 1));
    // A lagging signer's old epochs arrive after newer ones.
    for (const e of [3n, 4n]) await store.storeObservation(obs('a', e, 2));
    const all = await store.arrivalPage('a', 0n, 100, 1000);
    expect(epochs(all.items)).toEqual([10n, 11n, 12n, 3n, 4n]);
    expect(all).toMatchObject({ last: 6n, done: true });
    // Resuming after the 3rd arrival: only what came later (the other namespace is skipped).
    expect(epochs((await store.arrivalPage('a', 3n, 100, 1000)).items)).toEqual([3n, 4n]);
    // Small pages: not done until the scan reaches the newest arrival.
    const p1 = await store.arrivalPage('a', 0n, 2, 1000);
    expect(epochs(p1.items)).toEqual([10n, 11n]);
    expect(p1.done).toBe(false);
    const p2 = await store.arrivalPage('a', p1.last, 2, 2);
    expect(p2.done).toBe(false);
    const p3 = await store.arrivalPage('a', p2.last, 2, 1000);
    expect([...epochs(p2.items), ...epochs(p3.items)]).toEqual([12n, 3n, 4n]);
    expect(p3.done).toBe(true);
    // A duplicate is not stored again, so it is not a new arrival.
    await store.storeObservation(obs('a', 10n, 1));
    expect((await store.arrivalPage('a', 6n, 100, 1000)).items).toEqual([]);
  });

  it('numbers our own observations written in another batch, across a restart', async () => {
    const store = new ObservationStore(db);
    await store.ready();
    const batch = new Batch(db);
    store.addObservation(batch, obs('a', 1n, 9));
    await batch.write(true);
    await store.storeObservation(obs('a', 2n, 1));
    const again = new ObservationStore(db);
    await again.storeObservation(obs('a', 3n, 1));
    expect(epochs((await again.arrivalPage('a', 0n, 100, 1000)).items)).toEqual([1n, 2n, 3n]);
    // A mark beyond this log (it was wiped or restored) starts from the start.
    expect(epochs((await again.arrivalPage('a', 1000n, 100, 1000)).items)).toEqual([1n, 2n, 3n]);
  });

  it('refuses to write before it is ready', () => {
    const store = new ObservationStore(db);
    expect(() => store.addObservation(new Batch(db), obs('a', 1n, 1))).toThrow(/ready/);
  });

  it('numbers the observations of a store written before the arrival log', async () => {
    const old = new ObservationStore(db);
    const batch = new Batch(db);
    for (const e of [7n, 8n]) batch.put(old.observations, observationKey(obs('a', e, 1)), obs('a', e, 1));
    await batch.write(true);
    const store = new ObservationStore(db);
    await store.storeObservation(obs('a', 2n, 2));
    expect(epochs((await store.arrivalPage('a', 0n, 100, 1000)).items)).toEqual([7n, 8n, 2n]);
  });

  it('pages stop below a batch still in flight, so a mark never skips an entry', async () => {
    const store = new ObservationStore(db);
    await store.storeObservation(obs('a', 1n, 1));
    // Arrival 2 is handed out to a batch that is not written yet; arrival 3 commits first.
    const slow = new Batch(db);
    store.addObservation(slow, obs('a', 2n, 9));
    await store.storeObservation(obs('a', 3n, 1));
    const before = await store.arrivalPage('a', 0n, 100, 1000);
    expect(epochs(before.items)).toEqual([1n]);
    expect(before).toMatchObject({ last: 1n, done: true });
    await slow.write(false);
    // Resuming at the mark brings both, in arrival order.
    expect(epochs((await store.arrivalPage('a', before.last, 100, 1000)).items)).toEqual([2n, 3n]);
  });

  it('keeps one log id across restarts; a wiped store gets a new one', async () => {
    const store = new ObservationStore(db);
    await store.ready();
    const id = store.arrivalLogId;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const again = new ObservationStore(db);
    await again.ready();
    expect(again.arrivalLogId).toBe(id);
    const other = await openDatabase(join(tmp.dir, 'db2'));
    try {
      const fresh = new ObservationStore(other);
      await fresh.ready();
      expect(fresh.arrivalLogId).not.toBe(id);
    } finally {
      await other.close();
    }
  });
});
