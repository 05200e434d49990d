// The observation store's cache follows the disk: an observation whose write failed is not
// remembered as stored (it is stored on the next arrival), and the in-flight expiry of the
// arrival log runs on the injected clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Batch, openDatabase, wrapWrites, type RootDb } from '../../src/store/database.js';
import { IN_FLIGHT_EXPIRY_MS, ObservationStore } from '../../src/store/observation-store.js';
import type { Observation } from '../../src/consensus/observation.js';
import { tempDir } from '../support/tmp.js';

const obs = (epoch: bigint, signer: number): Observation => ({
  ciphersuite: 1,
  namespace: 'a',
  timestamp: 1000n + epoch,
  epoch,
  digest: new Uint8Array(32).fill(7),
  signature: new Uint8Array(64).fill(signer),
  signerKey: new Uint8Array(32).fill(signer),
});

describe('ObservationStore cache and clock', () => {
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

  it('does not remember an observation whose write failed', async () => {
    let failing = false;
    wrapWrites(db, async (kind, run) => {
      if (failing) throw new Error(`disk full (${kind})`);
      await run();
    });
    const store = new ObservationStore(db);
    expect((await store.storeObservation(obs(5n, 1))).stored).toBe(true); // the epoch is now cached
    failing = true;
    await expect(store.storeObservation(obs(5n, 2))).rejects.toThrow('disk full');
    failing = false;
    expect(await store.hasObservation(obs(5n, 2))).toBe(false);
    const again = await store.storeObservation(obs(5n, 2));
    expect(again.stored).toBe(true);
    expect(again.known.map((o) => o.signerKey[0])).toEqual([1]);
    expect((await store.observationsAt('a', 5n)).map((o) => o.signerKey[0]).sort()).toEqual([1, 2]);
  });

  it('an unwritten batch holds the arrival head back until the injected clock passes the expiry', async () => {
    let now = 1_000_000n;
    const store = new ObservationStore(db, { now: () => now });
    await store.storeObservation(obs(1n, 1));
    store.addObservation(new Batch(db), obs(2n, 1)); // built, never written
    await store.storeObservation(obs(3n, 1));
    expect((await store.arrivalPage('a', 0n, 100, 1000)).items.map((o) => o.epoch)).toEqual([1n]);
    now += IN_FLIGHT_EXPIRY_MS;
    expect((await store.arrivalPage('a', 0n, 100, 1000)).items.map((o) => o.epoch)).toEqual([1n]);
    now += 1n;
    expect((await store.arrivalPage('a', 0n, 100, 1000)).items.map((o) => o.epoch)).toEqual([1n, 3n]);
  });
});
