import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail } from '../output.js';

/** A draft roster (threshold above its auditors) is written, with a notice on stderr. */
async function noteDraft(file: string): Promise<void> {
  const { draftProblems } = await import('../../operator/roster-file.js');
  for (const p of draftProblems(file)) process.stderr.write(`note: ${p}\n`);
}

export function register(program: Command): void {
  const roster = program.command('roster').description('create and edit a network roster (JSON)');

  roster
    .command('new')
    .description('write an empty roster')
    .requiredOption('--network <name>', 'network name (part of every gossip topic)')
    .requiredOption('--threshold <k>', 'co-signatures needed for an epoch to count as co-signed')
    .requiredOption('--out <file>', 'roster file to create')
    .option('--force', 'overwrite an existing file')
    .action(async (opts: { network: string; threshold: string; out: string; force?: boolean }) => {
      const { newRoster } = await import('../../operator/roster-file.js');
      try {
        newRoster(opts.out, opts.network, opts.threshold, opts.force === true);
      } catch (err) {
        fail(EXIT_BAD_INPUT, `chorus roster new: ${(err as Error).message}`);
      }
      await noteDraft(opts.out);
      process.stdout.write(`${opts.out}\n`);
    });

  roster
    .command('add')
    .description('add an auditor: a Chorus node (from its config and data directory) or an external Plexi auditor')
    .argument('<file>', 'roster file')
    .requiredOption('--name <org>', "the organisation's name")
    .option(
      '--config <node-config>',
      "a Chorus node's config: its public key, peer id and p2p addresses are read from it",
    )
    .option('--plexi-url <url>', "an external Plexi auditor's API URL (followed over HTTP instead of gossip)")
    .option('--public-key <hex>', "the external auditor's Ed25519 public key")
    .action(async (file: string, opts: { name: string; config?: string; plexiUrl?: string; publicKey?: string }) => {
      const { addAuditor } = await import('../../operator/roster-file.js');
      const { stringifyJson } = await import('../../util/json.js');
      try {
        const entry = await addAuditor(file, opts);
        await noteDraft(file);
        process.stdout.write(`${stringifyJson(entry)}\n`);
      } catch (err) {
        fail(EXIT_BAD_INPUT, `chorus roster add: ${(err as Error).message}`);
      }
    });

  roster
    .command('namespace')
    .description('add (or replace) a namespace the network audits')
    .argument('<file>', 'roster file')
    .requiredOption('--name <ns>', 'namespace name')
    .option('--configuration <name>', 'AKD configuration: whatsapp_v1 | experimental', 'whatsapp_v1')
    .option('--domain-label <label>', "experimental configuration's domain label")
    .option('--root <epoch/digest>', 'the root EPOCH/HEX_DIGEST')
    .option('--log-key <hex>', "the log's Ed25519 public key (its signed heads count as observations)")
    .option('--proof-directory <url>', 'where the log publishes its append-only proofs')
    .option('--checkpoint-origin <origin>', 'the origin line of its C2SP checkpoints, e.g. whatsapp.kt/v2')
    .option(
      '--log-vkey <vkey>',
      "an RFC 6962 log's checkpoint key, Ed25519 signed-note vkey (repeatable; needs --checkpoint-origin)",
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .action(
      async (
        file: string,
        opts: {
          name: string;
          configuration: string;
          domainLabel?: string;
          root?: string;
          logKey?: string;
          proofDirectory?: string;
          checkpointOrigin?: string;
          logVkey?: string[];
        },
      ) => {
        const { addNamespace } = await import('../../operator/roster-file.js');
        try {
          await addNamespace(file, opts);
        } catch (err) {
          fail(EXIT_BAD_INPUT, `chorus roster namespace: ${(err as Error).message}`);
        }
        await noteDraft(file);
        process.stdout.write(`${opts.name}\n`);
      },
    );

  roster
    .command('check')
    .description(
      'validate a roster as chorus start does (threshold within the auditors, no name, key or peer id listed twice)',
    )
    .argument('<file>', 'roster file')
    .action(async (file: string) => {
      const { loadRoster } = await import('../../config/roster-load.js');
      try {
        const r = loadRoster(file);
        process.stdout.write(
          `${file}: network ${r.network}, ${r.auditors.length} auditors, threshold ${r.threshold}, ` +
            `${r.namespaces.length} namespaces\n`,
        );
      } catch (err) {
        fail(EXIT_BAD_INPUT, `chorus roster check: ${(err as Error).message}`);
      }
    });
}
