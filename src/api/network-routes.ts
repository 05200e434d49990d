// Chorus additions to the API for the auditor network: what every signer saw at an epoch, and
// the equivocation proofs (JSON, or the canonical protobuf for offline verification).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Observation } from '../consensus/observation.js';
import { encodeEquivocationProof } from '../consensus/equivocation.js';
import type { Roster } from '../consensus/roster.js';
import type { SigningService } from '../services/signing-service.js';
import { NotFoundError } from './http-errors.js';
import { observationToJson } from '../consensus/proof-json.js';
import type { ObservationStore, StoredProof } from '../store/observation-store.js';
import { compareBytes, fromHex, toHex } from '../util/bytes.js';
import { cosignedEpochToJson, encodeCosignedEpoch } from '../consensus/cosignature.js';
import { cosignedView, tallyEpoch } from '../consensus/quorum.js';
import { parseEpochParam } from './plexi-routes.js';

export interface NetworkRoutesContext {
  signingService: SigningService;
  observations: ObservationStore;
  roster: Roster;
}

export const PROTOBUF = 'application/x-protobuf';

export function proofToJson(p: StoredProof): Record<string, unknown> {
  return {
    id: p.id,
    namespace: p.namespace,
    epoch: p.epoch,
    kind: p.kind,
    signers: p.signers,
    first: observationToJson(p.proof.first),
    second: observationToJson(p.proof.second),
    received_at: p.receivedAt,
  };
}

const epochParams = z.object({ ns: z.string().max(256), epoch: z.string() });
const cosigQuery = z
  .object({
    digest: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 32 bytes of hex' })
      .optional(),
  })
  .strict();
const idParams = z.object({ id: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be a proof id (64 hex digits)' }) });
const listQuery = z
  .object({
    namespace: z.string().max(256).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export function registerNetworkRoutes(app: FastifyInstance, ctx: NetworkRoutesContext): void {
  const signerName = (ns: string, key: Uint8Array): string | null => ctx.roster.signerName(ns, key) ?? null;

  app.get('/namespaces/:ns/epochs/:epoch', { schema: { params: epochParams } }, async (req) => {
    const { ns, epoch } = req.params as z.infer<typeof epochParams>;
    ctx.signingService.namespaceConfig(ns);
    const e = parseEpochParam(epoch);
    const seen = await ctx.observations.observationsAt(ns, e);
    if (seen.length === 0) throw new NotFoundError(`no observation of epoch ${e} of namespace "${ns}"`);
    const byDigest = new Map<string, Observation[]>();
    for (const o of seen) {
      const k = toHex(o.digest);
      byDigest.set(k, [...(byDigest.get(k) ?? []), o]);
    }
    const digests = [...byDigest.entries()]
      .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
      .map(([digest, list]) => ({
        digest,
        signers: list
          .sort((a, b) => compareBytes(a.signerKey, b.signerKey))
          .map((o) => ({
            signer_key: toHex(o.signerKey),
            name: signerName(ns, o.signerKey),
            timestamp: o.timestamp,
            signature: toHex(o.signature),
            ciphersuite: o.ciphersuite,
          })),
      }));
    const proofs = await ctx.observations.proofsAt(ns, e);
    return {
      namespace: ns,
      epoch: e,
      equivocated: proofs.length > 0 || digests.length > 1,
      digests,
      proofs: proofs.map((p) => p.id),
    };
  });

  app.get(
    '/namespaces/:ns/epochs/:epoch/cosignatures',
    { schema: { params: epochParams, querystring: cosigQuery } },
    async (req, reply) => {
      const { ns, epoch } = req.params as z.infer<typeof epochParams>;
      const { digest } = req.query as z.infer<typeof cosigQuery>;
      ctx.signingService.namespaceConfig(ns);
      const e = parseEpochParam(epoch);
      const tally = tallyEpoch(await ctx.observations.observationsAt(ns, e), ctx.roster);
      const proofs = await ctx.observations.proofsAt(ns, e);
      const view = cosignedView(ns, e, tally, ctx.roster, proofs.length > 0, digest ? fromHex(digest, 32) : undefined);
      if (!view)
        throw new NotFoundError(
          digest
            ? `nobody observed digest ${digest} at epoch ${e}`
            : `no observation of epoch ${e} of namespace "${ns}"`,
        );
      if ((req.headers.accept ?? '').includes(PROTOBUF))
        return reply.type(PROTOBUF).send(Buffer.from(encodeCosignedEpoch(view.bundle)));
      return cosignedEpochToJson(view.bundle, {
        threshold: view.threshold,
        quorum: view.quorum,
        equivocated: view.equivocated,
        names: (k) => signerName(ns, k),
      });
    },
  );

  app.get('/roster', async () => {
    if (ctx.roster.source === undefined) throw new NotFoundError('this node runs without a roster');
    return ctx.roster.source;
  });

  app.get('/equivocations', { schema: { querystring: listQuery } }, async (req) => {
    const q = req.query as z.infer<typeof listQuery>;
    const list = await ctx.observations.listProofs({
      ...(q.namespace ? { namespace: q.namespace } : {}),
      limit: q.limit,
    });
    return { equivocations: list.map(proofToJson) };
  });

  app.get('/equivocations/:id', { schema: { params: idParams } }, async (req, reply) => {
    const { id } = req.params as z.infer<typeof idParams>;
    // A replaced id answers the canonical proof (200, with `requested_id`), so alert ids resolve forever.
    const p = await ctx.observations.resolveProof(id);
    if (!p) throw new NotFoundError(`no equivocation proof ${id}`);
    if ((req.headers.accept ?? '').includes(PROTOBUF)) {
      return reply.type(PROTOBUF).send(Buffer.from(encodeEquivocationProof(p.proof)));
    }
    return p.id === id ? proofToJson(p) : { ...proofToJson(p), requested_id: id };
  });
}
