// `chorus directory check URL`: a log's history from listing metadata only (no proof downloaded),
// and `chorus proofs prune`: the operator's removal of kept proofs and evidence.
import type { Command } from 'commander';
import { EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, fail } from '../output.js';

export function register(program: Command): void {
  const directory = program.command('directory').description("a log's proof directory");
  directory
    .command('check <url>')
    .description(
      'walk the listing (no proofs downloaded) and report where names do not chain, gaps, two blobs for one epoch ' +
        'and malformed keys: exit 0 if consistent, 1 if not',
    )
    .option('--from <epoch>', 'first epoch to check')
    .option('--to <epoch>', 'last epoch to check')
    .option('--format <format>', 's3 (an http(s) URL) or a file:// folder', 's3')
    .option('--json', 'print the report as JSON')
    .action(async (url: string, opts: { from?: string; to?: string; format: string; json?: boolean }) => {
      const { openProofDirectory } = await import('../../services/proof-directory.js');
      const { checkDirectory } = await import('../../operator/directory-check.js');
      const { parseU64 } = await import('../../util/u64.js');
      const { stringifyJson } = await import('../../util/json.js');
      let dir;
      let from: bigint | undefined;
      let to: bigint | undefined;
      try {
        if (opts.format !== 's3') throw new Error('--format must be s3 (a plain HTTP directory cannot be listed)');
        dir = openProofDirectory(url, 's3');
        from = opts.from === undefined ? undefined : parseU64(opts.from, '--from');
        to = opts.to === undefined ? undefined : parseU64(opts.to, '--to');
      } catch (err) {
        fail(EXIT_BAD_INPUT, `bad input: ${(err as Error).message}`);
      }
      let last = 0;
      let report;
      try {
        report = await checkDirectory(dir, {
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          onProgress: (p) => {
            if (Date.now() - last < 2000) return;
            last = Date.now();
            process.stderr.write(`listed ${p.keys} keys in ${p.pages} pages (at ${p.lastKey ?? '-'})\n`);
          },
        });
      } catch (err) {
        fail(EXIT_BAD_INPUT, `cannot list ${url}: ${(err as Error).message}`);
      }
      if (opts.json) process.stdout.write(`${stringifyJson(report)}\n`);
      else {
        const w = (s: string) => process.stdout.write(`${s}\n`);
        w(
          `${report.keys} keys, ${report.blobs} blobs, ${report.epochs} ` +
            `epochs${report.first !== undefined ? ` (${report.first}…${report.last})` : ''}`,
        );
        w(`broken links: ${report.breaks.count}`);
        for (const b of report.breaks.examples)
          w(`  epoch ${b.epoch} → ${b.epoch + 1n}: ${b.current.join(', ')} then ${b.next.join(', ')}`);
        w(`two blobs for one epoch: ${report.duplicates.count}`);
        for (const d of report.duplicates.examples) w(`  epoch ${d.epoch}: ${d.names.join(' and ')}`);
        w(`gaps: ${report.gaps.count} (${report.gaps.missingEpochs} epochs missing)`);
        for (const g of report.gaps.examples) w(`  ${g.from}…${g.to}`);
        w(`malformed keys: ${report.malformed.count}`);
        for (const k of report.malformed.examples) w(`  ${JSON.stringify(k)}`);
        w(report.consistent ? 'consistent' : 'NOT consistent');
      }
      process.exit(report.consistent ? EXIT_OK : EXIT_INVALID);
    });

  const proofs = program.command('proofs').description('the proofs a node keeps (verified, and evidence)');
  proofs
    .command('prune')
    .description(
      "remove kept proofs of a namespace (by default only evidence), through a running node's admin endpoint or, " +
        "with --config, in a stopped node's data directory",
    )
    .requiredOption('--namespace <ns>', 'namespace')
    .option('--through-epoch <epoch>', 'only proofs up to this epoch')
    .option('--all', 'verified proofs too, not only evidence')
    .option('--remote-url <url>', 'a running node (needs --admin-token or CHORUS_ADMIN_TOKEN)')
    .option('--admin-token <token>', "the node's admin token")
    .option('--config <file>', "a stopped node's config")
    .action(
      async (opts: {
        namespace: string;
        throughEpoch?: string;
        all?: boolean;
        remoteUrl?: string;
        adminToken?: string;
        config?: string;
      }) => {
        const { parseU64 } = await import('../../util/u64.js');
        const { stringifyJson } = await import('../../util/json.js');
        let through: bigint | undefined;
        try {
          through = opts.throughEpoch === undefined ? undefined : parseU64(opts.throughEpoch, '--through-epoch');
          if (!opts.remoteUrl === !opts.config)
            throw new Error('give either --remote-url (a running node) or --config (a stopped node)');
        } catch (err) {
          fail(EXIT_BAD_INPUT, `bad input: ${(err as Error).message}`);
        }
        if (opts.remoteUrl) {
          const { httpRequest } = await import('../../net/http-client.js');
          const token = opts.adminToken ?? process.env.CHORUS_ADMIN_TOKEN;
          if (!token)
            fail(EXIT_BAD_INPUT, 'bad input: --admin-token or CHORUS_ADMIN_TOKEN is required with --remote-url');
          try {
            const body = stringifyJson({
              namespace: opts.namespace,
              evidence_only: !opts.all,
              ...(through !== undefined ? { through_epoch: through.toString() } : {}),
            });
            const res = await httpRequest(new URL('/admin/proofs/prune', opts.remoteUrl).toString(), {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body,
              timeoutMs: 60_000,
              maxBytes: 1 << 20,
            });
            const text = new TextDecoder().decode(res.body);
            if (res.status !== 200) fail(EXIT_BAD_INPUT, `the node refused: HTTP ${res.status} ${text.slice(0, 300)}`);
            process.stdout.write(`${text}\n`);
          } catch (err) {
            fail(EXIT_BAD_INPUT, `cannot reach the node: ${(err as Error).message}`);
          }
          process.exit(EXIT_OK);
        }
        const { loadConfig } = await import('../../config/config.js');
        const { openDatabase } = await import('../../store/database.js');
        const { ProofFileStore } = await import('../../store/proof-files.js');
        const { join } = await import('node:path');
        let db;
        try {
          const config = loadConfig(opts.config as string);
          db = await openDatabase(join(config.dataDir, 'db'));
          const store = new ProofFileStore(db, join(config.dataDir, 'proofs'));
          const r = await store.prune(opts.namespace, {
            evidenceOnly: !opts.all,
            ...(through !== undefined ? { throughEpoch: through } : {}),
          });
          process.stdout.write(
            `${stringifyJson({ namespace: opts.namespace, removed: r.removed, bytes: r.bytes, examples: r.blobs })}\n`,
          );
        } catch (err) {
          fail(EXIT_BAD_INPUT, `cannot prune: ${(err as Error).message}`);
        } finally {
          await db?.close();
        }
        process.exit(EXIT_OK);
      },
    );
}
