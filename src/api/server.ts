// The HTTP server: Fastify with lossless JSON (u64 stay exact both ways), zod validation, and one
// error shape for every failure: {"error": code, "message": …}.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { HttpError, httpFailureOf } from './http-errors.js';
import { DecodeError } from '../util/errors.js';
import { parseJson, stringifyJson } from '../util/json.js';
import { describeZodError } from '../util/schema.js';
import { chorusVersion } from '../util/version.js';
import { buildOpenApi, collectRoutes } from './openapi.js';

export interface ServerOptions {
  logger: Logger;
  bodyLimitBytes: number;
  /** Per-client limit on write endpoints (requests per window). */
  rateLimit: { max: number; windowMs: number };
  /** Proxies whose X-Forwarded-For is believed (the rate limit then keys on the real client). */
  trustedProxies?: string[];
  /** Called once per answered request (the HTTP request metric); `route` is the route pattern, never the raw URL. */
  onResponse?: (r: { method: string; route: string; status: number; seconds: number }) => void;
}

/** Health probes and scrapes: logged at debug, as they arrive every few seconds (README "Logs"). */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Served only on the admin listener when `admin_http` is configured (docs/design-decisions.md "Admin port"). */
export function isOpsOnlyPath(path: string): boolean {
  return path === '/metrics' || path === '/admin' || path.startsWith('/admin/');
}
/** Paths whose GETs browsers of any origin may read: everything but the operator routes. */
export function isCorsPath(url: string): boolean {
  return !isOpsOnlyPath(url.split('?')[0] ?? '');
}
/** What the admin listener serves: the operator routes and the probes. */
function isOpsListenerPath(path: string): boolean {
  return isOpsOnlyPath(path) || path === '/healthz' || path === '/readyz';
}

/** A hook that limits a route per client address (attach it to write endpoints). */
export type RateLimitHook = ReturnType<FastifyInstance['rateLimit']>;

/** The one error shape; `error` is always a kebab-case code (README "API"), whatever the thrower spelt. */
export function errorBody(
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): Record<string, unknown> {
  return { error: kebabCode(code), message, ...details };
}

export function kebabCode(code: string): string {
  const k = code
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return k || 'error';
}

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body-too-large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported-media-type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed-json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad-request'],
};

export async function createServer(opts: ServerOptions): Promise<{ app: FastifyInstance; limitWrites: RateLimitHook }> {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: opts.bodyLimitBytes,
    return503OnClosing: true,
    // One line per request from the onResponse hook below instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    ...(opts.trustedProxies?.length ? { trustProxy: opts.trustedProxies } : {}),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  });

  // Integers in request bodies become bigint; malformed JSON is a 400 with the parser's reason.
  app.removeAllContentTypeParsers(); // JSON only: anything else is a 415
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJson(body as string));
    } catch (err) {
      const e = err instanceof DecodeError ? err : new DecodeError(String(err));
      done(new HttpError(400, 'malformed-json', e.message), undefined);
    }
  });

  app.setReplySerializer((payload) => stringifyJson(payload));

  app.addHook('onResponse', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const seconds = reply.elapsedTime / 1000;
    const line = {
      event: 'request',
      method: req.method,
      url: req.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (QUIET_PATHS.has(path)) req.log.debug(line, 'request');
    else req.log.info(line, 'request');
    opts.onResponse?.({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      seconds,
    });
  });

  // Route schemas are zod schemas.
  app.setValidatorCompiler(({ schema }) => {
    const zs = schema as z.ZodType;
    return (data: unknown) => {
      const r = zs.safeParse(data);
      if (r.success) return { value: r.data };
      return { error: new HttpError(400, 'invalid-request', describeZodError(r.error)) };
    };
  });

  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    // Typed errors, the api's and the domain's, get their status from one table (./http-errors.ts).
    const failure = httpFailureOf(err);
    if (failure) return reply.code(failure.status).send(errorBody(failure.code, failure.message, failure.details));
    const known = FASTIFY_CODES[(err as FastifyError).code ?? ''];
    if (known) return reply.code(known[0]).send(errorBody(known[1], err.message));
    if ((err as FastifyError).validation) return reply.code(400).send(errorBody('invalid-request', err.message));
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send(errorBody('bad-request', err.message));
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody('internal', 'internal error'));
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody('not-found', `no route for ${req.method} ${req.url.split('?')[0] ?? ''}`));
  });

  // Every route registered from here on is listed in /openapi.json (docs/design-decisions.md "OpenAPI from the
  // routes").
  const routes = collectRoutes(app);
  app.get('/openapi.json', async () => buildOpenApi(routes, { title: 'Chorus', version: chorusVersion() }));

  // CORS for the read-only API: every origin may GET it from a browser (it is public data); admin
  // and metrics never, and no write route is offered to cross-origin callers (docs/design-decisions.md "CORS").
  app.addHook('onRequest', async (req, reply) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && isCorsPath(req.url))
      reply.header('access-control-allow-origin', '*');
  });
  app.options('*', async (req, reply) => {
    if (!isCorsPath(req.url))
      return reply.code(404).send(errorBody('not-found', `no cross-origin access to ${req.url.split('?')[0] ?? ''}`));
    return reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'GET, HEAD')
      .header('access-control-allow-headers', 'accept, content-type, last-event-id')
      .header('access-control-max-age', '86400')
      .send();
  });

  // Rate limits apply where a client can make the node work or write: submissions, reports,
  // admin. Reads are cheap and cacheable; they stay unlimited.
  await app.register(rateLimit, {
    global: false,
    max: opts.rateLimit.max,
    timeWindow: opts.rateLimit.windowMs,
    errorResponseBuilder: (_req, ctx) =>
      new HttpError(
        429,
        'rate-limited',
        `too many requests: at most ${ctx.max} per ${Math.round(ctx.ttl / 1000)} s from one client; retry later`,
      ),
  });
  const limitWrites = app.rateLimit();

  return { app, limitWrites };
}

export interface OpsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * Call at creation when `admin_http` is set. Serves /admin/*, /metrics and the probes on a second address
 * (`admin_http`), and from then on
 * refuses /admin/* and /metrics on the public one: the public Service can then be exposed without
 * the operator endpoints (docs/design-decisions.md "Admin port"). Both listeners share the one
 * Fastify app, its routes, limits and error shape.
 */
export function separateOpsRoutes(app: FastifyInstance): OpsRequests {
  const opsRequests: OpsRequests = new WeakSet<IncomingMessage>();
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const viaOps = opsRequests.has(req.raw);
    if (viaOps ? !isOpsListenerPath(path) : isOpsOnlyPath(path)) {
      return reply
        .code(404)
        .send(
          errorBody(
            'not-found',
            `no route for ${req.method} ` +
              `${path}${viaOps ? ' on the admin port' : ' on the public port (see admin_http)'}`,
          ),
        );
    }
  });
  return opsRequests;
}

/** Requests that arrived on the admin listener (set by listenOps, read by the hook of separateOpsRoutes). */
export type OpsRequests = WeakSet<IncomingMessage>;

/** Starts the admin listener; call after the app is listening (it routes into the ready app). */
export async function listenOps(
  app: FastifyInstance,
  opsRequests: OpsRequests,
  host: string,
  port: number,
): Promise<OpsListener> {
  const server: Server = createHttpServer((req, res) => {
    opsRequests.add(req);
    app.routing(req, res);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const a = server.address() as AddressInfo;
  const url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
