// `--policy FILE` and `--policy-only` for the commands that check co-signed epochs (verify-bundle,
// cosignatures): reading the tlog-policy file and the mode (docs/c2sp.md, "Policies for Plexi co-signatures").
// Not a command (src/cli/commands holds only commands): the commands import it.
import { readFileSync, statSync } from 'node:fs';
import { parsePolicy, POLICY_LIMITS, type Policy } from '../c2sp/policy.js';
import type { PolicyMode } from '../consensus/policy-quorum.js';

export interface PolicyOptions {
  policy?: string;
  policyOnly?: boolean;
}

export const POLICY_OPTION_HELP = 'a tlog-policy file (c2sp.org/tlog-policy): its quorum must hold too';
export const POLICY_ONLY_HELP = "with --policy: the policy's quorum alone decides (the roster threshold is reported)";

/** The policy and mode the options ask for; throws (bad input, exit 2) on an unreadable or invalid policy. */
export function readPolicyOptions(opts: PolicyOptions): { policy: Policy; mode: PolicyMode } | undefined {
  if (opts.policy === undefined) {
    if (opts.policyOnly) throw new Error('--policy-only needs --policy FILE');
    return undefined;
  }
  const size = statSync(opts.policy).size;
  if (size > POLICY_LIMITS.bytes) throw new Error(`${opts.policy} is larger than ${POLICY_LIMITS.bytes} bytes`);
  // PolicyError names the line; the file name is added for the operator.
  try {
    return {
      policy: parsePolicy(new Uint8Array(readFileSync(opts.policy))),
      mode: opts.policyOnly ? 'policy-only' : 'roster-and-policy',
    };
  } catch (err) {
    throw new Error(`${opts.policy}: ${(err as Error).message}`, { cause: err });
  }
}
