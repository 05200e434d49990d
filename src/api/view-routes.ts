// POST /views: anyone hands the node one signed view (docs/protocol.md, "Views from anyone"): a
// Plexi SignatureResponse (JSON), a chorus.v1.Observation (protobuf) or a cosigned checkpoint note
// (text). The route decodes it, leaves the judging to the view service, and answers which of
// contradiction / new / consistent happened with what the node holds for that epoch (the
// co-signature API's shape). Its own body cap and per-client token bucket (config `views`), since
// checking a view costs the node signature checks and a submitter should not be able to make it do
// that without limit.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { cosignedEpochToJson } from '../consensus/cosignature.js';
import { decodeObservation } from '../consensus/observation.js';
import type { Roster } from '../consensus/roster.js';
import { signatureResponseFromJson } from '../plexi/signature-response.js';
import {
  ViewRefusedError,
  type CheckpointViewReport,
  type SignedView,
  type ViewReport,
  type ViewService,
} from '../services/view-reports.js';
import { checkpointProofRecordToJson } from './checkpoint-routes.js';
import { fromHex, toHex } from '../util/bytes.js';
import { errorMessage } from '../util/errors.js';
import { describeZodError, u32, u64, u8 } from '../util/schema.js';
import { BadRequestError, HttpError } from './http-errors.js';
import { PROTOBUF, proofToJson } from './network-routes.js';
import { errorBody } from './server.js';
import { TokenBuckets, type TokenBucketLimits } from './token-bucket.js';

export interface ViewRoutesContext {
  views: Pick<ViewService, 'submit' | 'submitCheckpoint' | 'takesCheckpoints'>;
  roster: Roster;
  /** Larger bodies: 413. */
  bodyLimitBytes: number;
  /** Per client address (behind `http.trusted_proxies`, the forwarded one). */
  rateLimit: TokenBucketLimits;
  /** Milliseconds, for the token buckets (default: the system clock). */
  nowMs?: () => number;
}

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), { error: `must be ${bytes} bytes of hex` });

/** The JSON body as OpenAPI lists it: Plexi's SignatureResponse, and the signer's key when the submitter knows it. */
export const viewJsonBody = z.object({
  version: u32.nullish(),
  ciphersuite: u32.nullish(),
  namespace: z.string().max(256),
  timestamp: u64,
  epoch: u64,
  digest: hex(32),
  signature: hex(64),
  key_id: u8.nullish(),
  serialized_message: z
    .string()
    .regex(/^([0-9a-fA-F]{2})*$/, { error: 'must be hex' })
    .nullish(),
  signer_key: hex(32).nullish(),
});

/** The JSON form: a Plexi SignatureResponse, with `signer_key` (hex) optional (an observation as proofs carry it). */
function viewFromJson(body: unknown): SignedView {
  let response;
  try {
    response = signatureResponseFromJson(body);
  } catch (err) {
    throw new BadRequestError(errorMessage(err), 'invalid-request');
  }
  const key = (body as { signer_key?: unknown }).signer_key;
  if (key === undefined || key === null) return { kind: 'signature-response', response };
  if (typeof key !== 'string' || !/^[0-9a-fA-F]{64}$/.test(key))
    throw new BadRequestError('signer_key must be 32 bytes of hex (64 digits)', 'invalid-request');
  return { kind: 'signature-response', response, signerKey: fromHex(key, 32, 'signer_key') };
}

function viewFromProtobuf(body: Buffer): SignedView {
  try {
    return { kind: 'observation', observation: decodeObservation(new Uint8Array(body)) };
  } catch (err) {
    throw new BadRequestError(errorMessage(err), 'invalid-request');
  }
}

export function viewReportToJson(r: ViewReport, roster: Roster): Record<string, unknown> {
  const ns = r.view.namespace;
  const names = (k: Uint8Array): string | null => roster.signerName(ns, k) ?? null;
  return {
    type: 'observation',
    outcome: r.outcome,
    namespace: ns,
    epoch: r.view.epoch,
    digest: toHex(r.view.digest),
    signer: r.signer,
    signer_key: toHex(r.view.signerKey),
    compared: r.compared,
    held: r.held.map((v) =>
      cosignedEpochToJson(v.bundle, { threshold: v.threshold, quorum: v.quorum, equivocated: v.equivocated, names }),
    ),
    proofs: r.proofs.map(proofToJson),
  };
}

export function checkpointViewReportToJson(r: CheckpointViewReport): Record<string, unknown> {
  return {
    type: 'checkpoint',
    outcome: r.outcome,
    origin: r.origin,
    size: r.size,
    added: r.added,
    compared: r.compared,
    held: r.held,
    proofs: r.proofs.map(checkpointProofRecordToJson),
  };
}

/** A cosigned checkpoint note (c2sp.org/signed-note) travels as text, as tlog-witness sends it. */
const NOTE = 'text/plain';

export function registerViewRoutes(app: FastifyInstance, ctx: ViewRoutesContext): void {
  const buckets = new TokenBuckets(ctx.rateLimit);
  const nowMs = ctx.nowMs ?? Date.now;
  const limit = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const taken = buckets.take(req.ip, nowMs());
    if (taken.ok) return;
    const { burst, perMinute } = ctx.rateLimit;
    await reply
      .code(429)
      .header('retry-after', String(taken.retryAfterSeconds))
      .send(
        errorBody(
          'rate-limited',
          `too many views from one client: a burst of ${burst}, then ${perMinute} a minute; ` +
            `retry in ${taken.retryAfterSeconds} s`,
          { retry_after_seconds: taken.retryAfterSeconds },
        ),
      );
  };
  // Its own encapsulated context: the protobuf body parser exists for this route only, so every
  // other route keeps answering 415 to anything but JSON.
  void app.register(async (scope) => {
    scope.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    if (ctx.views.takesCheckpoints)
      scope.addContentTypeParser(NOTE, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    // The JSON schema validates JSON bodies as every route's does (src/api/server.ts); a protobuf
    // body is bytes, decoded and checked by the handler.
    scope.setValidatorCompiler(({ schema }) => (data: unknown) => {
      if (data instanceof Uint8Array) return { value: data };
      const r = (schema as z.ZodType).safeParse(data);
      return r.success
        ? { value: r.data }
        : { error: new HttpError(400, 'invalid-request', describeZodError(r.error)) };
    });
    const opts = { bodyLimit: ctx.bodyLimitBytes, onRequest: limit, schema: { body: viewJsonBody } };
    scope.post('/views', opts, async (req) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      try {
        if (type === NOTE) return checkpointViewReportToJson(await ctx.views.submitCheckpoint(req.body as Buffer));
        const view = type === PROTOBUF ? viewFromProtobuf(req.body as Buffer) : viewFromJson(req.body);
        return viewReportToJson(await ctx.views.submit(view), ctx.roster);
      } catch (err) {
        if (!(err instanceof ViewRefusedError)) throw err;
        const status = err.reason === 'unknown-namespace' || err.reason === 'unknown-origin' ? 404 : 403;
        throw new HttpError(status, 'view-refused', err.message, { reason: err.reason });
      }
    });
  });
}
