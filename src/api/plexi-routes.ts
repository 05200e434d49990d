// The Plexi-compatible API (docs/protocol.md §7, docs/plexi-client.md): what the `plexi` CLI requests,
// with plexi_core's field names, types and status codes, at the root of the host.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateLimitHook } from './server.js';
import { z } from 'zod';
import type { SigningService } from '../services/signing-service.js';
import { BadRequestError, NotFoundError } from './http-errors.js';
import type { NamespaceView } from '../services/namespace-view.js';
import {
  signatureResponseFromJson,
  signatureResponseToJson,
  type SignatureResponse,
} from '../plexi/signature-response.js';
import { fromHex, toHex } from '../util/bytes.js';
import { parseU64 } from '../util/u64.js';
import { u64 } from '../util/schema.js';
import { DecodeError } from '../util/errors.js';
import { chorusVersion } from '../util/version.js';
import type { LogFormat } from '../formats/log-format.js';
import { logFormatFields, namespaceInfoJson, namespacesJson } from './namespace-info.js';

/** The newest verified epoch of a namespace and the proof that verified it. */
export interface LastVerification {
  jobId: string;
  epoch: bigint;
  startHash: Uint8Array;
  endHash: Uint8Array;
  timestamp: bigint;
  /** The verdict's counts (src/formats/log-format.ts ProofVerdict); shown only for formats that name them. */
  inserted?: number;
  unchanged?: number;
}

export interface PlexiRoutesContext {
  /** Per-client rate limit for write endpoints. */
  limitWrites?: RateLimitHook;
  signingService: SigningService;
  namespaces: NamespaceView;
  lastVerification?: (ns: string) => Promise<LastVerification | undefined>;
  /** The log format of a namespace of this node (undefined: the namespace has no format fields). */
  logFormat?: (ns: string) => LogFormat | undefined;
  /** A log-signed report (Plexi's Report: a SignatureResponse signed by the log's key). */
  submitReport?: (ns: string, report: SignatureResponse) => Promise<SignatureResponse>;
}

const digestHex = z
  .string({ error: 'must be a hex string' })
  .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 32 bytes of hex (64 digits)' });

export const submissionBody = z
  .object({
    epoch: u64,
    digest: digestHex,
    previous: digestHex.nullish(),
  })
  .strict();

const nsParams = z.object({ ns: z.string().max(256) });
const epochParams = z.object({ ns: z.string().max(256), epoch: z.string() });

export function parseEpochParam(text: string): bigint {
  try {
    return parseU64(text, 'epoch');
  } catch (err) {
    throw new BadRequestError((err as DecodeError).message, 'bad-epoch');
  }
}

export function registerPlexiRoutes(app: FastifyInstance, ctx: PlexiRoutesContext): void {
  app.get('/info', async () => ({
    keys: ctx.signingService.keyring.infos().map((k) => ({ public_key: toHex(k.publicKey), not_before: k.notBefore })),
    logs: ctx.signingService.namespaceNames(),
    // Not in plexi_core's Info: its clients ignore unknown fields (README "Versions").
    version: chorusVersion(),
  }));

  // Plexi's NamespaceInfo, then the log format's fields (src/api/namespace-info.ts).
  const withFormat = async (info: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const ns = info.name as string;
    const format = ctx.logFormat?.(ns);
    if (!format) return info;
    const last = format.describe.entryCounts ? await ctx.lastVerification?.(ns) : undefined;
    return { ...info, ...logFormatFields(format, last) };
  };

  app.get('/namespaces', { config: { openApiResponse: namespacesJson } }, async () => ({
    namespaces: await Promise.all((await ctx.namespaces.all()).map(withFormat)),
  }));

  app.get(
    '/namespaces/:ns',
    { schema: { params: nsParams }, config: { openApiResponse: namespaceInfoJson } },
    async (req) => {
      const { ns } = req.params as z.infer<typeof nsParams>;
      return withFormat(await ctx.namespaces.info(ns));
    },
  );

  app.get('/namespaces/:ns/audits/:epoch', { schema: { params: epochParams } }, async (req) => {
    const { ns, epoch } = req.params as z.infer<typeof epochParams>;
    const e = parseEpochParam(epoch);
    const sig = await ctx.signingService.signature(ns, e);
    if (!sig) throw new NotFoundError(`no signature for epoch ${e} of namespace "${ns}"`);
    return signatureResponseToJson(sig);
  });

  app.get('/namespaces/:ns/last-verified-epoch', { schema: { params: nsParams } }, async (req) => {
    const { ns } = req.params as z.infer<typeof nsParams>;
    ctx.signingService.namespaceConfig(ns);
    const lve = ctx.lastVerification ? await ctx.lastVerification(ns) : undefined;
    if (!lve) throw new NotFoundError(`no epoch of namespace "${ns}" has been verified yet`);
    return {
      job_id: lve.jobId,
      epoch: lve.epoch,
      start_hash: toHex(lve.startHash),
      end_hash: toHex(lve.endHash),
      timestamp: lve.timestamp,
    };
  });

  app.post(
    '/namespaces/:ns/audits',
    {
      schema: { params: nsParams, body: submissionBody },
      // Authentication happens before the body is read: an unauthenticated client learns nothing
      // and costs no parsing.
      onRequest: [
        ...(ctx.limitWrites ? [ctx.limitWrites] : []),
        async (req: FastifyRequest) => {
          const { ns } = req.params as { ns: string };
          ctx.signingService.authorize(ns, req.headers.authorization);
        },
      ],
    },
    async (req) => {
      const { ns } = req.params as z.infer<typeof nsParams>;
      const body = req.body as z.infer<typeof submissionBody>;
      const submission = { epoch: body.epoch, digest: fromHex(body.digest, 32, 'digest') } as {
        epoch: bigint;
        digest: Uint8Array;
        previous?: Uint8Array;
      };
      if (body.previous) submission.previous = fromHex(body.previous, 32, 'previous');
      return signatureResponseToJson(await ctx.signingService.submit(ns, submission));
    },
  );

  // Plexi's reports_uri: the log submits its own signed head instead of presenting a token; the
  // signature is the authentication, and the signed head is itself an observation.
  app.post(
    '/namespaces/:ns/reports',
    { schema: { params: nsParams }, ...(ctx.limitWrites ? { onRequest: ctx.limitWrites } : {}) },
    async (req) => {
      const { ns } = req.params as z.infer<typeof nsParams>;
      ctx.signingService.namespaceConfig(ns);
      if (!ctx.submitReport) throw new NotFoundError('this node does not accept log-signed reports');
      let report: SignatureResponse;
      try {
        report = signatureResponseFromJson(req.body);
      } catch (err) {
        throw new BadRequestError((err as Error).message, 'invalid-request');
      }
      return signatureResponseToJson(await ctx.submitReport(ns, report));
    },
  );
}
