// A read-only HTTP server that answers like S3 for one bucket backed by a folder: ListObjectsV2
// (`list-type=2`, `prefix`, `start-after`, `max-keys`, pages of at most 1,000 keys in byte order,
// `IsTruncated`) and GetObject (`GET /{key}`), as WhatsApp's proof bucket does. The demo log
// publishes its proofs through it; tests and the realtime benchmark use it as the S3 stand-in.
// `negativeCacheMs` plays the real buckets' CDN, which caches an empty listing for a while unless
// the URL differs (a cache-busting parameter).
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface S3StandIn {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

async function allKeys(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = await readdir(join(root, rel));
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return out;
    throw err;
  }
  for (const e of entries) {
    const key = rel ? `${rel}/${e}` : e;
    if ((await stat(join(root, key))).isDirectory()) out.push(...(await allKeys(root, key)));
    else out.push(key);
  }
  return out;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Keys under `prefix`: a `{epoch}/` prefix reads only that epoch's folder (the bucket may be large). */
async function keysFor(root: string, prefix: string): Promise<string[]> {
  const m = /^([0-9]+)\/$/.exec(prefix);
  if (m) return (await allKeys(root, m[1] as string)).filter((k) => k.startsWith(prefix));
  return (await allKeys(root)).filter((k) => k.startsWith(prefix));
}

export async function startS3StandIn(
  root: string,
  opts: { pageSize?: number; host?: string; port?: number; negativeCacheMs?: number } = {},
): Promise<S3StandIn> {
  const requests: string[] = [];
  const pageSize = opts.pageSize ?? 1000;
  // URL (without the cache-busting parameter's effect: the whole URL is the cache key) → expiry.
  const negative = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      requests.push(req.url ?? '');
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/' && u.searchParams.get('list-type') === '2') {
        const prefix = u.searchParams.get('prefix') ?? '';
        const after = u.searchParams.get('start-after') ?? '';
        const max = Math.min(pageSize, Math.max(1, Number(u.searchParams.get('max-keys') ?? pageSize) || pageSize));
        const cached = negative.get(req.url ?? '');
        const keys =
          cached !== undefined && cached > Date.now()
            ? []
            : (await keysFor(root, prefix)).filter((k) => k > after).sort();
        if (keys.length === 0 && opts.negativeCacheMs && cached === undefined)
          negative.set(req.url ?? '', Date.now() + opts.negativeCacheMs);
        const page = keys.slice(0, max);
        const body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          `<Name>proofs</Name><Prefix>${esc(prefix)}</Prefix>` +
          `<KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys>` +
          `<IsTruncated>${keys.length > max}</IsTruncated>` +
          page
            .map((k) => `<Contents><Key>${esc(k)}</Key><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>`)
            .join('') +
          '</ListBucketResult>';
        res.writeHead(200, { 'content-type': 'application/xml' }).end(body);
        return;
      }
      const key = decodeURIComponent(u.pathname.slice(1));
      if (key.split('/').includes('..')) return void res.writeHead(400).end();
      let size: number;
      try {
        const st = await stat(join(root, key));
        if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
        size = st.size;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR') throw err;
        res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
        return;
      }
      // Streamed: a Messenger proof is ~300 MB.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      createReadStream(join(root, key))
        .on('error', () => res.destroy())
        .pipe(res);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/xml' });
      res.end(`<Error><Code>InternalError</Code><Message>${esc((err as Error).message)}</Message></Error>`);
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const a = server.address();
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${typeof a === 'object' && a ? a.port : 0}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
