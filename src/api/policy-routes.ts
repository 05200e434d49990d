// A tlog-policy check of an epoch's co-signatures (docs/c2sp.md, "Policies for Plexi co-signatures"):
// `POST /namespaces/{ns}/epochs/{epoch}/cosignatures/check` with the policy file's text in a JSON body. The
// node recomputes the bundle's signatures against the roster, then evaluates the policy's quorum over them.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { POLICY_LIMITS, parsePolicy, type Policy } from '../c2sp/policy.js';
import { PolicyError } from '../c2sp/errors.js';
import { checkCosignedEpoch, cosignedEpochToJson } from '../consensus/cosignature.js';
import {
  cosignedUnder,
  evaluatePolicyQuorum,
  policyQuorumToJson,
  verifiedBundleSigners,
} from '../consensus/policy-quorum.js';
import { cosignedView, tallyEpoch } from '../consensus/quorum.js';
import type { Roster } from '../consensus/roster.js';
import { verifyStrict } from '../crypto/ed25519.js';
import type { SigningService } from '../services/signing-service.js';
import type { ObservationStore } from '../store/observation-store.js';
import { fromHex } from '../util/bytes.js';
import { HttpError, NotFoundError } from './http-errors.js';
import { parseEpochParam } from './plexi-routes.js';
import type { RateLimitHook } from './server.js';

export interface PolicyRoutesContext {
  limitWrites?: RateLimitHook;
  signingService: SigningService;
  observations: ObservationStore;
  roster: Roster;
}

/**
 * The largest request body: policies of a few hundred witnesses and groups fit; the node's general
 * `http.body_limit_bytes` (16 KiB by default) is sized for epoch submissions, not policy files.
 */
export const POLICY_CHECK_BODY_LIMIT = 128 * 1024;

const params = z.object({ ns: z.string().max(256), epoch: z.string() });
const body = z
  .object({
    policy: z.string().min(1).max(POLICY_LIMITS.bytes),
    digest: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 32 bytes of hex' })
      .optional(),
    policy_only: z.boolean().optional(),
  })
  .strict();

function readPolicy(text: string): Policy {
  try {
    return parsePolicy(text);
  } catch (err) {
    if (err instanceof PolicyError) throw new HttpError(400, 'invalid-policy', err.message, { line: err.line });
    throw err;
  }
}

export function registerPolicyRoutes(app: FastifyInstance, ctx: PolicyRoutesContext): void {
  // Rate-limited like writes: the node parses the policy and verifies every signature for the caller.
  app.post(
    '/namespaces/:ns/epochs/:epoch/cosignatures/check',
    {
      schema: { params, body },
      bodyLimit: POLICY_CHECK_BODY_LIMIT,
      ...(ctx.limitWrites ? { onRequest: ctx.limitWrites } : {}),
    },
    async (req) => {
      const { ns, epoch } = req.params as z.infer<typeof params>;
      const b = req.body as z.infer<typeof body>;
      ctx.signingService.namespaceConfig(ns);
      const e = parseEpochParam(epoch);
      const policy = readPolicy(b.policy);
      const tally = tallyEpoch(await ctx.observations.observationsAt(ns, e), ctx.roster);
      const proofs = await ctx.observations.proofsAt(ns, e);
      const digest = b.digest ? fromHex(b.digest, 32) : undefined;
      const view = cosignedView(ns, e, tally, ctx.roster, proofs.length > 0, digest);
      if (!view)
        throw new NotFoundError(
          b.digest
            ? `nobody observed digest ${b.digest} at epoch ${e}`
            : `no observation of epoch ${e} of namespace "${ns}"`,
        );
      // Recomputed as a client would (chorus cosignatures): key validity windows included.
      const check = await checkCosignedEpoch(view.bundle, ctx.roster, verifyStrict);
      const result = evaluatePolicyQuorum(policy, verifiedBundleSigners(check, ctx.roster, ns));
      const mode = b.policy_only ? 'policy-only' : 'roster-and-policy';
      const combined = cosignedUnder({
        rosterQuorum: check.quorum,
        policy: result,
        mode,
        equivocated: view.equivocated,
      });
      return {
        ...cosignedEpochToJson(view.bundle, {
          threshold: view.threshold,
          quorum: view.quorum,
          equivocated: view.equivocated,
          names: (k) => ctx.roster.signerName(ns, k) ?? null,
        }),
        policy_only: mode === 'policy-only',
        policy: policyQuorumToJson(result),
        co_signed: combined.ok,
        reasons: combined.reasons,
      };
    },
  );
}
