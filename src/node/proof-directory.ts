// Where a log publishes its append-only proofs (design §1): WhatsApp's form (an S3 bucket
// answering ListObjectsV2: `?list-type=2&prefix=…&start-after=…`, XML `<Key>` and
// `<IsTruncated>`), a plain HTTP base URL (fetch by blob name, no listing), or a local folder
// (`file://…`, blob names as nested folders).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChorusError } from '../util/errors.js';

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

export interface ProofDirectory {
  readonly url: string;
  readonly format: DirectoryFormat;
  readonly listable: boolean;
  /** The blob's bytes, or undefined when the directory does not have it. */
  fetch(blobName: string): Promise<Uint8Array | undefined>;
  /** One page of keys in byte order, after `startAfter`, starting with `prefix`. */
  list(prefix: string, startAfter?: string): Promise<ListPage>;
}

const MAX_BLOB_BYTES = 1 << 30;

/** A numeric character reference's character; a listing naming no Unicode code point is refused. */
function charRef(code: number, ref: string): string {
  if (!(code <= 0x10ffff)) throw new ProofDirectoryError(`not a valid ListObjectsV2 answer: character reference ${ref} is not a Unicode code point`, false);
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
  if (!/<(\w+:)?ListBucketResult[\s>]/.test(xml)) throw new ProofDirectoryError('not a ListObjectsV2 answer (no ListBucketResult)', false);
  const keys = [...xml.matchAll(/<(?:\w+:)?Key>([^<]*)<\/(?:\w+:)?Key>/g)].map((m) => decodeXmlText(m[1] as string));
  const t = /<(?:\w+:)?IsTruncated>\s*([^<]*?)\s*<\/(?:\w+:)?IsTruncated>/.exec(xml);
  return { keys, truncated: t?.[1] === 'true' };
}

async function httpGet(url: string, timeoutMs: number): Promise<Response | undefined> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { 'cache-control': 'no-store', 'user-agent': 'chorus-auditor/1' } });
  } catch (err) {
    throw new ProofDirectoryError(`GET ${url}: ${(err as Error).message}`, true, { cause: err });
  }
  if (res.status === 404 || res.status === 403) {
    // S3 answers 403 for a missing key when listing is not allowed to the caller.
    await res.body?.cancel();
    return undefined;
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ProofDirectoryError(`GET ${url}: HTTP ${res.status}`, res.status >= 500 || res.status === 429);
  }
  return res;
}

class HttpDirectory implements ProofDirectory {
  readonly listable: boolean;
  constructor(
    readonly url: string,
    readonly format: 's3' | 'http',
    private readonly timeoutMs: number,
  ) {
    this.listable = format === 's3';
  }

  async fetch(blobName: string): Promise<Uint8Array | undefined> {
    const res = await httpGet(`${this.url}/${blobName}`, this.timeoutMs);
    if (!res) return undefined;
    const len = Number(res.headers.get('content-length') ?? '0');
    if (len > MAX_BLOB_BYTES) throw new ProofDirectoryError(`blob ${blobName} is ${len} bytes, over ${MAX_BLOB_BYTES}`, false);
    return new Uint8Array(await res.arrayBuffer());
  }

  async list(prefix: string, startAfter?: string): Promise<ListPage> {
    if (!this.listable) throw new ProofDirectoryError(`${this.url} is a plain HTTP directory: it cannot be listed (use an S3 endpoint or a file:// folder)`, false);
    const q = new URLSearchParams({ 'list-type': '2', prefix });
    if (startAfter) q.set('start-after', startAfter);
    const res = await httpGet(`${this.url}/?${q.toString()}`, this.timeoutMs);
    if (!res) throw new ProofDirectoryError(`${this.url} does not answer ListObjectsV2`, false);
    return parseListObjectsV2(await res.text());
  }
}

class FileDirectory implements ProofDirectory {
  readonly format = 'file' as const;
  readonly listable = true;
  readonly #root: string;
  constructor(readonly url: string) {
    this.#root = fileURLToPath(url);
  }

  async fetch(blobName: string): Promise<Uint8Array | undefined> {
    if (blobName.split('/').some((p) => p === '..' || p === '')) throw new ProofDirectoryError(`bad blob name ${blobName}`, false);
    try {
      return new Uint8Array(await readFile(join(this.#root, ...blobName.split('/'))));
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw new ProofDirectoryError(`reading ${blobName}: ${(err as Error).message}`, true, { cause: err });
    }
  }

  /** Lists `epoch/previous/current` files (three levels), in byte order like S3. */
  async list(prefix: string, startAfter?: string): Promise<ListPage> {
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
    return { keys: sorted.slice(0, 1000), truncated: sorted.length > 1000 };
  }
}

export function openProofDirectory(url: string, format?: 's3' | 'http', timeoutMs = 30_000): ProofDirectory {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new ProofDirectoryError(`invalid proof directory URL ${url}`, false, { cause: err });
  }
  if (u.protocol === 'file:') return new FileDirectory(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ProofDirectoryError(`unsupported proof directory scheme ${u.protocol}`, false);
  return new HttpDirectory(url.replace(/\/+$/, ''), format ?? 's3', timeoutMs);
}

/** Every key in the directory starting with `prefix`, paging with start-after. */
export async function listAll(dir: ProofDirectory, prefix: string, maxKeys = 1_000_000): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await dir.list(prefix, after);
    out.push(...page.keys);
    if (!page.truncated || page.keys.length === 0 || out.length >= maxKeys) return out;
    after = page.keys[page.keys.length - 1];
  }
}
