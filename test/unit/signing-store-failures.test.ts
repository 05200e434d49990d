// Never sign twice, even after failed writes (issue 12 §1): on a real LevelDB and a real journal
// file, with write failures injected into the database (wrapWrites, the seam the node uses to see
// every failed write) and into the journal file. No signature is returned whose write failed,
// signing halts at once, and after a restart the journal check refuses a different digest for
// any epoch the journal holds until `chorus repair` restores it byte-identical.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { signingKeyFromSeed, verifyStrict } from '../../src/crypto/ed25519.js';
import type { SignedEpoch } from '../../src/store/records.js';
import { repairFromJournal, RepairError } from '../../src/operator/journal-repair.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { Batch, openDatabase, wrapWrites, type RootDb, type WriteKind } from '../../src/store/database.js';
import { nsEpochKey, SEP } from '../../src/store/keys.js';
import { SigningJournal, type JournalFile } from '../../src/store/signing-journal.js';
import { SigningHaltedError, SigningStore, type Signer } from '../../src/store/signing-store.js';
import { toHex } from '../../src/util/bytes.js';
import { tempDir } from '../support/tmp.js';

const key = signingKeyFromSeed(new Uint8Array(32).fill(3));
const otherKey = signingKeyFromSeed(new Uint8Array(32).fill(4));
let clock = 1000n;
const signerWith =
  (k = key): Signer =>
  (namespace, epoch, digest) => {
    const m = { ciphersuite: 1, namespace, timestamp: clock++, epoch, digest };
    return { ...m, signature: k.sign(signedBytes(m)), publicKey: k.publicKey };
  };
const signer = signerWith();
const d = (b: number) => new Uint8Array(32).fill(b);
const enospc = () =>
  Object.assign(new Error('IO error: /data/db/000005.log: No space left on device'), { code: 'ENOSPC' });

/** One "process": a database, a journal and a store over them, with failure switches. */
interface Proc {
  db: RootDb;
  journal: SigningJournal;
  store: SigningStore;
  /** Fail LevelDB writes of these kinds while set. */
  failDb: Set<WriteKind>;
  failJournal: 'none' | 'write' | 'sync';
}

/** What the node passes to the start-up check: is this one of our signatures? */
const verifyOwn = (r: SignedEpoch): boolean =>
  toHex(r.publicKey) === toHex(key.publicKey) && verifyStrict(r.publicKey, signedBytes(r), r.signature);

async function openProc(dir: string, compactAfter?: number, verify?: (r: SignedEpoch) => boolean): Promise<Proc> {
  const p = { failDb: new Set<WriteKind>(), failJournal: 'none' } as Proc;
  p.db = await openDatabase(join(dir, 'db'));
  const wrapFile = (f: JournalFile): JournalFile => ({
    append: (data) => (p.failJournal === 'write' ? Promise.reject(enospc()) : f.append(data)),
    sync: () => (p.failJournal === 'sync' ? Promise.reject(enospc()) : f.sync()),
    close: () => f.close(),
  });
  p.journal = await SigningJournal.open(join(dir, 'signing-journal.log'), { wrapFile });
  p.store = new SigningStore(p.db, {
    now: () => clock,
    journal: p.journal,
    ...(compactAfter ? { journalCompactAfter: compactAfter } : {}),
  });
  wrapWrites(p.db, async (kind, run) => {
    try {
      if (p.failDb.has(kind)) throw enospc();
      await run();
    } catch (err) {
      p.store.storeFailed(`LevelDB ${kind}: ${(err as Error).message}`, err);
      throw err;
    }
  });
  await p.store.load();
  await p.store.checkJournal(verify ? { verify } : {});
  return p;
}

async function closeProc(p: Proc): Promise<void> {
  if (p.db.status === 'open') await p.db.close();
  await p.journal.close();
}

/** Signs epochs from..to (inclusive) with digest fill = epoch. */
async function signRange(p: Proc, from: bigint, to: bigint): Promise<void> {
  for (let e = from; e <= to; e++) {
    const r = await p.store.checkAndSign('ns', undefined, { epoch: e, digest: d(Number(e)) }, signer);
    expect(r.kind).toBe('signed');
  }
}

describe('signing store with failed writes', () => {
  let tmp: ReturnType<typeof tempDir>;
  let p: Proc;
  beforeEach(async () => {
    tmp = tempDir();
    p = await openProc(tmp.dir);
  });
  afterEach(async () => {
    await closeProc(p);
    tmp.cleanup();
  });

  it('a failed LevelDB batch returns no signature, halts at once, and after restart the epoch is refused until repair', async () => {
    await signRange(p, 0n, 3n);
    const answered = await p.store.signedEpoch('ns', 3n);
    p.failDb.add('batch');
    await expect(p.store.checkAndSign('ns', undefined, { epoch: 4n, digest: d(4) }, signer)).rejects.toBeInstanceOf(
      SigningHaltedError,
    );
    expect(await p.store.signedEpoch('ns', 4n)).toBeUndefined();
    expect(p.store.storeFailure).toMatch(/No space left on device/);
    expect(p.store.writeFailures).toBe(1);
    // Space comes back: still halted (only a restart proves what the disk holds)...
    p.failDb.clear();
    const next = await p.store.checkAndSign('ns', undefined, { epoch: 4n, digest: d(44) }, signer);
    expect(next).toMatchObject({ kind: 'rejected', decision: { code: 'signing-halted' } });
    // ...but what was answered before is still served.
    const replay = await p.store.checkAndSign('ns', undefined, { epoch: 3n, digest: d(3) }, signer);
    expect(replay.kind === 'replayed' && toHex(replay.record.signature)).toBe(toHex(answered?.signature ?? d(0)));

    // Restart: the journal holds epoch 4 (never answered), the store does not.
    await closeProc(p);
    p = await openProc(tmp.dir);
    expect(p.store.storeFailure).toBeUndefined();
    expect(p.store.refusedNamespaces.get('ns')).toMatch(/lacks 1 signed epoch\(s\) from 4 \(digest 0404/);
    const other = await p.store.checkAndSign('ns', undefined, { epoch: 4n, digest: d(44) }, signer);
    expect(other).toMatchObject({ kind: 'rejected', decision: { code: 'signing-halted' } });
    expect(await p.store.signedEpoch('ns', 4n)).toBeUndefined();

    // Repair restores epoch 4 as it was signed; then only that digest is ever answered.
    const journalled = p.journal.loaded.find((r) => r.epoch === 4n);
    const summary = await repairFromJournal(p.store, [key.publicKey]);
    expect(summary.namespaces).toEqual([{ name: 'ns', restored: 1, from: `4/${toHex(d(4))}`, to: `4/${toHex(d(4))}` }]);
    await closeProc(p);
    p = await openProc(tmp.dir);
    expect(p.store.refusedNamespaces.size).toBe(0);
    const restored = await p.store.checkAndSign('ns', undefined, { epoch: 4n, digest: d(4) }, signer);
    expect(restored.kind).toBe('replayed');
    if (restored.kind === 'replayed') {
      expect(toHex(restored.record.signature)).toBe(toHex(journalled?.signature ?? d(0)));
      expect(restored.record.timestamp).toBe(journalled?.timestamp);
    }
    expect(await p.store.checkAndSign('ns', undefined, { epoch: 4n, digest: d(44) }, signer)).toMatchObject({
      kind: 'rejected',
      decision: { code: 'epoch-conflict' },
    });
    expect((await p.store.checkAndSign('ns', undefined, { epoch: 5n, digest: d(5) }, signer)).kind).toBe('signed');
    expect((await p.store.namespaceState('ns'))?.head?.epoch).toBe(5n);
  });

  it('a start writes back the one signature in flight at a crash (journal written, store not), and only that', async () => {
    await signRange(p, 0n, 3n);
    p.failDb.add('batch');
    await expect(p.store.checkAndSign('ns', undefined, { epoch: 4n, digest: d(4) }, signer)).rejects.toBeInstanceOf(
      SigningHaltedError,
    );
    expect(await p.store.signedEpoch('ns', 4n)).toBeUndefined();
    await closeProc(p);
    p = await openProc(tmp.dir, undefined, verifyOwn);
    expect(p.store.refusedNamespaces.size).toBe(0);
    expect(toHex((await p.store.signedEpoch('ns', 4n))!.digest)).toBe(toHex(d(4)));
    expect((await p.store.namespaceState('ns'))?.head?.epoch).toBe(4n);
    expect(await p.store.checkAndSign('ns', undefined, { epoch: 4n, digest: d(44) }, signer)).toMatchObject({
      kind: 'rejected',
      decision: { code: 'epoch-conflict' },
    });

    // Two epochs missing is a store that lost data: refused even with a verifier.
    const state = await p.store.namespaceState('ns');
    await new Batch(p.db)
      .del(p.store.signatures, nsEpochKey('ns', 3n))
      .del(p.store.signatures, nsEpochKey('ns', 4n))
      .put(p.store.states, 'ns', { ...(state as NonNullable<typeof state>), head: { epoch: 2n, digest: d(2) } })
      .write(true);
    await closeProc(p);
    p = await openProc(tmp.dir, undefined, verifyOwn);
    expect(p.store.refusedNamespaces.get('ns')).toMatch(/lacks 2 signed epoch/);
    // A record that is not the node's own is never written back by a start.
    await closeProc(p);
    p = await openProc(tmp.dir, undefined, () => false);
    expect(p.store.refusedNamespaces.get('ns')).toMatch(/lacks 2 signed epoch/);
  });

  it('a failed journal write returns no signature, writes nothing to the store and halts', async () => {
    await signRange(p, 0n, 2n);
    p.failJournal = 'write';
    await expect(p.store.checkAndSign('ns', undefined, { epoch: 3n, digest: d(3) }, signer)).rejects.toThrow(
      /signing journal.*No space left/,
    );
    expect(await p.store.signedEpoch('ns', 3n)).toBeUndefined();
    expect((await p.store.namespaceState('ns'))?.head?.epoch).toBe(2n);
    p.failJournal = 'none';
    expect(await p.store.checkAndSign('ns', undefined, { epoch: 3n, digest: d(3) }, signer)).toMatchObject({
      kind: 'rejected',
      decision: { code: 'signing-halted' },
    });
    // Nothing of epoch 3 reached any disk, nothing was answered: after a restart it is signable.
    await closeProc(p);
    p = await openProc(tmp.dir);
    expect(p.store.refusedNamespaces.size).toBe(0);
    expect((await p.store.checkAndSign('ns', undefined, { epoch: 3n, digest: d(33) }, signer)).kind).toBe('signed');
  });

  it('a failed journal fsync returns no signature; the record may be on disk, so restart refuses another digest', async () => {
    await signRange(p, 0n, 2n);
    p.failJournal = 'sync';
    await expect(p.store.checkAndSign('ns', undefined, { epoch: 3n, digest: d(3) }, signer)).rejects.toBeInstanceOf(
      SigningHaltedError,
    );
    expect(await p.store.signedEpoch('ns', 3n)).toBeUndefined();
    await closeProc(p);
    p = await openProc(tmp.dir);
    // The write reached the page cache, so the record is in the file: epoch 3 counts as signed.
    expect(p.store.refusedNamespaces.get('ns')).toMatch(/from 3 /);
    expect(await p.store.checkAndSign('ns', undefined, { epoch: 3n, digest: d(33) }, signer)).toMatchObject({
      kind: 'rejected',
      decision: { code: 'signing-halted' },
    });
  });

  it('any failed write to the database (not only a signature) halts signing', async () => {
    await signRange(p, 0n, 1n);
    const other = p.db.sublevel<string, string>('elsewhere', { valueEncoding: 'utf8' });
    p.failDb.add('put');
    await expect(other.put('k', 'v')).rejects.toThrow(/No space/);
    p.failDb.clear();
    expect(p.store.haltReasonFor('ns')).toMatch(/LevelDB put/);
    expect(await p.store.checkAndSign('ns', undefined, { epoch: 2n, digest: d(2) }, signer)).toMatchObject({
      kind: 'rejected',
      decision: { code: 'signing-halted' },
    });
  });

  it('a store that lost its tail (LevelDB dropped answered signatures) is refused until repair restores them byte-identical', async () => {
    await signRange(p, 0n, 6n);
    const answered = new Map<bigint, string>();
    for await (const r of p.store.signedEpochs('ns')) answered.set(r.epoch, toHex(r.signature));
    // What a dropped log tail looks like: epochs 5 and 6 gone, the head back at 4.
    const state = await p.store.namespaceState('ns');
    await new Batch(p.db)
      .del(p.store.signatures, nsEpochKey('ns', 5n))
      .del(p.store.signatures, nsEpochKey('ns', 6n))
      .del(p.store.digests, `ns${SEP}${toHex(d(5))}`)
      .del(p.store.digests, `ns${SEP}${toHex(d(6))}`)
      .put(p.store.states, 'ns', {
        ...(state as NonNullable<typeof state>),
        head: { epoch: 4n, digest: d(4) },
        signedCount: 5n,
      })
      .write(true);
    await closeProc(p);
    p = await openProc(tmp.dir);
    expect(p.store.refusedNamespaces.get('ns')).toMatch(/lacks 2 signed epoch\(s\) from 5 .* to 6 /);
    for (const e of [5n, 6n, 7n]) {
      expect(await p.store.checkAndSign('ns', undefined, { epoch: e, digest: d(90) }, signer)).toMatchObject({
        kind: 'rejected',
        decision: { code: 'signing-halted' },
      });
    }
    await repairFromJournal(p.store, [key.publicKey]);
    await closeProc(p);
    p = await openProc(tmp.dir);
    for await (const r of p.store.signedEpochs('ns')) expect(toHex(r.signature)).toBe(answered.get(r.epoch));
    expect((await p.store.namespaceState('ns'))?.head?.epoch).toBe(6n);
    expect(await p.store.checkAndSign('ns', undefined, { epoch: 6n, digest: d(90) }, signer)).toMatchObject({
      kind: 'rejected',
      decision: { code: 'epoch-conflict' },
    });
  });

  it('repair refuses, changing nothing, when journal and store disagree or a record is not signed by the node', async () => {
    await signRange(p, 0n, 2n);
    // The store holds another digest at epoch 2 than the journal (as if signed twice).
    await new Batch(p.db)
      .put(p.store.signatures, nsEpochKey('ns', 2n), { ...(await p.store.signedEpoch('ns', 2n))!, digest: d(77) })
      .write(true);
    await closeProc(p);
    p = await openProc(tmp.dir);
    expect(p.store.refusedNamespaces.get('ns')).toMatch(/disagree .* epoch 2/);
    await expect(repairFromJournal(p.store, [key.publicKey])).rejects.toBeInstanceOf(RepairError);
    expect(toHex((await p.store.signedEpoch('ns', 2n))!.digest)).toBe(toHex(d(77)));

    // A journal record under a key that is not the node's.
    const t2 = tempDir();
    const q = await openProc(t2.dir);
    try {
      await q.store.checkAndSign('x', undefined, { epoch: 0n, digest: d(1) }, signer);
      await q.store.checkAndSign('x', undefined, { epoch: 1n, digest: d(2) }, signerWith(otherKey));
      await new Batch(q.db).del(q.store.signatures, nsEpochKey('x', 1n)).write(true);
      await closeProc(q);
      const q2 = await openProc(t2.dir);
      await expect(repairFromJournal(q2.store, [key.publicKey])).rejects.toThrow(/not by one of this node's keys/);
      expect(await q2.store.signedEpoch('x', 1n)).toBeUndefined();
      await closeProc(q2);
    } finally {
      t2.cleanup();
    }
  });

  it('a journal behind the store (lost or first start) is extended from the store; a long one is compacted', async () => {
    await signRange(p, 0n, 9n);
    await closeProc(p);
    rmSync(join(tmp.dir, 'signing-journal.log'));
    p = await openProc(tmp.dir);
    expect(p.store.refusedNamespaces.size).toBe(0);
    await closeProc(p);
    p = await openProc(tmp.dir, 5);
    expect(p.journal.loaded.map((r) => r.epoch)).toEqual([9n]);
    await signRange(p, 10n, 16n);
    await closeProc(p);
    p = await openProc(tmp.dir, 5);
    // 8 records > 5: compacted to the newest per namespace, after the check passed.
    await closeProc(p);
    p = await openProc(tmp.dir, 5);
    expect(p.journal.loaded.map((r) => r.epoch)).toEqual([16n]);
    expect(p.store.refusedNamespaces.size).toBe(0);
    expect(await p.store.checkAndSign('ns', undefined, { epoch: 16n, digest: d(99) }, signer)).toMatchObject({
      kind: 'rejected',
      decision: { code: 'epoch-conflict' },
    });
  });
});
