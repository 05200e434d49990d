import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail } from '../output.js';

export function register(program: Command): void {
  program
    .command('audit')
    .description(
      'do what `plexi audit` does against any Plexi-compatible auditor (Chorus or not) and print the same text',
    )
    .requiredOption('-r, --remote-url <url>', 'URL of the auditor (the API must be at the root of its host)')
    .requiredOption('-n, --namespace <ns>', 'namespace')
    .option('--epoch <n>', "epoch to verify (default: the auditor's last verified epoch)")
    .option('-l, --long', 'detailed output')
    .option('--verifying-key <hex>', "the auditor's Ed25519 public key (default: the /info key matching key_id)")
    .option('--no-verify', 'disable signature and proof validation')
    .action(
      async (opts: {
        remoteUrl: string;
        namespace: string;
        epoch?: string;
        long?: boolean;
        verifyingKey?: string;
        verify: boolean;
      }) => {
        const { PlexiClient } = await import('../../plexi-client/client.js');
        const { auditReport } = await import('../../plexi-client/audit-report.js');
        const { plexiProofVerifier } = await import('../../formats/akd/plexi-proof-check.js');
        const { parseU64 } = await import('../../util/u64.js');
        let epoch: bigint | undefined;
        let client;
        try {
          if (opts.epoch !== undefined) epoch = parseU64(opts.epoch, '--epoch');
          client = new PlexiClient(opts.remoteUrl);
        } catch (err) {
          fail(EXIT_BAD_INPUT, `error: ${(err as Error).message}`);
        }
        try {
          const out = await auditReport(client, {
            namespace: opts.namespace,
            long: opts.long === true,
            verify: opts.verify,
            ...(opts.verifyingKey ? { verifyingKey: opts.verifyingKey } : {}),
            ...(epoch !== undefined ? { epoch } : {}),
            verifyProof: plexiProofVerifier,
          });
          if (out) process.stdout.write(`${out}\n`);
        } catch (err) {
          // As plexi: errors go to stderr with exit 1; a failed check is printed and exits 0.
          process.stderr.write(`error: ${(err as Error).message}\n`);
          process.exit(1);
        }
      },
    );
}
