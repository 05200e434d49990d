// Where a log publishes its append-only proofs (docs/protocol.md §1): WhatsApp's form (an S3 bucket
// answering ListObjectsV2: `?list-type=2&prefix=…&start-after=…`, XML `<Key>` and
// `<IsTruncated>`), a plain HTTP base URL (fetch by blob name, no listing), or a local folder
// (`file://…`, blob names as nested folders).
import { copyFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChorusError } from '../util/errors.js';
import { HttpClientError, httpRequest, httpToFile } from '../net/http-client.js';

export type DirectoryFormat = 's3' | 'http' | 'file';

export class ProofDirectoryError extends ChorusError {
  /** Worth retrying (network trouble, 5xx) as opposed to a definite answer. */
  readonly transient: boolean;
  constructor(message: string, transient: boolean, options?: { cause?: unknown }) {
    super('proof-directory', message, options);
    this.transient = transient;
  }
}

export interface ListPage {
  keys: string[];
  truncated: boolean;
}

export interface ListOptions {
  startAfter?: string;
  /** At most this many keys (S3 `max-keys`; default 1,000, the S3 maximum). */
  maxKeys?: number;
}

export interface ProofDirectory {
  readonly url: string;
  readonly format: DirectoryFormat;
  readonly listable: boolean;
  /**
   * Streams the blob into the file at `path` (never whole in memory); its size, or undefined when
   * the directory does not have it (no file is left then).
   */
  download(blobName: string, path: string): Promise<number | undefined>;
  /** One page of keys in byte order, after `startAfter`, starting with `prefix`, de-duplicated. */
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
}

/** What a directory may make the node read (docs/design-decisions.md, "A log cannot hurt the node"). */
export interface DirectoryLimits {
  /** Largest proof blob (decoded bytes). Messenger's reach ~300 MB. */
  maxBlobBytes: number;
  /** Largest listing answer (decoded bytes): 1,000 keys of ~140 bytes are ~250 kB of XML. */
  maxListingBytes: number;
  /** Time budget of one listing request and of one blob download. */
  listingTimeoutMs: number;
  blobTimeoutMs: number;
  /**
   * A per-request query parameter on listings: the CDN in front of the real buckets caches
   * negative listings and ignores Cache-Control, but not a distinct URL.
   */
  cacheBust: boolean;
}

export const DEFAULT_DIRECTORY_LIMITS: DirectoryLimits = {
  maxBlobBytes: 1 << 30,
  maxListingBytes: 4 << 20,
  listingTimeoutMs: 30_000,
  blobTimeoutMs: 15 * 60_000,
  cacheBust: true,
};

/** A numeric character reference's character; a listing naming no Unicode code point is refused. */
function charRef(code: number, ref: string): string {
  if (!(code <= 0x10ffff))
    throw new ProofDirectoryError(
      `not a valid ListObjectsV2 answer: character reference ${ref} is not a Unicode code point`,
      false,
    );
  return String.fromCodePoint(code);
}

function decodeXmlText(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (ref, d: string) => charRef(Number(d), ref))
    .replace(/&#x([0-9a-fA-F]+);/g, (ref, h: string) => charRef(parseInt(h, 16), ref))
    .replace(/&amp;/g, '&');
}

/** Parses a ListObjectsV2 answer: every `<Key>` (namespace prefixes tolerated) and `<IsTruncated>`. */
export function parseListObjectsV2(xml: string): ListPage {
  if (!/<(\w+:)?ListBucketResult[\s>]/.test(xml))
    throw new ProofDirectoryError('not a ListObjectsV2 answer (no ListBucketResult)', false);
  const keys = [...xml.matchAll(/<(?:\w+:)?Key>([^<]*)<\/(?:\w+:)?Key>/g)].map((m) => decodeXmlText(m[1] as string));
  const t = /<(?:\w+:)?IsTruncated>\s*([^<]*?)\s*<\/(?:\w+:)?IsTruncated>/.exec(xml);
  return { keys, truncated: t?.[1] === 'true' };
}

function directoryError(what: string, err: unknown): ProofDirectoryError {
  if (err instanceof HttpClientError)
    return new ProofDirectoryError(`${what}: ${err.message}`, err.transient, { cause: err });
  return new ProofDirectoryError(`${what}: ${(err as Error).message}`, true, { cause: err });
}

/** S3 answers 403 for a missing key when listing is not allowed to the caller. */
const isMissing = (status: number) => status === 404 || status === 403;
const isTransient = (status: number) => status >= 500 || status === 429;
const HEADERS = { 'user-agent': 'chorus-auditor/1' };

class HttpDirectory implements ProofDirectory {
  readonly listable: boolean;
  #bust = 0;
  constructor(
    readonly url: string,
    readonly format: 's3' | 'http',
    private readonly limits: DirectoryLimits,
  ) {
    this.listable = format === 's3';
  }

  async download(blobName: string, path: string): Promise<number | undefined> {
    let res;
    try {
      res = await httpToFile(`${this.url}/${blobName}`, path, {
        headers: HEADERS,
        maxBytes: this.limits.maxBlobBytes,
        timeoutMs: this.limits.blobTimeoutMs,
      });
    } catch (err) {
      throw directoryError(`GET ${blobName}`, err);
    }
    if (isMissing(res.status)) return undefined;
    if (res.status < 200 || res.status > 299)
      throw new ProofDirectoryError(`GET ${blobName}: HTTP ${res.status}`, isTransient(res.status));
    return res.bytes;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    if (!this.listable)
      throw new ProofDirectoryError(
        `${this.url} is a plain HTTP directory: it cannot be listed (use an S3 endpoint or a file:// folder)`,
        false,
      );
    const maxKeys = Math.min(1000, Math.max(1, options.maxKeys ?? 1000));
    const q = new URLSearchParams({ 'list-type': '2', prefix });
    if (options.startAfter) q.set('start-after', options.startAfter);
    if (maxKeys !== 1000) q.set('max-keys', String(maxKeys));
    if (this.limits.cacheBust) q.set('chorus-nocache', `${Date.now().toString(36)}${(this.#bust++).toString(36)}`);
    let res;
    try {
      res = await httpRequest(`${this.url}/?${q.toString()}`, {
        headers: HEADERS,
        maxBytes: this.limits.maxListingBytes,
        timeoutMs: this.limits.listingTimeoutMs,
      });
    } catch (err) {
      throw directoryError(`listing ${JSON.stringify(prefix)}`, err);
    }
    if (isMissing(res.status))
      throw new ProofDirectoryError(`${this.url} does not answer ListObjectsV2 (HTTP ${res.status})`, false);
    if (res.status < 200 || res.status > 299)
      throw new ProofDirectoryError(`listing ${JSON.stringify(prefix)}: HTTP ${res.status}`, isTransient(res.status));
    const page = parseListObjectsV2(new TextDecoder().decode(res.body));
    // A hostile listing may repeat keys or send more than asked: keep each once, at most maxKeys.
    const keys = [...new Set(page.keys)];
    return { keys: keys.slice(0, maxKeys), truncated: page.truncated || keys.length > maxKeys };
  }
}

class FileDirectory implements ProofDirectory {
  readonly format = 'file' as const;
  readonly listable = true;
  readonly #root: string;
  constructor(
    readonly url: string,
    private readonly limits: DirectoryLimits,
  ) {
    this.#root = fileURLToPath(url);
  }

  async download(blobName: string, path: string): Promise<number | undefined> {
    if (blobName.split('/').some((p) => p === '..' || p === ''))
      throw new ProofDirectoryError(`bad blob name ${blobName}`, false);
    const src = join(this.#root, ...blobName.split('/'));
    try {
      const st = await stat(src);
      if (!st.isFile()) return undefined;
      if (st.size > this.limits.maxBlobBytes)
        throw new ProofDirectoryError(`blob ${blobName} is ${st.size} bytes, over ${this.limits.maxBlobBytes}`, false);
      await copyFile(src, path);
      return st.size;
    } catch (err) {
      if (err instanceof ProofDirectoryError) throw err;
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw new ProofDirectoryError(`reading ${blobName}: ${(err as Error).message}`, true, { cause: err });
    }
  }

  /** Lists `epoch/previous/current` files (three levels), in byte order like S3. */
  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const maxKeys = Math.min(1000, Math.max(1, options.maxKeys ?? 1000));
    const startAfter = options.startAfter;
    const keys: string[] = [];
    const walk = async (dir: string, rel: string[], depth: number): Promise<void> => {
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return;
        throw new ProofDirectoryError(`listing ${dir}: ${(err as Error).message}`, true, { cause: err });
      }
      for (const e of entries) {
        const parts = [...rel, e];
        const key = parts.join('/');
        if (depth === 2) {
          if (key.startsWith(prefix) && (await stat(join(dir, e))).isFile()) keys.push(key);
        } else if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) {
          await walk(join(dir, e), parts, depth + 1);
        }
      }
    };
    await walk(this.#root, [], 0);
    // Keys are ASCII: string order is S3's byte order ("10/…" before "9/…").
    const sorted = keys.filter((k) => startAfter === undefined || k > startAfter).sort();
    return { keys: sorted.slice(0, maxKeys), truncated: sorted.length > maxKeys };
  }
}

export function openProofDirectory(
  url: string,
  format?: 's3' | 'http',
  limits: Partial<DirectoryLimits> = {},
): ProofDirectory {
  const l = { ...DEFAULT_DIRECTORY_LIMITS, ...limits };
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new ProofDirectoryError(`invalid proof directory URL ${url}`, false, { cause: err });
  }
  if (u.protocol === 'file:') return new FileDirectory(url, l);
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ProofDirectoryError(`unsupported proof directory scheme ${u.protocol}`, false);
  return new HttpDirectory(url.replace(/\/+$/, ''), format ?? 's3', l);
}

/** Pages of keys starting with `prefix`, following start-after, at most `maxPages` pages. */
export async function* listPages(
  dir: ProofDirectory,
  prefix: string,
  options: { startAfter?: string; maxPages?: number } = {},
): AsyncGenerator<ListPage> {
  let after = options.startAfter;
  for (let n = 0; n < (options.maxPages ?? Number.MAX_SAFE_INTEGER); n++) {
    const page = await dir.list(prefix, after === undefined ? {} : { startAfter: after });
    yield page;
    const last = page.keys[page.keys.length - 1];
    // A page that does not move forward would loop for ever: stop.
    if (!page.truncated || last === undefined || (after !== undefined && last <= after)) return;
    after = last;
  }
}
