// GET /alerts: alerts this node raised (validation failures, equivocations, liveness), newest first.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AlertStore } from '../store/alert-store.js';

const query = z
  .object({
    namespace: z.string().max(256).optional(),
    type: z.enum(['equivocation', 'validation-failed', 'log-stalled', 'quorum-missed', 'auditor-silent']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export function registerAlertRoutes(app: FastifyInstance, alerts: AlertStore): void {
  app.get('/alerts', { schema: { querystring: query } }, async (req) => {
    const q = req.query as z.infer<typeof query>;
    return {
      alerts: await alerts.list({
        ...(q.namespace ? { namespace: q.namespace } : {}),
        ...(q.type ? { type: q.type } : {}),
        limit: q.limit,
      }),
    };
  });
}
