// The HTTP server: Fastify with lossless JSON (u64 stay exact both ways), zod validation, and one
// error shape for every failure: {"error": code, "message": …}.
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { HttpError } from '../node/errors.js';
import { ChorusError, DecodeError } from '../util/errors.js';
import { parseJson, stringifyJson } from '../util/json.js';
import { describeZodError } from '../util/schema.js';

export interface ServerOptions {
  logger: Logger;
  bodyLimitBytes: number;
  /** Per-client limit on write endpoints (requests per window). */
  rateLimit: { max: number; windowMs: number };
  /** Proxies whose X-Forwarded-For is believed (the rate limit then keys on the real client). */
  trustedProxies?: string[];
}

/** A hook that limits a route per client address (attach it to write endpoints). */
export type RateLimitHook = ReturnType<FastifyInstance['rateLimit']>;

export function errorBody(code: string, message: string, details: Record<string, unknown> = {}): Record<string, unknown> {
  return { error: code, message, ...details };
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
    if (err instanceof HttpError) {
      return reply.code(err.status).send(errorBody(err.code, err.message, err.details));
    }
    const known = FASTIFY_CODES[(err as FastifyError).code ?? ''];
    if (known) return reply.code(known[0]).send(errorBody(known[1], err.message));
    if ((err as FastifyError).validation) return reply.code(400).send(errorBody('invalid-request', err.message));
    if (err instanceof ChorusError) return reply.code(400).send(errorBody(err.code, err.message));
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send(errorBody('bad-request', err.message));
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody('internal', 'internal error'));
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody('not-found', `no route for ${req.method} ${req.url.split('?')[0] ?? ''}`));
  });

  // Rate limits apply where a client can make the node work or write: submissions, reports,
  // admin. Reads are cheap and cacheable; they stay unlimited.
  await app.register(rateLimit, {
    global: false,
    max: opts.rateLimit.max,
    timeWindow: opts.rateLimit.windowMs,
    errorResponseBuilder: (_req, ctx) =>
      new HttpError(429, 'rate-limited', `too many requests: at most ${ctx.max} per ${Math.round(ctx.ttl / 1000)} s from one client; retry later`),
  });
  const limitWrites = app.rateLimit();

  return { app, limitWrites };
}
