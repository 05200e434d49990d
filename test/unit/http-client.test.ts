import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpClientError, httpRequest, httpToFile } from '../../src/net/http-client.js';
import { startLoopbackProxy, type LoopbackProxy } from '../support/loopback-proxy.js';
import { PlexiClient } from '../../src/plexi-client/client.js';
import { Webhook } from '../../src/monitor/webhook.js';
import { pino } from 'pino';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(
  handler: Handler,
): Promise<{ url: string; hits: string[]; fromPorts: number[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const fromPorts: number[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    fromPorts.push(req.socket.remotePort ?? 0);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return {
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
    hits,
    fromPorts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const failureOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof HttpClientError) return err.failure;
    throw err;
  }
  throw new Error('expected a failure');
};

// 64 MiB of zeros compress to about 64 KiB.
const bomb = gzipSync(Buffer.alloc(64 << 20));
let tmp: string;
let other: Awaited<ReturnType<typeof serve>>;
let srv: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'chorus-http-'));
  other = await serve((_req, res) => res.end('elsewhere'));
  srv = await serve((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    switch (u.pathname) {
      case '/ok':
        return void res.end('hello');
      case '/gzip':
        return void res
          .writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(gzipSync('hello gzip').length) })
          .end(gzipSync('hello gzip'));
      case '/bomb':
        return void res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(bomb.length) }).end(bomb);
      case '/chunked': {
        // No Content-Length: chunked, 4 MiB in 64 KiB writes.
        res.writeHead(200);
        for (let i = 0; i < 64; i++) res.write(Buffer.alloc(64 << 10, 1));
        return void res.end();
      }
      case '/lying-length':
        return void res.writeHead(200, { 'content-length': '10' }).end('0123456789');
      case '/drip': {
        res.writeHead(200, { 'content-length': '1000' });
        const t = setInterval(() => res.write('x'), 50);
        res.on('close', () => clearInterval(t));
        return;
      }
      case '/same-origin':
        return void res.writeHead(302, { location: '/ok' }).end();
      case '/cross-origin':
        return void res.writeHead(302, { location: `${other.url}/stolen` }).end();
      case '/loop':
        return void res.writeHead(302, { location: '/loop' }).end();
      case '/missing':
        return void res.writeHead(404).end('no');
      case '/echo': {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => res.end(`${req.method}:${body}`));
        return;
      }
      default:
        return void res.writeHead(500).end();
    }
  });
});

afterAll(async () => {
  await srv.close();
  await other.close();
  rmSync(tmp, { recursive: true, force: true });
});

const opts = { maxBytes: 1 << 20, timeoutMs: 5000 };

describe('outbound HTTP: limits', () => {
  it('reads a plain and a gzip answer', async () => {
    expect(Buffer.from((await httpRequest(`${srv.url}/ok`, opts)).body).toString()).toBe('hello');
    expect(Buffer.from((await httpRequest(`${srv.url}/gzip`, opts)).body).toString()).toBe('hello gzip');
  });

  it('refuses a small gzip that inflates past the limit, whatever its Content-Length', async () => {
    expect(bomb.length).toBeLessThan(1 << 20);
    expect(await failureOf(httpRequest(`${srv.url}/bomb`, opts))).toBe('too-large');
    const file = join(tmp, 'bomb');
    expect(await failureOf(httpToFile(`${srv.url}/bomb`, file, opts))).toBe('too-large');
    expect(existsSync(file)).toBe(false);
  });

  it('refuses a chunked answer without a length once it passes the limit', async () => {
    expect(await failureOf(httpRequest(`${srv.url}/chunked`, opts))).toBe('too-large');
    const r = await httpRequest(`${srv.url}/chunked`, { ...opts, maxBytes: 4 << 20 });
    expect(r.body.length).toBe(4 << 20);
  });

  it('refuses a declared length over the limit before reading', async () => {
    expect(await failureOf(httpRequest(`${srv.url}/lying-length`, { ...opts, maxBytes: 5 }))).toBe('too-large');
  });

  it('cuts a slow drip at the time budget', async () => {
    const t0 = Date.now();
    expect(await failureOf(httpRequest(`${srv.url}/drip`, { ...opts, timeoutMs: 400 }))).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('streams a 2xx body to a file, and leaves no file for a 404', async () => {
    const file = join(tmp, 'chunked');
    const r = await httpToFile(`${srv.url}/chunked`, file, { ...opts, maxBytes: 8 << 20 });
    expect(r.bytes).toBe(4 << 20);
    expect(readFileSync(file).length).toBe(4 << 20);
    const missing = join(tmp, 'missing');
    expect((await httpToFile(`${srv.url}/missing`, missing, opts)).status).toBe(404);
    expect(existsSync(missing)).toBe(false);
  });
});

describe('outbound HTTP: redirects', () => {
  it('follows a same-origin redirect', async () => {
    const r = await httpRequest(`${srv.url}/same-origin`, opts);
    expect(Buffer.from(r.body).toString()).toBe('hello');
    expect(r.url).toBe(`${srv.url}/ok`);
  });

  it('does not follow a redirect to another origin', async () => {
    expect(await failureOf(httpRequest(`${srv.url}/cross-origin`, opts))).toBe('redirect');
    expect(other.hits).toEqual([]);
  });

  it('stops a redirect loop', async () => {
    expect(await failureOf(httpRequest(`${srv.url}/loop`, opts))).toBe('redirect');
  });
});

describe('outbound HTTP: egress proxy', () => {
  let proxy: LoopbackProxy;
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
  beforeAll(async () => {
    proxy = await startLoopbackProxy();
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('sends GET and POST through HTTP_PROXY, and not for a NO_PROXY host', async () => {
    process.env.HTTP_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    const before = srv.hits.length;
    expect(Buffer.from((await httpRequest(`${srv.url}/ok`, opts)).body).toString()).toBe('hello');
    const post = await httpRequest(`${srv.url}/echo`, { ...opts, method: 'POST', body: 'alert' });
    expect(Buffer.from(post.body).toString()).toBe('POST:alert');
    const port = new URL(srv.url).port;
    expect(proxy.seen.some((s) => s.includes(`127.0.0.1:${port}`))).toBe(true);
    expect(srv.hits.length).toBe(before + 2);
    // The Plexi client and the webhook use the same module, so the same proxy.
    const from = srv.fromPorts.length;
    expect(Buffer.from((await new PlexiClient(srv.url).getBytes(srv.url, '/ok'))!).toString()).toBe('hello');
    const hook = new Webhook({ url: `${srv.url}/echo`, logger: pino({ level: 'silent' }), attempts: 1 });
    hook.send('id-1', { type: 'test' });
    await hook.drain();
    expect(hook.delivered).toBe(1);
    const ports = srv.fromPorts.slice(from - 2);
    expect(ports.length).toBe(4);
    for (const p of ports) expect(proxy.upstreamPorts.has(p)).toBe(true);
    process.env.NO_PROXY = '127.0.0.1';
    expect(Buffer.from((await httpRequest(`${srv.url}/ok`, opts)).body).toString()).toBe('hello');
    expect(proxy.upstreamPorts.has(srv.fromPorts.at(-1)!)).toBe(false);
  });
});
