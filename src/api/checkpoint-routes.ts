// Cosigned checkpoints over HTTP (docs/c2sp.md, "Checkpoints in the network"): the tlog-witness
// monitoring path `GET /<lowercase hex SHA-256 of the origin>/checkpoint` (the latest checkpoint this node
// cosigned, with every roster cosignature and log signature held, as a signed note), and the checkpoint equivocation
// proofs, like GET /equivocations.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkpointPath } from '../c2sp/witness-request.js';
import type { CheckpointService } from '../services/checkpoint-service.js';
import type { StoredCheckpointProof } from '../store/checkpoint-store.js';
import { NotFoundError } from './http-errors.js';

export type CheckpointRoutesContext = Pick<CheckpointService, 'origins' | 'latestCosigned' | 'listProofs' | 'proof'>;

export const NOTE_CONTENT_TYPE = 'text/plain; charset=utf-8';

export function checkpointProofRecordToJson(p: StoredCheckpointProof): Record<string, unknown> {
  return {
    type: 'checkpoint-equivocation',
    id: p.id,
    kind: p.kind,
    origin: p.origin,
    namespace: p.namespace,
    size: p.size,
    signers: p.signers,
    first: p.proof.first,
    second: p.proof.second,
    received_at: p.receivedAt,
  };
}

const hashParams = z.object({ originHash: z.string().regex(/^[0-9a-f]{64}$/) }).strict();
const listQuery = z
  .object({
    origin: z.string().min(1).max(256).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
const idParams = z.object({ id: z.string().regex(/^[0-9a-f]{64}$/) }).strict();

export function registerCheckpointRoutes(app: FastifyInstance, ctx: CheckpointRoutesContext): void {
  app.get('/:originHash/checkpoint', { schema: { params: hashParams } }, async (req, reply) => {
    const { originHash } = req.params as z.infer<typeof hashParams>;
    const origin = ctx.origins().find((o) => checkpointPath(o) === `${originHash}/checkpoint`);
    if (origin === undefined) throw new NotFoundError(`no checkpoint origin hashes to ${originHash}`);
    const latest = await ctx.latestCosigned(origin);
    if (!latest) throw new NotFoundError(`this node has not cosigned a checkpoint of ${JSON.stringify(origin)} yet`);
    return reply.type(NOTE_CONTENT_TYPE).send(latest.note);
  });

  app.get('/checkpoints/equivocations', { schema: { querystring: listQuery } }, async (req) => {
    const q = req.query as z.infer<typeof listQuery>;
    const list = await ctx.listProofs({ ...(q.origin ? { origin: q.origin } : {}), limit: q.limit });
    return { equivocations: list.map(checkpointProofRecordToJson) };
  });

  app.get('/checkpoints/equivocations/:id', { schema: { params: idParams } }, async (req) => {
    const { id } = req.params as z.infer<typeof idParams>;
    const p = await ctx.proof(id);
    if (!p) throw new NotFoundError(`no checkpoint equivocation proof ${id}`);
    return checkpointProofRecordToJson(p);
  });
}
