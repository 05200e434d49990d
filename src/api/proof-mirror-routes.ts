// The proofs this node verified, at `/{epoch}/{previous}/{current}` on its own host: a namespace
// names this node as its log_directory, so `plexi audit` (which fetches the blob at the root of the
// log_directory's host) checks the proof through any Chorus node. Blobs are files, streamed.
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from './http-errors.js';
import type { ProofFileStore } from '../store/proof-files.js';

const params = z.object({
  epoch: z.string().regex(/^[0-9]{1,20}$/, { error: 'must be a decimal epoch' }),
  previous: z.string().regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 32 bytes of hex' }),
  current: z.string().regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 32 bytes of hex' }),
});

export function registerProofMirrorRoutes(app: FastifyInstance, proofs: ProofFileStore): void {
  app.get('/:epoch/:previous/:current', { schema: { params } }, async (req, reply) => {
    const p = req.params as z.infer<typeof params>;
    const name = `${BigInt(p.epoch)}/${p.previous.toLowerCase()}/${p.current.toLowerCase()}`;
    const found = await proofs.file(name);
    // Evidence (a proof that failed) is kept for the operator, not served as a verified proof.
    if (!found || found.proof.evidence) throw new NotFoundError(`no verified proof ${name} here`);
    return reply
      .type('application/octet-stream')
      .header('content-length', found.proof.bytes)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(createReadStream(found.path));
  });
}
