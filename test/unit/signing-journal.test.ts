// The signing journal on a real filesystem: self-checking records, torn tails cut off at open,
// damage refused, group commit, and failed writes (injected) that fail every later append.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 as zlibCrc } from 'node:zlib';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import type { SignedEpoch } from '../../src/store/records.js';
import {
  decodeJournal,
  encodeRecord,
  JOURNAL_HEADER,
  JournalCorruptError,
  JournalWriteError,
  MAX_TORN_BYTES,
  SigningJournal,
  type JournalFile,
} from '../../src/store/signing-journal.js';
import { isInFlightGap, judgeNamespace } from '../../src/store/journal-rules.js';
import { toHex } from '../../src/util/bytes.js';
import { tempDir } from '../support/tmp.js';

const key = signingKeyFromSeed(new Uint8Array(32).fill(5));
function record(epoch: bigint, fill = Number(epoch % 250n) + 1, ns = 'ns'): SignedEpoch {
  const m = {
    ciphersuite: 1,
    namespace: ns,
    timestamp: 1_700_000_000_000n + (epoch % 1000n),
    epoch,
    digest: new Uint8Array(32).fill(fill),
  };
  return {
    ...m,
    signature: key.sign(signedBytes(m)),
    publicKey: key.publicKey,
    ...(epoch > 0n ? { previous: new Uint8Array(32).fill(fill - 1) } : {}),
  };
}
const header = Buffer.from(JOURNAL_HEADER);
const same = (a: SignedEpoch, b: SignedEpoch) => expect(toHex(encodeRecord(a))).toBe(toHex(encodeRecord(b)));

describe('journal encoding (pure)', () => {
  const records = [record(0n), record(1n), record(18446744073709551615n, 9)];
  const whole = Buffer.concat([header, ...records.map(encodeRecord)]);

  it('round-trips records byte for byte, u64 extremes included', () => {
    const out = decodeJournal(whole);
    expect(out.tornBytes).toBe(0);
    expect(out.validBytes).toBe(whole.length);
    expect(out.records).toHaveLength(3);
    out.records.forEach((r, i) => same(r, records[i] as SignedEpoch));
    expect(out.records[2]?.epoch).toBe(18446744073709551615n);
  });

  it('treats every cut inside the last record as a torn tail and keeps the records before it', () => {
    const lastStart = whole.length - encodeRecord(records[2] as SignedEpoch).length;
    for (let cut = lastStart + 1; cut < whole.length; cut++) {
      const out = decodeJournal(whole.subarray(0, cut));
      expect(out.records).toHaveLength(2);
      expect(out.validBytes).toBe(lastStart);
      expect(out.tornBytes).toBe(cut - lastStart);
    }
  });

  it('treats a zero-filled tail and a flipped byte in the last record as torn', () => {
    expect(decodeJournal(Buffer.concat([whole, Buffer.alloc(4096)])).records).toHaveLength(3);
    const flipped = Buffer.from(whole);
    flipped.writeUInt8((flipped.readUInt8(whole.length - 3) ^ 1) & 0xff, whole.length - 3);
    const out = decodeJournal(flipped);
    expect(out.records).toHaveLength(2);
    expect(out.tornBytes).toBeGreaterThan(0);
  });

  it('accepts a header cut short (torn creation) and refuses any other file', () => {
    expect(decodeJournal(header.subarray(0, 7))).toEqual({ records: [], validBytes: 0, tornBytes: 7 });
    expect(() => decodeJournal(Buffer.from('{"not":"a journal"}\n'))).toThrow(JournalCorruptError);
    expect(() => decodeJournal(Buffer.from('xy'))).toThrow(JournalCorruptError);
  });

  it('refuses damage larger than one unfinished append instead of dropping the records after it', () => {
    const damaged = Buffer.concat([header, encodeRecord(record(0n)), Buffer.alloc(MAX_TORN_BYTES + 1, 0xff)]);
    expect(() => decodeJournal(damaged)).toThrow(/more than one unfinished append/);
  });

  it('refuses a record that passes its checksum but is not a signed epoch', () => {
    const payload = Buffer.from('{"epoch":"1"}');
    const rec = Buffer.alloc(8 + payload.length);
    rec.writeUInt32BE(payload.length, 0);
    rec.writeUInt32BE(zlibCrc(payload), 4);
    payload.copy(rec, 8);
    expect(() => decodeJournal(Buffer.concat([header, rec]))).toThrow(/passes its checksum but does not decode/);
  });
});

describe('SigningJournal on a real file', () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(() => {
    tmp = tempDir();
    path = join(tmp.dir, 'signing-journal.log');
  });
  afterEach(() => tmp.cleanup());

  it('creates the file, appends concurrently (group commit) and reads everything back in order', async () => {
    const j = await SigningJournal.open(path);
    expect(j.loaded).toEqual([]);
    await Promise.all(Array.from({ length: 300 }, (_, i) => j.append([record(BigInt(i))])));
    await j.close();
    const again = await SigningJournal.open(path);
    expect(again.loaded.map((r) => r.epoch).sort((a, b) => (a < b ? -1 : 1))).toEqual(
      Array.from({ length: 300 }, (_, i) => BigInt(i)),
    );
    await again.close();
  });

  it('cuts a torn tail off at open so that new records follow the last whole one', async () => {
    const j = await SigningJournal.open(path);
    await j.append([record(1n), record(2n)]);
    await j.close();
    const torn = encodeRecord(record(3n)).subarray(0, 50);
    appendFileSync(path, torn);
    const sizeBefore = statSync(path).size;
    const reopened = await SigningJournal.open(path);
    expect(reopened.tornBytes).toBe(50);
    expect(statSync(path).size).toBe(sizeBefore - 50);
    expect(reopened.loaded.map((r) => r.epoch)).toEqual([1n, 2n]);
    await reopened.append([record(4n)]);
    await reopened.close();
    const last = await SigningJournal.open(path);
    expect(last.loaded.map((r) => r.epoch)).toEqual([1n, 2n, 4n]);
    expect(last.tornBytes).toBe(0);
    await last.close();
  });

  it('refuses to open a damaged file and leaves it as it was', async () => {
    writeFileSync(path, 'something else entirely\n');
    await expect(SigningJournal.open(path)).rejects.toThrow(JournalCorruptError);
    expect(readFileSync(path, 'utf8')).toBe('something else entirely\n');
  });

  it('after a failed fsync rejects that append, everything queued with it, and every later one', async () => {
    let failSync = false;
    const wrapFile = (f: JournalFile): JournalFile => ({
      append: (d) => f.append(d),
      sync: () =>
        failSync ? Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })) : f.sync(),
      close: () => f.close(),
    });
    const j = await SigningJournal.open(path, { wrapFile });
    await j.append([record(1n)]);
    failSync = true;
    const results = await Promise.allSettled([j.append([record(2n)]), j.append([record(3n)]), j.append([record(4n)])]);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof JournalWriteError)).toBe(true);
    expect(j.failure?.message).toMatch(/EIO/);
    failSync = false;
    await expect(j.append([record(5n)])).rejects.toBeInstanceOf(JournalWriteError);
    await j.close();
    // The records whose fsync failed may or may not be on disk; epoch 5 never reached the file.
    const again = await SigningJournal.open(path);
    expect(again.loaded.map((r) => r.epoch)).not.toContain(5n);
    expect(again.loaded[0]?.epoch).toBe(1n);
    await again.close();
  });

  it('a write that stops half way (disk full) leaves a torn tail the next open removes', async () => {
    let budget = Infinity;
    const wrapFile = (f: JournalFile): JournalFile => ({
      append: async (d) => {
        if (d.length <= budget) return f.append(d);
        await f.append(d.subarray(0, budget));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
      sync: () => f.sync(),
      close: () => f.close(),
    });
    const j = await SigningJournal.open(path, { wrapFile });
    await j.append([record(1n)]);
    budget = 40;
    await expect(j.append([record(2n)])).rejects.toThrow(/ENOSPC/);
    await j.close();
    const again = await SigningJournal.open(path);
    expect(again.tornBytes).toBe(40);
    expect(again.loaded.map((r) => r.epoch)).toEqual([1n]);
    await again.close();
  });

  it('compacts to the given records atomically', async () => {
    const j = await SigningJournal.open(path);
    for (let e = 0n; e < 20n; e++) await j.append([record(e)]);
    await j.compact([record(19n)]);
    await j.append([record(20n)]);
    await j.close();
    const again = await SigningJournal.open(path);
    expect(again.loaded.map((r) => r.epoch)).toEqual([19n, 20n]);
    same(again.loaded[0] as SignedEpoch, record(19n));
    await again.close();
  });
});

describe('journal rules (pure)', () => {
  const stored = (...epochs: bigint[]) => new Map(epochs.map((e) => [e, record(e).digest]));
  it('judges consistent, store-behind and conflicts', () => {
    const j = [record(1n), record(2n), record(3n)];
    expect(judgeNamespace('ns', j, stored(1n, 2n, 3n))).toEqual({ kind: 'consistent' });
    const behind = judgeNamespace('ns', j, stored(1n));
    expect(behind.kind === 'store-behind' && behind.missing.map((r) => r.epoch)).toEqual([2n, 3n]);
    const other = new Map([[2n, new Uint8Array(32).fill(0xee)]]);
    expect(judgeNamespace('ns', j, other)).toMatchObject({ kind: 'conflict', epoch: 2n });
    expect(judgeNamespace('ns', [record(1n), record(1n, 77)], stored(1n))).toMatchObject({
      kind: 'conflict',
      epoch: 1n,
      reason: /journal itself holds two digests/,
    });
  });
  it('an in-flight gap is exactly the newest journal record, one above the store head', () => {
    const j = [record(1n), record(2n), record(3n)];
    expect(isInFlightGap(judgeNamespace('ns', j, stored(1n, 2n)), j, { epoch: 2n })).toBe(true);
    expect(isInFlightGap(judgeNamespace('ns', j, stored(1n)), j, { epoch: 1n })).toBe(false);
    expect(isInFlightGap(judgeNamespace('ns', j, stored(1n, 2n)), j, { epoch: 1n })).toBe(false);
    expect(isInFlightGap(judgeNamespace('ns', [record(0n)], stored()), [record(0n)], undefined)).toBe(true);
    expect(isInFlightGap(judgeNamespace('ns', j, stored(1n, 2n, 3n)), j, { epoch: 3n })).toBe(false);
  });
});
