// Operator endpoints (bearer admin token): resume signing after a doppelgänger halt, block or
// unblock a libp2p peer, and a public view of the node's network state.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { RateLimitHook } from './server.js';
import { z } from 'zod';
import type { SigningStore } from '../store/signing-store.js';
import { peerIdFromString } from '@libp2p/peer-id';
import { BadRequestError, HttpError, UnauthorizedError } from './http-errors.js';
import { errorMessage } from '../util/errors.js';
import type { ProofFileStore } from '../store/proof-files.js';
import type { DirectoryPicks } from '../store/directory-picks.js';
import type { ProofNaming } from '../formats/log-format.js';
import { epochOfProofName } from '../formats/proof-name.js';
import { parseU64 } from '../util/u64.js';

export interface AdminContext {
  limitWrites?: RateLimitHook;
  adminTokenSha256: Uint8Array | undefined;
  signing: SigningStore;
  /** The libp2p peers, when the node runs in a network (absent without a roster). */
  peers?: PeerAdministration;
  /** Proof storage: the operator prunes kept evidence here (docs/design-decisions.md, "Proof storage"). */
  proofs?: ProofFileStore;
  /** The operator's pick among two blobs for one epoch of a directory namespace. */
  picks?: DirectoryPicks;
  /** How a namespace's log format names its proofs (docs/log-formats.md); a pick must parse. */
  proofNaming?: (ns: string) => ProofNaming | undefined;
}

/** What the operator routes need of the libp2p host; declared here so the api knows no p2p types. */
export interface PeerAdministration {
  blockPeer(peerId: string): Promise<void>;
  unblockPeer(peerId: string): void;
  /** The host's statistics and the sync counters, as GET /network/status shows them. */
  status(): Record<string, unknown>;
}

const pickBody = z
  .object({
    namespace: z.string().min(1).max(128),
    epoch: z.string().regex(/^[0-9]{1,20}$/, { error: 'must be a decimal epoch' }),
    blob_name: z.string().min(1).max(200),
  })
  .strict();

const pruneBody = z
  .object({
    namespace: z.string().min(1).max(128),
    through_epoch: z
      .string()
      .regex(/^[0-9]{1,20}$/, { error: 'must be a decimal epoch' })
      .optional(),
    evidence_only: z.boolean().default(true),
  })
  .strict();

const peerParams = z.object({ peer: z.string().min(1).max(128) });

/** The path's peer id, checked: a malformed one is the client's mistake (400), not ours. */
function peerParam(peer: string): string {
  try {
    return peerIdFromString(peer).toString();
  } catch (err) {
    throw new BadRequestError(`${JSON.stringify(peer)} is not a libp2p peer id: ${errorMessage(err)}`, 'bad-peer-id');
  }
}

export function registerAdminRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const check = async (req: { headers: { authorization?: string | undefined } }) => {
    if (!ctx.adminTokenSha256) throw new HttpError(403, 'admin-disabled', 'no admin token is configured on this node');
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(req.headers.authorization ?? '');
    if (!m) throw new UnauthorizedError('the admin token is required');
    const presented = createHash('sha256')
      .update(m[1] as string)
      .digest();
    if (!timingSafeEqual(presented, ctx.adminTokenSha256)) throw new UnauthorizedError('the admin token is not valid');
  };
  const authorize = [...(ctx.limitWrites ? [ctx.limitWrites] : []), check];
  const needHost = (): PeerAdministration => {
    const h = ctx.peers;
    if (!h) throw new HttpError(409, 'no-network', 'this node runs without a roster: there is no libp2p host');
    return h;
  };

  app.post('/admin/resume-signing', { onRequest: authorize }, async (req) => {
    const was = ctx.signing.haltReason ?? null;
    await ctx.signing.resume();
    req.log.warn({ event: 'signing-resumed', was }, 'signing resumed by the operator');
    return { resumed: was !== null, was_halted_because: was };
  });

  app.post('/admin/peers/:peer/block', { onRequest: authorize, schema: { params: peerParams } }, async (req) => {
    const peer = peerParam((req.params as z.infer<typeof peerParams>).peer);
    await needHost().blockPeer(peer);
    return { blocked: peer };
  });

  app.post('/admin/peers/:peer/unblock', { onRequest: authorize, schema: { params: peerParams } }, async (req) => {
    const peer = peerParam((req.params as z.infer<typeof peerParams>).peer);
    needHost().unblockPeer(peer);
    return { unblocked: peer };
  });

  app.post('/admin/proofs/prune', { onRequest: authorize, schema: { body: pruneBody } }, async (req) => {
    if (!ctx.proofs) throw new HttpError(409, 'no-proofs', 'this node keeps no proofs');
    const b = req.body as z.infer<typeof pruneBody>;
    let through: bigint | undefined;
    try {
      through = b.through_epoch === undefined ? undefined : parseU64(b.through_epoch, 'through_epoch');
    } catch (err) {
      throw new BadRequestError(errorMessage(err), 'bad-epoch');
    }
    const r = await ctx.proofs.prune(b.namespace, {
      evidenceOnly: b.evidence_only,
      ...(through !== undefined ? { throughEpoch: through } : {}),
    });
    req.log.warn(
      { event: 'proofs-pruned', namespace: b.namespace, removed: r.removed, bytes: r.bytes },
      'proofs pruned by the operator',
    );
    return { namespace: b.namespace, removed: r.removed, bytes: r.bytes, examples: r.blobs };
  });

  app.post('/admin/directory/pick', { onRequest: authorize, schema: { body: pickBody } }, async (req) => {
    if (!ctx.picks) throw new HttpError(409, 'no-directory', 'this node has no directory source');
    const b = req.body as z.infer<typeof pickBody>;
    let epoch: bigint;
    try {
      epoch = parseU64(b.epoch, 'epoch');
      const naming = ctx.proofNaming?.(b.namespace);
      const named = naming ? naming.parse(b.blob_name).epoch : epochOfProofName(b.blob_name);
      if (named !== epoch) throw new Error(`blob ${b.blob_name} is not of epoch ${epoch}`);
    } catch (err) {
      throw new BadRequestError(errorMessage(err), 'bad-pick');
    }
    await ctx.picks.pick(b.namespace, epoch, b.blob_name);
    req.log.warn(
      { event: 'directory-fork-picked', namespace: b.namespace, epoch: b.epoch, blob_name: b.blob_name },
      'the operator picked one blob of a forked epoch',
    );
    return { namespace: b.namespace, epoch, picked: b.blob_name };
  });

  app.get('/network/status', async () => {
    if (!ctx.peers) return { enabled: false };
    return { enabled: true, ...ctx.peers.status() };
  });
}
