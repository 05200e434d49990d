// Proof storage as files: verified proofs under retention (bytes, age, count), evidence kept until
// the operator prunes it, half-done downloads cleared at start. Real LevelDB, real files.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ProofFileStore } from '../../src/store/proof-files.js';
import { tempDir } from '../support/tmp.js';

const NS = 'w.example';
const name = (e: number) => `${e}/${'a'.repeat(64)}/${e.toString(16).padStart(64, '0')}`;

describe('proof file store', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  let clock = 1_000_000n;
  let store: ProofFileStore;
  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
    store = new ProofFileStore(db, join(tmp.dir, 'proofs'), () => clock);
    await store.open();
  });
  afterEach(async () => {
    await db.close();
    tmp.cleanup();
  });

  const put = async (e: number, bytes: number, evidence?: string) => {
    const f = store.incomingPath();
    writeFileSync(f, Buffer.alloc(bytes, e));
    return store.keep(NS, name(e), f, bytes, evidence ? { reason: evidence } : undefined);
  };

  it('moves a download into the store and finds it by blob name', async () => {
    await put(5, 100);
    const f = await store.file(name(5));
    expect(f?.proof).toMatchObject({ namespace: NS, epoch: 5n, bytes: 100, evidence: false });
    expect(readFileSync(f!.path)).toEqual(Buffer.alloc(100, 5));
    expect(await store.filesOnDisk(NS)).toEqual([`kept/${name(5).replaceAll('/', '-')}`]);
    expect(await store.file(name(6))).toBeUndefined();
  });

  it('retention by bytes, count and age drops the oldest verified proofs and never evidence', async () => {
    await put(1, 100, 'did not verify');
    for (let e = 2; e <= 6; e++) {
      clock += 1000n;
      await put(e, 100);
    }
    expect(await store.applyRetention(NS, { maxBytes: 300, maxAgeMs: 0, maxEpochs: 0 })).toEqual({
      removed: 2,
      bytes: 200,
    });
    expect(await store.usage(NS)).toEqual({ kept: 300, evidence: 100, files: 4 });
    expect(await store.applyRetention(NS, { maxBytes: 0, maxAgeMs: 0, maxEpochs: 2 })).toEqual({
      removed: 1,
      bytes: 100,
    });
    clock += 10_000n;
    await put(7, 100);
    expect(await store.applyRetention(NS, { maxBytes: 0, maxAgeMs: 5_000, maxEpochs: 0 })).toEqual({
      removed: 2,
      bytes: 200,
    });
    expect(await store.filesOnDisk(NS)).toEqual([
      `evidence/${name(1).replaceAll('/', '-')}`,
      `kept/${name(7).replaceAll('/', '-')}`,
    ]);
  });

  it('evidence stays until the operator prunes it; marking a kept proof as evidence moves it', async () => {
    await put(1, 10, 'did not verify');
    await put(2, 10);
    expect(await store.markEvidence(NS, name(2), 'epoch forked')).toBe(true);
    expect((await store.file(name(2)))?.proof).toMatchObject({ evidence: true, reason: 'epoch forked' });
    expect(await store.applyRetention(NS, { maxBytes: 1, maxAgeMs: 1, maxEpochs: 1 })).toEqual({
      removed: 0,
      bytes: 0,
    });
    const pruned = await store.prune(NS, { evidenceOnly: true, throughEpoch: 1n });
    expect(pruned).toEqual({ removed: 1, bytes: 10, blobs: [name(1)] });
    expect(await store.file(name(1))).toBeUndefined();
    expect(await store.filesOnDisk(NS)).toEqual([`evidence/${name(2).replaceAll('/', '-')}`]);
  });

  it('clears half-done downloads and proofs an earlier version kept in LevelDB at start', async () => {
    const f = store.incomingPath();
    writeFileSync(f, 'partial');
    const legacy = db.sublevel<string, Uint8Array>('proof-blobs', { keyEncoding: 'utf8', valueEncoding: 'view' });
    await legacy.put(name(1), new Uint8Array(1000));
    await store.open();
    expect(existsSync(f)).toBe(false);
    expect(await legacy.get(name(1))).toBeUndefined();
  });
});
