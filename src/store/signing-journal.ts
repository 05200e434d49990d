// The signing journal: a second, independent record of every signature this node made, outside
// LevelDB (in the spirit of EIP-3076 slashing protection). One append-only file per data
// directory; each record is self-checking (length + CRC-32) so a torn tail is detected, and every
// append is fsync'ed before the signature it holds may be returned. Why, and the order against the
// LevelDB batch, are in docs/design-decisions.md ("Signing journal").
//
// File: the header line `chorus-signing-journal/1\n`, then records:
//   u32 BE payload length | u32 BE CRC-32 of the payload | payload (UTF-8 JSON of a SignedEpoch,
//   the same shape as the `signed` table: u64 as decimal strings, bytes as hex)
import { constants } from 'node:fs';
import { open, readFile, rename, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { ChorusError, errorMessage } from '../util/errors.js';
import { signedEpochFromJson, signedEpochToJson, type SignedEpoch, type SignedEpochJson } from './records.js';

/** The journal's file name in a node's data directory. */
export const SIGNING_JOURNAL_FILE = 'signing-journal.log';
export const JOURNAL_HEADER = 'chorus-signing-journal/1\n';
const HEADER = new TextEncoder().encode(JOURNAL_HEADER);
/** No record comes near this; a larger length field is damage, not data. */
const MAX_RECORD_BYTES = 16 * 1024;
/** Records written by one write + fsync (group commit). */
const MAX_GROUP = 256;
/**
 * A torn tail is at most one group commit that did not finish. Anything larger after the last
 * valid record is damage inside the file: refuse rather than silently drop records.
 */
export const MAX_TORN_BYTES = MAX_GROUP * (MAX_RECORD_BYTES + 8);

export class JournalCorruptError extends ChorusError {
  constructor(path: string, detail: string) {
    super(
      'journal-corrupt',
      `the signing journal ${path} is damaged: ${detail}; signing stays off until an operator checks it (see ` +
        `README, chorus repair)`,
    );
  }
}

/** An append (write or fsync) failed: the journal takes nothing more until the node restarts. */
export class JournalWriteError extends ChorusError {
  constructor(cause: unknown) {
    super('journal-write-failed', `could not append to the signing journal: ${errorMessage(cause)}`, { cause });
  }
}

export function encodeRecord(r: SignedEpoch): Uint8Array {
  const payload = Buffer.from(JSON.stringify(signedEpochToJson(r)), 'utf8');
  const out = Buffer.alloc(8 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  payload.copy(out, 8);
  return out;
}

export interface DecodedJournal {
  records: SignedEpoch[];
  /** Length of the valid prefix (header + whole, checked records). */
  validBytes: number;
  /** Bytes after the valid prefix: an unfinished append (cut off at open). */
  tornBytes: number;
}

/** Pure decoding of a journal file's bytes; a short or damaged last record is a torn tail. */
export function decodeJournal(buf: Uint8Array, path = 'journal'): DecodedJournal {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < HEADER.length) {
    // Torn while being created: only a prefix of the header may be there.
    if (!b.equals(Buffer.from(HEADER).subarray(0, b.length)))
      throw new JournalCorruptError(path, 'it does not start with the journal header');
    return { records: [], validBytes: 0, tornBytes: b.length };
  }
  if (!b.subarray(0, HEADER.length).equals(HEADER))
    throw new JournalCorruptError(path, 'it does not start with the journal header');
  const records: SignedEpoch[] = [];
  let at = HEADER.length;
  while (at < b.length) {
    const record = recordAt(b, at, path);
    if (!record) break;
    records.push(record.value);
    at = record.end;
  }
  const tornBytes = b.length - at;
  if (tornBytes > MAX_TORN_BYTES)
    throw new JournalCorruptError(
      path,
      `${tornBytes} bytes after record ${records.length} do not decode (more than one unfinished append)`,
    );
  return { records, validBytes: at, tornBytes };
}

function recordAt(b: Buffer, at: number, path: string): { value: SignedEpoch; end: number } | undefined {
  if (b.length - at < 8) return undefined;
  const len = b.readUInt32BE(at);
  // A zero length is what a zero-filled tail (a crash on some filesystems) looks like.
  if (len === 0 || len > MAX_RECORD_BYTES || at + 8 + len > b.length) return undefined;
  const payload = b.subarray(at + 8, at + 8 + len);
  if (crc32(payload) !== b.readUInt32BE(at + 4)) return undefined;
  try {
    return { value: signedEpochFromJson(JSON.parse(payload.toString('utf8')) as SignedEpochJson), end: at + 8 + len };
  } catch (err) {
    // A checksummed record that does not decode was written by something else: not a torn write.
    throw new JournalCorruptError(
      path,
      `record at byte ${at} passes its checksum but does not decode: ${errorMessage(err)}`,
    );
  }
}

/** Where the journal's bytes go: a file, or (in tests) a wrapper that injects failures. */
export interface JournalFile {
  append(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

class FsJournalFile implements JournalFile {
  constructor(private readonly fh: FileHandle) {}
  async append(data: Uint8Array): Promise<void> {
    // write(2) may write less than asked when the disk fills: loop until all is written or it fails.
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done);
      if (bytesWritten === 0) throw new Error('write made no progress');
      done += bytesWritten;
    }
  }
  async sync(): Promise<void> {
    await this.fh.datasync();
  }
  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface JournalOpenOptions {
  /** Wraps the file the journal appends to (tests inject write and fsync failures here). */
  wrapFile?: (file: JournalFile) => JournalFile;
}

export class SigningJournal {
  #failure: JournalWriteError | undefined;
  #queue: { data: Uint8Array; resolve: () => void; reject: (err: Error) => void }[] = [];
  #flushing = false;

  private constructor(
    readonly path: string,
    private file: JournalFile,
    /** The records read at open, in append order (what the start-up check compares). */
    readonly loaded: SignedEpoch[],
    /** Bytes of an unfinished append that were cut off at open. */
    readonly tornBytes: number,
    private readonly options: JournalOpenOptions,
  ) {}

  /**
   * Reads the journal (creating it if absent), cuts off a torn tail so new records follow the
   * last whole one, and opens it for appending.
   */
  static async open(path: string, options: JournalOpenOptions = {}): Promise<SigningJournal> {
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let decoded: DecodedJournal = { records: [], validBytes: 0, tornBytes: 0 };
    if (bytes) decoded = decodeJournal(bytes, path);
    if (!bytes || decoded.validBytes === 0) {
      await writeFresh(path, []);
    } else if (decoded.tornBytes > 0) {
      await truncate(path, decoded.validBytes);
      const fh = await open(path, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    const file = await SigningJournal.#openFile(path, options);
    return new SigningJournal(path, file, decoded.records, decoded.tornBytes, options);
  }

  static async #openFile(path: string, options: JournalOpenOptions): Promise<JournalFile> {
    const file: JournalFile = new FsJournalFile(await open(path, 'a'));
    return options.wrapFile ? options.wrapFile(file) : file;
  }

  /** Set once an append failed; every later append fails at once. */
  get failure(): JournalWriteError | undefined {
    return this.#failure;
  }

  /**
   * Appends records and resolves once they are on disk (written and fsync'ed). Concurrent
   * appends share one write and one fsync (group commit).
   */
  append(records: SignedEpoch[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (records.length === 0) return Promise.resolve();
    const data = Buffer.concat(records.map(encodeRecord));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ data, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    while (this.#queue.length > 0 && !this.#failure) {
      const group = this.#queue.splice(0, MAX_GROUP);
      try {
        await this.file.append(Buffer.concat(group.map((g) => g.data)));
        await this.file.sync();
        for (const g of group) g.resolve();
      } catch (err) {
        this.#failure = new JournalWriteError(err);
        for (const g of group) g.reject(this.#failure);
      }
    }
    const failure = this.#failure;
    if (failure) for (const g of this.#queue.splice(0)) g.reject(failure);
    this.#flushing = false;
  }

  /**
   * Replaces the journal with `keep` (the newest record of each namespace, once the store was
   * checked to hold everything): written to a new file, fsync'ed and renamed over the old one.
   */
  async compact(keep: SignedEpoch[]): Promise<void> {
    if (this.#failure) throw this.#failure;
    await this.file.close();
    await writeFresh(this.path, keep);
    this.file = await SigningJournal.#openFile(this.path, this.options);
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

/** Writes a complete journal file atomically (temp file, fsync, rename, fsync of the directory). */
async function writeFresh(path: string, records: SignedEpoch[]): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(Buffer.concat([HEADER, ...records.map(encodeRecord)]));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}
