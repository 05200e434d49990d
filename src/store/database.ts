// Opens the node's LevelDB and gives typed tables (sublevels with JSON values and codecs).
// LevelDB's own LOCK file makes a second process on the same data directory fail to open; we turn
// that into a clear error.
import { Level } from 'level';
import type { AbstractSublevel } from 'abstract-level';
import { ChorusError } from '../util/errors.js';

export class StoreLockedError extends ChorusError {
  constructor(path: string) {
    super(
      'store-locked',
      `the database at ${path} is in use by another process (LevelDB lock held): ` +
        'two Chorus processes must never share one data directory',
    );
  }
}

export class StoreOpenError extends ChorusError {
  constructor(path: string, cause: unknown) {
    super('store-open-failed', `cannot open the database at ${path}: ${(cause as Error).message}`, { cause });
  }
}

export type RootDb = Level<string, string>;
type Sub = AbstractSublevel<RootDb, string | Buffer | Uint8Array, string, string>;

export async function openDatabase(path: string): Promise<RootDb> {
  const db = new Level<string, string>(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause;
    if (cause?.message && /lock/i.test(cause.message)) throw new StoreLockedError(path);
    throw new StoreOpenError(path, cause ?? err);
  }
  return db;
}

/** The kinds of write every LevelDB write goes through (sublevels forward to the root's). */
export type WriteKind = 'put' | 'del' | 'batch' | 'clear';
/** Runs one write; a wrapper may observe its failure or (in tests) make it fail. */
export type WriteWrapper = (kind: WriteKind, run: () => Promise<void>) => Promise<void>;

type WriteMethods = {
  _put: (...a: unknown[]) => Promise<void>;
  _del: (...a: unknown[]) => Promise<void>;
  _batch: (...a: unknown[]) => Promise<void>;
  _clear: (...a: unknown[]) => Promise<void>;
  _chainedBatch: () => { _write: (...a: unknown[]) => Promise<void> };
};

/**
 * Routes every write to the database (any table, any module, chained batches included) through
 * `wrap`. After a failed write LevelDB may keep a torn record in its log and still accept later
 * writes, which a restart then drops ("checksum mismatch"): the node must see every failure, not
 * only the signing store's (docs/design-decisions.md, "Signing journal").
 */
export function wrapWrites(db: RootDb, wrap: WriteWrapper): void {
  // abstract-level sends every public write (put, del, batch, clear, chained batch write) of the
  // root and of every sublevel to these private methods of the root.
  const m = db as unknown as WriteMethods;
  for (const [name, kind] of [
    ['_put', 'put'],
    ['_del', 'del'],
    ['_batch', 'batch'],
    ['_clear', 'clear'],
  ] as const) {
    const original = m[name].bind(db);
    m[name] = (...a: unknown[]) => wrap(kind, () => original(...a));
  }
  const chained = m._chainedBatch.bind(db);
  m._chainedBatch = () => {
    const batch = chained();
    const write = batch._write.bind(batch);
    batch._write = (...a: unknown[]) => wrap('batch', () => write(...a));
    return batch;
  };
}

/** A sublevel holding JSON values of type J, exposed as domain values of type T. */
export class Table<T, J> {
  readonly sub: Sub;
  constructor(
    db: RootDb,
    name: string,
    private readonly encode: (v: T) => J,
    private readonly decode: (j: J) => T,
  ) {
    this.sub = db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  }

  async get(key: string): Promise<T | undefined> {
    const raw = await this.sub.get(key);
    return raw === undefined ? undefined : this.decode(JSON.parse(raw) as J);
  }

  serialize(value: T): string {
    return JSON.stringify(this.encode(value));
  }

  /** Entries in key order within the range, last first when `reverse`. */
  async *entries(range: {
    gt?: string;
    gte?: string;
    lt?: string;
    reverse?: boolean;
    limit?: number;
  }): AsyncGenerator<[string, T]> {
    for await (const [k, v] of this.sub.iterator({ ...range, limit: range.limit ?? -1 })) {
      yield [k, this.decode(JSON.parse(v) as J)];
    }
  }
}

/** An atomic multi-table write. */
export class Batch {
  readonly #batch: ReturnType<RootDb['batch']>;
  #size = 0;
  readonly #settled: (() => void)[] = [];
  constructor(db: RootDb) {
    this.#batch = db.batch();
  }
  put<T, J>(table: Table<T, J>, key: string, value: T): this {
    this.#batch.put(key, table.serialize(value), { sublevel: table.sub });
    this.#size++;
    return this;
  }
  putRaw(table: { sub: Sub }, key: string, value: string): this {
    this.#batch.put(key, value, { sublevel: table.sub });
    this.#size++;
    return this;
  }
  del(table: { sub: Sub }, key: string): this {
    this.#batch.del(key, { sublevel: table.sub });
    this.#size++;
    return this;
  }
  get size(): number {
    return this.#size;
  }
  /** Runs `fn` once the write has finished, whether it succeeded or not. */
  onSettled(fn: () => void): this {
    this.#settled.push(fn);
    return this;
  }
  /** Writes atomically; `sync` waits for the OS to persist it (used for every signature). */
  async write(sync: boolean): Promise<void> {
    try {
      await this.#batch.write({ sync });
    } finally {
      for (const fn of this.#settled.splice(0)) fn();
    }
  }
}
