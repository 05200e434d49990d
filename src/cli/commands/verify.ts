import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail, verdict } from '../output.js';
import { POLICY_ONLY_HELP, POLICY_OPTION_HELP, readPolicyOptions } from '../policy-options.js';

interface VerifyBundleOptions {
  roster: string;
  threshold?: string;
  policy?: string;
  policyOnly?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('verify-bundle')
    .description(
      'check a co-signed epoch (JSON or protobuf) offline: exit 0 only if at least K distinct roster auditors ' +
        "signed that exact (namespace, epoch, digest) and, with --policy, the policy's quorum holds too; 1 if not; " +
        '2 bad input',
    )
    .requiredOption('--roster <file>', "the network's roster (JSON)")
    .option('--threshold <k>', "co-signatures required (default: the roster's threshold)")
    .option('--policy <file>', POLICY_OPTION_HELP)
    .option('--policy-only', POLICY_ONLY_HELP)
    .option('--json', 'print the verdict as JSON')
    .argument('<bundle>', 'file with the CosignedEpoch (JSON as served, or protobuf); - for standard input')
    .action(async (file: string, opts: VerifyBundleOptions) => {
      const { loadRoster } = await import('../../config/roster-load.js');
      const { readDocumentArg } = await import('../read-input.js');
      const { checkCosignedEpoch, cosignedEpochFromJson, decodeCosignedEpoch } =
        await import('../../consensus/cosignature.js');
      const { verifyStrict } = await import('../../crypto/ed25519.js');
      const { toHex } = await import('../../util/bytes.js');
      const policyRule = await import('../../consensus/policy-quorum.js');
      let roster;
      let bundle;
      let threshold: number | undefined;
      let policy;
      try {
        roster = loadRoster(opts.roster);
        policy = readPolicyOptions(opts);
        if (policy?.mode === 'policy-only' && opts.threshold !== undefined)
          throw new Error('--threshold and --policy-only do not go together: the policy alone decides');
        const doc = await readDocumentArg(file);
        bundle = doc.kind === 'json' ? cosignedEpochFromJson(doc.value) : decodeCosignedEpoch(doc.bytes);
        if (opts.threshold !== undefined) {
          if (!/^[1-9][0-9]{0,3}$/.test(opts.threshold)) throw new Error('--threshold must be a positive integer');
          threshold = Number(opts.threshold);
        }
      } catch (err) {
        fail(EXIT_BAD_INPUT, `bad input: ${(err as Error).message}`);
      }
      const check = await checkCosignedEpoch(bundle, roster, verifyStrict, threshold ?? roster.threshold);
      if (!opts.json)
        for (const r of check.rejected) process.stdout.write(`not counted: ${r.signerKey} (${r.reason})\n`);
      const summary =
        `${check.signers.length} valid roster signature(s), ${check.threshold} required` +
        `${policy?.mode === 'policy-only' ? ' by the roster (not applied: --policy-only)' : ''}: ` +
        `${check.signers.map((s) => s.name).join(', ') || 'none'}`;
      const details = {
        namespace: bundle.namespace,
        epoch: bundle.epoch,
        digest: toHex(bundle.digest),
        threshold: check.threshold,
        signers: check.signers,
        rejected: check.rejected,
      };
      if (!policy)
        verdict(check.quorum, `${bundle.namespace} epoch ${bundle.epoch}: ${summary}`, { json: opts.json, details });
      // The policy is evaluated over the same verified signatures (docs/c2sp.md, "Policies for Plexi co-signatures").
      const result = policyRule.evaluatePolicyQuorum(
        policy.policy,
        policyRule.verifiedBundleSigners(check, roster, bundle.namespace),
      );
      const combined = policyRule.cosignedUnder({ rosterQuorum: check.quorum, policy: result, mode: policy.mode });
      if (!opts.json) for (const line of policyRule.policyQuorumLines(result)) process.stdout.write(`${line}\n`);
      const because = combined.ok ? '' : ` (${combined.reasons.join('; ')})`;
      verdict(
        combined.ok,
        `${bundle.namespace} epoch ${bundle.epoch}: ${summary}; policy quorum ${result.quorum} ` +
          `${result.met ? 'met' : 'NOT met'}${because}`,
        {
          json: opts.json,
          details: {
            ...details,
            roster_quorum: check.quorum,
            policy_only: policy.mode === 'policy-only',
            policy: policyRule.policyQuorumToJson(result),
          },
        },
      );
    });

  program
    .command('verify-proof')
    .description(
      'check a saved equivocation proof (JSON or protobuf) offline against the roster: exit 0 valid, 1 invalid, 2 ' +
        'bad input',
    )
    .requiredOption('--roster <file>', "the network's roster (JSON)")
    .option('--json', 'print the verdict as JSON')
    .argument('<proof>', 'file with the proof (JSON from GET /equivocations/{id}, or protobuf); - for standard input')
    .action(async (file: string, opts: { roster: string; json?: boolean }) => {
      const { loadRoster } = await import('../../config/roster-load.js');
      const { readDocumentArg } = await import('../read-input.js');
      const { checkEquivocationProof, decodeEquivocationProof, proofId } =
        await import('../../consensus/equivocation.js');
      const { proofFromJson } = await import('../../consensus/proof-json.js');
      const { verifyStrict } = await import('../../crypto/ed25519.js');
      const cp = await import('../../consensus/checkpoint-equivocation.js');
      let roster;
      let proof;
      // A checkpoint equivocation proof (docs/c2sp.md, "Checkpoints in the network") is checked here too.
      let checkpointProof;
      try {
        roster = loadRoster(opts.roster);
        const doc = await readDocumentArg(file);
        checkpointProof =
          doc.kind === 'json' ? cp.checkpointProofFromJson(doc.value) : cp.sniffCheckpointProof(doc.bytes);
        if (!checkpointProof)
          proof = doc.kind === 'json' ? proofFromJson(doc.value) : decodeEquivocationProof(doc.bytes);
      } catch (err) {
        fail(EXIT_BAD_INPUT, `bad input: ${(err as Error).message}`);
      }
      if (checkpointProof) {
        const id = cp.checkpointProofId(checkpointProof);
        const c = cp.checkCheckpointEquivocationProof(checkpointProof, roster);
        if (!c.ok) verdict(false, c.message, { json: opts.json, details: { id } });
        verdict(
          true,
          `checkpoint ${c.kind} for ${c.origin} at size ${c.size} between ${c.signers.join(' and ')} (proof ${id})`,
          {
            json: opts.json,
            details: { id, kind: c.kind, origin: c.origin, namespace: c.namespace, size: c.size, signers: c.signers },
          },
        );
      }
      if (!proof) fail(EXIT_BAD_INPUT, 'bad input: no proof');
      const check = await checkEquivocationProof(proof, roster, verifyStrict);
      if (!check.ok) verdict(false, check.message, { json: opts.json, details: { id: proofId(proof) } });
      verdict(
        true,
        `${check.kind} in ${proof.first.namespace} at epoch ${proof.first.epoch} between ` +
          `${check.signers.join(' and ')} (proof ${proofId(proof)})`,
        {
          json: opts.json,
          details: {
            id: proofId(proof),
            kind: check.kind,
            namespace: proof.first.namespace,
            epoch: proof.first.epoch,
            signers: check.signers,
          },
        },
      );
    });
}
