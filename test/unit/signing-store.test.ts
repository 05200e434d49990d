import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, StoreLockedError, type RootDb } from '../../src/store/database.js';
import { SigningStore, type Signer } from '../../src/store/signing-store.js';
import { signingKeyFromSeed, verifyStrict } from '../../src/crypto/ed25519.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { toHex } from '../../src/util/bytes.js';
import { tempDir } from '../support/tmp.js';

const key = signingKeyFromSeed(new Uint8Array(32).fill(3));
let clock = 1000n;
const signer: Signer = (namespace, epoch, digest) => {
  const m = { ciphersuite: 1, namespace, timestamp: clock++, epoch, digest };
  return { ...m, signature: key.sign(signedBytes(m)), publicKey: key.publicKey };
};
const d = (b: number) => new Uint8Array(32).fill(b);

describe('SigningStore on a real LevelDB', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  let store: SigningStore;
  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
    store = new SigningStore(db, { now: () => clock });
  });
  afterEach(async () => {
    if (db.status === 'open') await db.close();
    tmp.cleanup();
  });

  it('signs a root then consecutive epochs, each signature verifying', async () => {
    const r0 = await store.checkAndSign('ns', undefined, { epoch: 10n, digest: d(10) }, signer);
    expect(r0).toMatchObject({ kind: 'signed', becameRoot: true });
    const r1 = await store.checkAndSign('ns', undefined, { epoch: 11n, digest: d(11), previous: d(10) }, signer);
    expect(r1.kind).toBe('signed');
    if (r1.kind !== 'signed') return;
    expect(verifyStrict(key.publicKey, signedBytes(r1.record), r1.record.signature)).toBe(true);
    const state = await store.namespaceState('ns');
    expect(state?.root?.epoch).toBe(10n);
    expect(state?.head?.epoch).toBe(11n);
    expect(state?.signedCount).toBe(2n);
  });

  it('many concurrent conflicting submissions for one epoch sign exactly one digest', async () => {
    await store.checkAndSign('ns', undefined, { epoch: 0n, digest: d(0) }, signer);
    const attempts = Array.from({ length: 200 }, (_, i) =>
      store.checkAndSign('ns', undefined, { epoch: 1n, digest: d(1 + (i % 50)) }, signer),
    );
    const results = await Promise.all(attempts);
    const signed = results.filter((r) => r.kind === 'signed');
    expect(signed).toHaveLength(1);
    const winner = (signed[0] as { record: { digest: Uint8Array } }).record.digest;
    for (const r of results) {
      if (r.kind === 'replayed') expect(toHex(r.record.digest)).toBe(toHex(winner));
      if (r.kind === 'rejected') expect(r.decision.code).toBe('epoch-conflict');
    }
    const stored = await store.signedEpoch('ns', 1n);
    expect(toHex(stored?.digest ?? new Uint8Array())).toBe(toHex(winner));
    const conflicts = await store.listConflicts('ns');
    expect(conflicts.length).toBe(49);
    expect(conflicts.every((c) => toHex(c.signedDigest) === toHex(winner))).toBe(true);
  });

  it('keeps signatures across a close and reopen, and refuses a second process-level open', async () => {
    const r = await store.checkAndSign('ns', undefined, { epoch: 7n, digest: d(7) }, signer);
    if (r.kind !== 'signed') throw new Error('expected a signature');
    await expect(openDatabase(join(tmp.dir, 'db'))).rejects.toBeInstanceOf(StoreLockedError);
    await db.close();
    db = await openDatabase(join(tmp.dir, 'db'));
    store = new SigningStore(db, { now: () => clock });
    const again = await store.checkAndSign('ns', undefined, { epoch: 7n, digest: d(7) }, signer);
    expect(again.kind).toBe('replayed');
    if (again.kind === 'replayed') expect(toHex(again.record.signature)).toBe(toHex(r.record.signature));
    const other = await store.checkAndSign('ns', undefined, { epoch: 7n, digest: d(8) }, signer);
    expect(other).toMatchObject({ kind: 'rejected', decision: { code: 'epoch-conflict' } });
  });

  it('namespaces are independent and iterate in epoch order', async () => {
    for (const ns of ['a', 'b']) {
      for (let e = 0n; e < 12n; e++)
        await store.checkAndSign(ns, undefined, { epoch: e, digest: d(Number(e) + (ns === 'a' ? 0 : 100)) }, signer);
    }
    const epochs: bigint[] = [];
    for await (const s of store.signedEpochs('a')) epochs.push(s.epoch);
    expect(epochs).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i)));
    const last: bigint[] = [];
    for await (const s of store.signedEpochs('b', { reverse: true, limit: 2 })) last.push(s.epoch);
    expect(last).toEqual([11n, 10n]);
  });

  it('refuses any signing in a disabled namespace', async () => {
    const r = await store.checkAndSign('ns', 'Disabled', { epoch: 1n, digest: d(1) }, signer);
    expect(r).toMatchObject({ kind: 'rejected', decision: { code: 'namespace-disabled' } });
    expect(await store.signedEpoch('ns', 1n)).toBeUndefined();
  });
});
