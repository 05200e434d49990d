// `POST /add-checkpoint` of c2sp.org/tlog-witness v1.0.0 (docs/c2sp.md, "Chorus as a tlog witness"): the
// body is the spec's text (old size, proof lines, blank line, signed checkpoint), whatever its content type;
// 200 is the cosignature line(s), 409 the latest cosigned size as `text/x.tlog.size`, 400/403/404/422 the
// project's JSON error. No token: the log's signature on the checkpoint is the authentication.
// `GET /witness/logs` names each log's format from its descriptor, as GET /namespaces does (docs/log-formats.md,
// "What the dashboard shows"), so the dashboard shows a witnessed log without knowing its format.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TLOG_SIZE_CONTENT_TYPE, checkpointPath, formatConflictBody } from '../c2sp/witness-request.js';
import { encodeBase64 } from '../c2sp/text.js';
import type { LogFormat } from '../formats/log-format.js';
import {
  MAX_WITNESS_REQUEST_BYTES,
  type AddCheckpointOutcome,
  type WitnessedLogStatus,
} from '../services/tlog-witness.js';
import { u64 } from '../util/schema.js';
import { HttpError } from './http-errors.js';
import type { RateLimitHook } from './server.js';

export interface WitnessRoutesContext {
  limitWrites?: RateLimitHook;
  addCheckpoint(body: Uint8Array): Promise<AddCheckpointOutcome>;
  status(): Promise<WitnessedLogStatus[]>;
  /** A witnessed namespace's log format: `log_format` and `log_format_label` (absent: fields not served). */
  logFormat?(ns: string): LogFormat | undefined;
  /**
   * How many roster auditors' cosignatures the node holds on the checkpoint (origin, size, root hash): the
   * `cosignatures` field (absent: field not served).
   */
  cosignatures?(origin: string, size: bigint, rootHash: Uint8Array): Promise<number>;
}

/** The error code of each refusal (the status is the spec's). */
const CODES = {
  400: 'invalid-request',
  403: 'bad-log-signature',
  404: 'unknown-origin',
  422: 'inconsistent-checkpoint',
} as const;

/** A witnessed log as `GET /witness/logs` lists it (sizes exact, root hash in base64 as in checkpoints). */
export function witnessedLogToJson(
  l: WitnessedLogStatus,
  extra: { format?: LogFormat | undefined; cosignatures?: number | null } = {},
): Record<string, unknown> {
  return {
    namespace: l.namespace,
    origin: l.origin,
    log_vkeys: l.logVerifierKeys,
    checkpoint_path: `/${checkpointPath(l.origin)}`,
    cosigned: l.latest
      ? { size: l.latest.size, root_hash: encodeBase64(l.latest.rootHash), recorded_at: l.latest.recordedAt }
      : null,
    ...(extra.format ? { log_format: extra.format.id, log_format_label: extra.format.describe.label } : {}),
    ...(extra.cosignatures !== undefined ? { cosignatures: extra.cosignatures } : {}),
  };
}

/** `GET /witness/logs` as /openapi.json documents it (README "HTTP API"). */
export const witnessedLogsJson = z.looseObject({
  logs: z.array(
    z.looseObject({
      namespace: z.string(),
      origin: z.string().describe('the checkpoint origin line'),
      log_vkeys: z.array(z.string()).describe("the log's signed-note verifier keys"),
      checkpoint_path: z.string().describe('the monitoring path of the cosigned checkpoint note'),
      cosigned: z
        .object({
          size: u64,
          root_hash: z.string().describe('base64, as in checkpoints'),
          recorded_at: u64.describe('when the node recorded it (ms)'),
        })
        .nullable()
        .describe('the latest checkpoint the node cosigned, or null before the first'),
      log_format: z.string().optional().describe("the namespace's log_format (config), e.g. tlog"),
      log_format_label: z.string().optional().describe("the format's name for people"),
      cosignatures: z
        .number()
        .int()
        .min(0)
        .nullable()
        .optional()
        .describe(
          'roster auditors whose cosignature the node holds on the latest cosigned checkpoint; null before the first',
        ),
    }),
  ),
});

/** Each witnessed log with its format and cosignature count, where the context can say them. */
async function listLogs(ctx: WitnessRoutesContext): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const l of await ctx.status()) {
    const cosignatures = ctx.cosignatures
      ? l.latest
        ? await ctx.cosignatures(l.origin, l.latest.size, l.latest.rootHash)
        : null
      : undefined;
    out.push(witnessedLogToJson(l, { format: ctx.logFormat?.(l.namespace), cosignatures }));
  }
  return out;
}

export function registerWitnessRoutes(app: FastifyInstance, ctx: WitnessRoutesContext): void {
  app.get('/witness/logs', { config: { openApiResponse: witnessedLogsJson } }, async () => ({
    logs: await listLogs(ctx),
  }));

  // Its own scope: the body is text of any (or no) content type, up to a checkpoint note's size plus a proof
  // (docs/c2sp.md, "Chorus as a tlog witness"), not the JSON the rest of the API takes.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_WITNESS_REQUEST_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    scope.post(
      '/add-checkpoint',
      { bodyLimit: MAX_WITNESS_REQUEST_BYTES, ...(ctx.limitWrites ? { onRequest: ctx.limitWrites } : {}) },
      async (req, reply) => {
        const body = req.body instanceof Uint8Array ? req.body : new Uint8Array();
        const r = await ctx.addCheckpoint(body);
        if (r.status === 200) return reply.code(200).type('text/plain; charset=utf-8').send(r.body);
        if (r.status === 409)
          return reply.code(409).type(TLOG_SIZE_CONTENT_TYPE).send(formatConflictBody(r.latestSize));
        throw new HttpError(r.status, CODES[r.status], r.message);
      },
    );
  });
}
