// Every outbound HTTP request of the node and the CLI goes through here (docs/design-decisions.md,
// "Outbound HTTP"): a byte limit counted after decompression (a small gzip that inflates to a
// gigabyte is refused whatever its Content-Length says), one time budget for the whole exchange
// (a slow drip is cut off), redirects followed only within the same origin, and the standard
// HTTPS_PROXY / HTTP_PROXY / NO_PROXY variables honoured through undici's EnvHttpProxyAgent.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { ChorusError } from '../util/errors.js';

export type HttpFailure = 'network' | 'timeout' | 'too-large' | 'redirect' | 'encoding' | 'bad-url';

export class HttpClientError extends ChorusError {
  readonly failure: HttpFailure;
  /** Worth retrying later (network trouble, time budget) as opposed to a definite refusal. */
  readonly transient: boolean;
  constructor(failure: HttpFailure, message: string, options?: { cause?: unknown }) {
    super(`http-${failure}`, message, options);
    this.failure = failure;
    this.transient = failure === 'network' || failure === 'timeout';
  }
}

export interface OutboundRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** The most body bytes accepted, counted after decompression. */
  maxBytes: number;
  /** Time for the whole exchange, body included. */
  timeoutMs: number;
  /** Same-origin redirects followed (default 5); a redirect to another origin is an error. */
  maxRedirects?: number;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The URL that answered (after same-origin redirects). */
  url: string;
}

const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];
let cached: { key: string; agent: Dispatcher } | undefined;

/** The dispatcher for the current proxy environment (rebuilt when the variables change). */
export function outboundDispatcher(): Dispatcher {
  const key = PROXY_VARS.map((k) => process.env[k] ?? '').join('\n');
  if (cached?.key !== key) {
    const old = cached?.agent;
    cached = { key, agent: new EnvHttpProxyAgent() };
    // Requests still running on the old agent finish; then its sockets go.
    old?.close().catch(() => undefined);
  }
  return cached.agent;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h.join(', ') : h;
}

/** Decoders for the response's Content-Encoding, outermost last; an unknown coding is refused. */
function decoders(encoding: string | undefined): Transform[] {
  if (!encoding) return [];
  const codings = encoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity');
  if (codings.length > 2)
    throw new HttpClientError('encoding', `Content-Encoding "${encoding}" stacks too many codings`);
  return codings.reverse().map((c) => {
    if (c === 'gzip' || c === 'x-gzip') return createGunzip();
    if (c === 'deflate') return createInflate();
    if (c === 'br') return createBrotliDecompress();
    throw new HttpClientError('encoding', `unsupported Content-Encoding "${c}"`);
  });
}

/** Counts the decoded bytes and stops the stream once they pass `max`. */
function byteLimit(max: number, url: string, counted: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      counted.bytes += chunk.length;
      if (counted.bytes > max)
        done(new HttpClientError('too-large', `${url}: the response is over ${max} bytes (after decompression)`));
      else done(null, chunk);
    },
  });
}

interface Exchange extends OutboundResponse {
  body: Dispatcher.ResponseData['body'];
  controller: AbortController;
  timer: NodeJS.Timeout;
}

async function open(url: string, req: OutboundRequest): Promise<Exchange> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (err) {
    throw new HttpClientError('bad-url', `invalid URL ${url}`, { cause: err });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new HttpClientError('bad-url', `unsupported URL scheme ${target.protocol}`);
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new HttpClientError('timeout', `${url}: no complete answer within ${req.timeoutMs} ms`)),
    req.timeoutMs,
  );
  timer.unref();
  const origin = target.origin;
  let redirects = req.maxRedirects ?? 5;
  let method = req.method ?? 'GET';
  let body = req.body;
  try {
    for (;;) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(target, {
          method,
          headers: { 'accept-encoding': 'gzip, deflate, br', ...req.headers },
          ...(body !== undefined ? { body } : {}),
          signal: controller.signal,
          dispatcher: outboundDispatcher(),
        });
      } catch (err) {
        if (controller.signal.aborted) throw controller.signal.reason;
        throw new HttpClientError('network', `${method} ${target.href}: ${(err as Error).message}`, { cause: err });
      }
      if (REDIRECTS.has(res.statusCode)) {
        await res.body.dump();
        const location = headerValue(res.headers.location);
        if (!location) throw new HttpClientError('redirect', `${target.href}: redirect without a Location`);
        const next = new URL(location, target);
        if (next.origin !== origin)
          throw new HttpClientError(
            'redirect',
            `${target.href} redirects to another origin (${next.origin}); not followed`,
          );
        if (redirects-- <= 0) throw new HttpClientError('redirect', `${url}: too many redirects`);
        if (res.statusCode === 303) {
          method = 'GET';
          body = undefined;
        }
        target = next;
        continue;
      }
      return { status: res.statusCode, headers: res.headers, url: target.href, body: res.body, controller, timer };
    }
  } catch (err) {
    clearTimeout(timer);
    throw err;
  }
}

/** Moves the decoded, limited body into `sink`; the time budget covers it. */
async function drainInto(x: Exchange, max: number, sink: Writable): Promise<number> {
  const counted = { bytes: 0 };
  const declared = Number(headerValue(x.headers['content-length']) ?? NaN);
  const encoding = headerValue(x.headers['content-encoding']);
  try {
    if (!encoding && declared > max)
      throw new HttpClientError('too-large', `${x.url}: Content-Length ${declared} is over ${max} bytes`);
    await pipeline([x.body, ...decoders(encoding), byteLimit(max, x.url, counted), sink], {
      signal: x.controller.signal,
    });
    return counted.bytes;
  } catch (err) {
    // The failure is reported below; the body's own abort error after destroy says nothing more.
    x.body.on('error', () => undefined);
    if (!x.body.destroyed) x.body.destroy();
    if (x.controller.signal.aborted && x.controller.signal.reason instanceof HttpClientError)
      throw x.controller.signal.reason;
    if (err instanceof HttpClientError) throw err;
    throw new HttpClientError(
      encoding ? 'encoding' : 'network',
      `${x.url}: reading the response: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    clearTimeout(x.timer);
  }
}

/** One request; the whole (limited) body in memory. For small answers: listings, JSON. */
export async function httpRequest(url: string, req: OutboundRequest): Promise<OutboundResponse & { body: Uint8Array }> {
  const x = await open(url, req);
  const chunks: Buffer[] = [];
  const sink = new Transform({
    transform(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  sink.resume();
  await drainInto(x, req.maxBytes, sink);
  return { status: x.status, headers: x.headers, url: x.url, body: new Uint8Array(Buffer.concat(chunks)) };
}

/**
 * One request whose 2xx body streams into `path` (never whole in memory); any other status
 * leaves no file. A partial file is removed on failure.
 */
export async function httpToFile(
  url: string,
  path: string,
  req: OutboundRequest,
): Promise<OutboundResponse & { bytes: number }> {
  const x = await open(url, req);
  if (x.status < 200 || x.status > 299) {
    clearTimeout(x.timer);
    await x.body.dump();
    return { status: x.status, headers: x.headers, url: x.url, bytes: 0 };
  }
  try {
    const bytes = await drainInto(x, req.maxBytes, createWriteStream(path, { flags: 'w', mode: 0o600 }));
    return { status: x.status, headers: x.headers, url: x.url, bytes };
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}
