// The checkpoint store on real LevelDB (docs/c2sp.md, "Checkpoints in the network"): one signature per key,
// bounded per body (this node's own cosignature always kept), the latest size, the arrival order sync pages
// through, and the own-cosignature rule surviving a restart.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { akdCheckpointBody } from '../../src/c2sp/akd-checkpoint.js';
import { cosigner } from '../../src/c2sp/cosignature.js';
import type { CheckpointSignature } from '../../src/consensus/checkpoint-rules.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { CheckpointStore, OwnCosignatureConflictError } from '../../src/store/checkpoint-store.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { tempDir } from '../support/tmp.js';

const O = 'whatsapp.kt/v2';
const body = (e: bigint, b: number) => akdCheckpointBody(O, e, new Uint8Array(32).fill(b));
const witness = (i: number, text: string, ts = 100n): CheckpointSignature => ({
  signature: cosigner(`w${i}`, signingKeyFromSeed(new Uint8Array(32).fill(i))).cosign(text, ts),
  role: 'witness',
  signer: `w${i}`,
  timestamp: ts,
});

describe('CheckpointStore', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb | undefined;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await db?.close();
    tmp.cleanup();
  });
  const open = async (max?: number) => {
    db = await openDatabase(join(tmp.dir, 'db'));
    const s = new CheckpointStore(db, max);
    await s.ready();
    return s;
  };

  it('keeps one signature per key, bounded, and always this node’s own', async () => {
    const s = await open(2);
    const t = body(1n, 1);
    const r = await s.add(O, 1n, t, [witness(1, t), witness(1, t, 200n), witness(2, t), witness(3, t)], 5n);
    // w1 twice (another timestamp) counts once; the bound keeps two.
    expect(r.added.map((x) => [x.signer, x.timestamp])).toEqual([
      ['w1', 100n],
      ['w2', 100n],
    ]);
    expect((await s.add(O, 1n, t, [witness(3, t)], 6n)).added).toEqual([]);
    const own = await s.cosignOnce(O, 1n, t, () => witness(9, t), [], 7n);
    expect(own.added.map((x) => x.signer)).toEqual(['w9']);
    expect((await s.body(O, 1n, t))?.signatures.map((x) => x.signer)).toEqual(['w1', 'w2', 'w9']);
  });

  it('pages bodies in the order they last changed, and tracks the latest size', async () => {
    const s = await open();
    for (let e = 1n; e <= 3n; e++) await s.add(O, e, body(e, Number(e)), [witness(1, body(e, Number(e)))], e);
    expect(await s.latestSize(O)).toBe(3n);
    await s.add(O, 1n, body(1n, 1), [witness(2, body(1n, 1))], 9n);
    await s.add(O, 2n, body(2n, 9), [witness(3, body(2n, 9))], 9n);
    expect(await s.latestSize(O)).toBe(3n);
    const all = await s.arrivalPage(O, 0n, 10);
    expect(all.items.map((b) => [b.size, b.signatures.length])).toEqual([
      [2n, 1],
      [3n, 1],
      [1n, 2],
      [2n, 1],
    ]);
    expect(all.done).toBe(true);
    const first = await s.arrivalPage(O, 0n, 2);
    expect(first.done).toBe(false);
    const rest = await s.arrivalPage(O, first.last, 10);
    expect([...first.items, ...rest.items].map((b) => b.text)).toEqual(all.items.map((b) => b.text));
    expect(await s.arrivalPage('other', 0n, 10)).toEqual({ items: [], last: 0n, done: true });
  });

  it('never cosigns two bodies for one size, across a restart', async () => {
    let s = await open();
    let calls = 0;
    const sign = (t: string) => () => (calls++, witness(9, t));
    await s.cosignOnce(O, 4n, body(4n, 1), sign(body(4n, 1)), [], 1n);
    await db!.close();
    s = await open();
    await expect(s.cosignOnce(O, 4n, body(4n, 2), sign(body(4n, 2)), [], 2n)).rejects.toThrow(
      OwnCosignatureConflictError,
    );
    const again = await s.cosignOnce(O, 4n, body(4n, 1), sign(body(4n, 1)), [], 3n);
    expect(calls).toBe(1);
    expect(again.own.signer).toBe('w9');
    expect(await s.ownBody(O, 4n)).toBe(body(4n, 1));
    expect((await s.bodies(O, 4n)).map((b) => b.text)).toEqual([body(4n, 1)]);
  });
});
