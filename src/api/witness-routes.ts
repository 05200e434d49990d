// `POST /add-checkpoint` of c2sp.org/tlog-witness v1.0.0 (docs/c2sp.md, "Chorus as a tlog witness"): the
// body is the spec's text (old size, proof lines, blank line, signed checkpoint), whatever its content type;
// 200 is the cosignature line(s), 409 the latest cosigned size as `text/x.tlog.size`, 400/403/404/422 the
// project's JSON error. No token: the log's signature on the checkpoint is the authentication.
import type { FastifyInstance } from 'fastify';
import { TLOG_SIZE_CONTENT_TYPE, checkpointPath, formatConflictBody } from '../c2sp/witness-request.js';
import { encodeBase64 } from '../c2sp/text.js';
import {
  MAX_WITNESS_REQUEST_BYTES,
  type AddCheckpointOutcome,
  type WitnessedLogStatus,
} from '../services/tlog-witness.js';
import { HttpError } from './http-errors.js';
import type { RateLimitHook } from './server.js';

export interface WitnessRoutesContext {
  limitWrites?: RateLimitHook;
  addCheckpoint(body: Uint8Array): Promise<AddCheckpointOutcome>;
  status(): Promise<WitnessedLogStatus[]>;
}

/** The error code of each refusal (the status is the spec's). */
const CODES = {
  400: 'invalid-request',
  403: 'bad-log-signature',
  404: 'unknown-origin',
  422: 'inconsistent-checkpoint',
} as const;

/** A witnessed log as `GET /witness/logs` lists it (sizes exact, root hash in base64 as in checkpoints). */
export function witnessedLogToJson(l: WitnessedLogStatus): Record<string, unknown> {
  return {
    namespace: l.namespace,
    origin: l.origin,
    log_vkeys: l.logVerifierKeys,
    checkpoint_path: `/${checkpointPath(l.origin)}`,
    cosigned: l.latest
      ? { size: l.latest.size, root_hash: encodeBase64(l.latest.rootHash), recorded_at: l.latest.recordedAt }
      : null,
  };
}

export function registerWitnessRoutes(app: FastifyInstance, ctx: WitnessRoutesContext): void {
  app.get('/witness/logs', async () => ({ logs: (await ctx.status()).map(witnessedLogToJson) }));

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
