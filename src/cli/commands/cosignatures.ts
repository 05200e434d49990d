import type { Command } from 'commander';
import { EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, fail } from '../output.js';
import { POLICY_ONLY_HELP, POLICY_OPTION_HELP, readPolicyOptions } from '../policy-options.js';

export function register(program: Command): void {
  program
    .command('cosignatures')
    .description(
      "fetch an epoch's co-signatures from a node and check them locally against the roster: exit 0 if the " +
        "threshold is met (and, with --policy, the policy's quorum), 1 if not",
    )
    .requiredOption('--remote-url <url>', 'a Chorus node')
    .requiredOption('--namespace <ns>', 'namespace')
    .requiredOption('--epoch <n>', 'epoch')
    .requiredOption('--roster <file>', "the network's roster (JSON)")
    .option('--digest <hex>', 'the digest to check (default: the one with the most signers)')
    .option('--out <file>', 'save the bundle (JSON) for `chorus verify-bundle`')
    .option('--policy <file>', POLICY_OPTION_HELP)
    .option('--policy-only', POLICY_ONLY_HELP)
    .option('--json', 'print the check as JSON')
    .action(
      async (opts: {
        remoteUrl: string;
        namespace: string;
        epoch: string;
        roster: string;
        digest?: string;
        out?: string;
        policy?: string;
        policyOnly?: boolean;
        json?: boolean;
      }) => {
        const { loadRoster } = await import('../../config/roster-load.js');
        const { checkCosignedEpoch, cosignedEpochFromJson } = await import('../../consensus/cosignature.js');
        const { verifyStrict } = await import('../../crypto/ed25519.js');
        const { stringifyJson } = await import('../../util/json.js');
        const { parseU64 } = await import('../../util/u64.js');
        const { toHex } = await import('../../util/bytes.js');
        const { writeFileSync } = await import('node:fs');
        const policyRule = await import('../../consensus/policy-quorum.js');
        // The package's own client (src/client), so the library monitors import stays exercised.
        const { ChorusClient } = await import('../../client/index.js');
        let roster;
        let client: InstanceType<typeof ChorusClient>;
        let epoch: bigint;
        let policy;
        try {
          roster = loadRoster(opts.roster);
          policy = readPolicyOptions(opts);
          epoch = parseU64(opts.epoch, '--epoch');
          if (opts.digest && !/^[0-9a-fA-F]{64}$/.test(opts.digest))
            throw new Error('--digest must be 32 bytes of hex');
          client = new ChorusClient(opts.remoteUrl, { timeoutMs: 30_000, maxBytes: 16 * 1024 * 1024 });
        } catch (err) {
          fail(EXIT_BAD_INPUT, `bad input: ${(err as Error).message}`);
        }
        let body: unknown;
        try {
          body = await client.cosignatures(opts.namespace, epoch, opts.digest);
        } catch (err) {
          fail(EXIT_BAD_INPUT, `cannot fetch the co-signatures: ${(err as Error).message}`);
        }
        let bundle;
        try {
          bundle = cosignedEpochFromJson(body);
        } catch (err) {
          fail(EXIT_BAD_INPUT, `the node answered an invalid bundle: ${(err as Error).message}`);
        }
        if (opts.out) writeFileSync(opts.out, `${stringifyJson(body, 2)}\n`);
        // The node's own claims (quorum, equivocated, names) are not trusted: recompute them.
        const check = await checkCosignedEpoch(bundle, roster, verifyStrict);
        const equivocated = (body as { equivocated?: unknown }).equivocated === true;
        // With --policy, its quorum over the same verified signatures (docs/c2sp.md, "Policies for Plexi
        // co-signatures"); both must hold unless --policy-only.
        const result = policy
          ? policyRule.evaluatePolicyQuorum(
              policy.policy,
              policyRule.verifiedBundleSigners(check, roster, bundle.namespace),
            )
          : undefined;
        const combined =
          policy && result
            ? policyRule.cosignedUnder({ rosterQuorum: check.quorum, policy: result, mode: policy.mode, equivocated })
            : undefined;
        const ok = combined ? combined.ok : check.quorum && !equivocated;
        if (opts.json) {
          const summary = {
            namespace: bundle.namespace,
            epoch: bundle.epoch,
            digest: toHex(bundle.digest),
            threshold: check.threshold,
            quorum: check.quorum,
            equivocated,
            signers: check.signers,
            rejected: check.rejected,
            ...(policy && result
              ? {
                  policy_only: policy.mode === 'policy-only',
                  policy: policyRule.policyQuorumToJson(result),
                  co_signed: ok,
                }
              : {}),
          };
          process.stdout.write(`${stringifyJson(summary)}\n`);
        } else {
          process.stdout.write(`${bundle.namespace} epoch ${bundle.epoch} digest ${toHex(bundle.digest)}\n`);
          for (const s of check.signers) process.stdout.write(`  ✓ ${s.name} (${s.signerKey})\n`);
          for (const r of check.rejected) process.stdout.write(`  ✗ ${r.signerKey}: ${r.reason}\n`);
          if (result) for (const line of policyRule.policyQuorumLines(result)) process.stdout.write(`  ${line}\n`);
          const policyPart = result
            ? `${policy?.mode === 'policy-only' ? ' (not applied: --policy-only)' : ''}; policy quorum ` +
              `${result.quorum} ${result.met ? 'met' : 'NOT met'}`
            : '';
          process.stdout.write(
            `  ${check.signers.length} valid roster signature(s), ${check.threshold} ` +
              `required${policyPart}${equivocated ? ' — the epoch is EQUIVOCATED' : ''}: ` +
              `${ok ? 'co-signed' : 'NOT co-signed'}\n`,
          );
        }
        process.exit(ok ? EXIT_OK : EXIT_INVALID);
      },
    );
}
