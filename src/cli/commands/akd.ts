import { Option, type Command, type CommanderError } from 'commander';
import type { ParallelHashStage } from '../../akd-runtime/parallel-verify.js';
import { EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, fail } from '../output.js';

// `chorus akd verify` and `chorus akd generate`. Heavy modules load inside the actions.

interface VerifyOptions {
  configuration: 'whatsapp_v1' | 'experimental';
  domainLabel?: string;
  blobName: string;
  json?: boolean;
}

interface GenerateOptions {
  out: string;
  epochs?: string;
  inserts?: string;
  base: string;
  shape?: 'whatsapp' | 'messenger' | 'messenger-max';
  leaves?: string;
  firstEpoch?: string;
  seed: string;
  configuration: 'whatsapp_v1' | 'experimental';
  domainLabel?: string;
  force?: boolean;
}

/** Usage errors (unknown flag, bad choice, missing option) are bad input: exit 2, not commander's 1. */
function usageExit(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT);
}

function configurationOption(): Option {
  return new Option('--configuration <name>', 'AKD tree configuration').choices(['whatsapp_v1', 'experimental']);
}

const DOMAIN_LABEL_HELP = "domain label of the experimental configuration (default: ExampleLabel, as akd's fixtures)";

function countArg(value: string, flag: string, min: number): number {
  if (!/^[0-9]{1,9}$/.test(value) || Number(value) < min)
    fail(EXIT_BAD_INPUT, `bad input: ${flag} must be an integer >= ${min}`);
  return Number(value);
}

export function register(program: Command): void {
  const akd = program
    .command('akd')
    .description('AKD append-only proofs: verify one as an auditor does, or generate a synthetic log')
    .exitOverride(usageExit);

  akd
    .command('verify')
    .description(
      'verify one SingleAppendOnlyProof blob against the transition its blob name states: ' +
        'exit 0 valid, 1 invalid (reason on stderr), 2 bad input',
    )
    .addOption(configurationOption().makeOptionMandatory())
    .option('--domain-label <label>', DOMAIN_LABEL_HELP)
    .requiredOption('--blob-name <name>', 'the blob\'s name "{epoch}/{previous_hex}/{current_hex}" (epoch = end epoch)')
    .option('--json', 'also print the verdict, counts, phase timings and peak RSS as JSON on stdout')
    .argument('<file>', 'the proof blob (protobuf SingleAppendOnlyProof)')
    .exitOverride(usageExit)
    .action(async (file: string, opts: VerifyOptions) => {
      // A second thread for the hashing of large whatsapp_v1 proofs, started first so its
      // start-up overlaps reading and decoding the blob; not for the largest, whose memory
      // bound comes first (docs/akd.md "Where the bytes go").
      const { stat } = await import('node:fs/promises');
      let parallel: ParallelHashStage | null = null;
      if (opts.configuration === 'whatsapp_v1') {
        const size = await stat(file).then(
          (s) => s.size,
          () => 0,
        ); // unreadable: reported below
        const { ParallelHashStage: Stage, helperWorthIt } = await import('../../akd-runtime/parallel-verify.js');
        if (helperWorthIt(size)) parallel = Stage.start();
      }
      const { parseBlobName } = await import('../../akd/blob-name.js');
      if (opts.domainLabel !== undefined && opts.configuration !== 'experimental') {
        fail(EXIT_BAD_INPUT, 'bad input: --domain-label only applies to --configuration experimental');
      }
      let name;
      try {
        name = parseBlobName(opts.blobName);
      } catch (err) {
        fail(EXIT_BAD_INPUT, `bad input: ${(err as Error).message}`);
      }
      const { verifyConsecutiveAppendOnly } = await import('../../akd/verifier.js');
      const { decodeProofFile } = await import('../../akd-runtime/proof-file-reader.js');
      const { AkdDecodeError, AkdReadError } = await import('../../akd/errors.js');
      const { peakRssMb } = await import('../../akd-runtime/peak-rss.js');
      const configuration =
        opts.configuration === 'experimental'
          ? { name: opts.configuration, ...(opts.domainLabel !== undefined ? { domainLabel: opts.domainLabel } : {}) }
          : { name: opts.configuration };
      // The file is read in 1 MiB windows and decoded as it arrives, never held whole.
      const t0 = performance.now();
      let result: import('../../akd/verifier.js').AkdVerifyResult;
      try {
        const proof = decodeProofFile(file, { shared: parallel !== null });
        const decodeMs = performance.now() - t0;
        result = verifyConsecutiveAppendOnly(proof, name.previousHash, name.currentHash, name.epoch, configuration, {
          decodeMs,
          ...(parallel !== null ? { hashStage: parallel } : { consumeProof: true }),
        });
      } catch (err) {
        if (err instanceof AkdReadError) fail(EXIT_BAD_INPUT, `bad input: cannot read ${file}: ${err.message}`);
        if (!(err instanceof AkdDecodeError)) throw err;
        result = {
          ok: false,
          error: err,
          inserted: 0,
          unchanged: 0,
          timings: { decodeMs: performance.now() - t0, buildMs: 0, hashMs: 0 },
        };
      }
      if (parallel?.lastFailure) {
        process.stderr.write(
          `warning: the second hashing thread failed (${parallel.lastFailure}); verified in one thread\n`,
        );
      }
      if (opts.json === true) {
        const summary = {
          valid: result.ok,
          blob_name: opts.blobName,
          configuration: opts.configuration,
          inserted: result.inserted,
          unchanged: result.unchanged,
          ...(result.ok ? {} : { reason: result.error.message }),
          timings_ms: result.timings,
          hash_threads: parallel !== null && parallel.parallelRuns > 0 ? 2 : 1,
          peak_rss_mb: peakRssMb(),
          // CPU time of the whole process (user + system): steadier than wall time on a busy machine.
          cpu_ms: (() => {
            const u = process.cpuUsage();
            return Math.round((u.user + u.system) / 1000);
          })(),
        };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      }
      if (!result.ok) fail(EXIT_INVALID, `invalid: ${result.error.message}`);
      process.stderr.write(
        `valid: epoch ${name.epoch} (${result.inserted} inserted, ${result.unchanged} unchanged, ` +
          `${opts.configuration})\n`,
      );
      process.exit(EXIT_OK);
    });

  akd
    .command('generate')
    .description('write a synthetic AKD log (proof blobs under their blob names) to a folder; prints a JSON summary')
    .requiredOption('--out <dir>', 'folder to write the proof directory into')
    .option(
      '--epochs <n>',
      "epochs after the base epoch (default 10; with --shape/--leaves: the chain's length, default 1)",
    )
    .option('--inserts <n>', "leaves inserted per epoch (default 100, or the shape's)")
    .option('--base <n>', 'leaves inserted by an extra first epoch (0: none; not with --shape/--leaves)', '0')
    .addOption(
      new Option(
        '--shape <name>',
        'a realistic epoch of a virtual dense tree (docs/akd.md): whatsapp ≈44 MB, messenger ≈224 MB, messenger-max ' +
          '≈284 MB',
      ).choices(['whatsapp', 'messenger', 'messenger-max']),
    )
    .option(
      '--leaves <n>',
      'leaves of a virtual dense tree before the first epoch (with --inserts; instead of --shape)',
    )
    .option('--first-epoch <n>', 'virtual tree: end epoch of the first transition', '1')
    .option('--seed <text>', 'seed of the pseudo-random labels and values (same seed, same log)', 'chorus')
    .addOption(configurationOption().default('whatsapp_v1'))
    .option('--domain-label <label>', DOMAIN_LABEL_HELP)
    .option('--force', 'write into a folder that is not empty')
    .exitOverride(usageExit)
    .action(async (opts: GenerateOptions) => {
      const virtual = opts.shape !== undefined || opts.leaves !== undefined;
      const epochs = countArg(opts.epochs ?? (virtual ? '1' : '10'), '--epochs', 0);
      if (opts.shape !== undefined && opts.leaves !== undefined)
        fail(EXIT_BAD_INPUT, 'bad input: use --shape or --leaves, not both');
      if (virtual && opts.base !== '0')
        fail(EXIT_BAD_INPUT, 'bad input: --base does not apply to a virtual tree (--shape/--leaves)');
      const { AKD_SHAPES } = await import('../../akd/virtual-log.js');
      const shape = opts.shape !== undefined ? AKD_SHAPES[opts.shape] : undefined;
      const inserts = opts.inserts !== undefined ? countArg(opts.inserts, '--inserts', 1) : (shape?.inserts ?? 100);
      const base = countArg(opts.base, '--base', 0);
      if (epochs === 0 && base === 0) fail(EXIT_BAD_INPUT, 'bad input: nothing to generate (--epochs 0 and --base 0)');
      if (opts.domainLabel !== undefined && opts.configuration !== 'experimental') {
        fail(EXIT_BAD_INPUT, 'bad input: --domain-label only applies to --configuration experimental');
      }
      const { readdir } = await import('node:fs/promises');
      try {
        const existing = await readdir(opts.out);
        if (existing.length > 0 && opts.force !== true) {
          fail(EXIT_BAD_INPUT, `bad input: ${opts.out} is not empty (use --force to write into it anyway)`);
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          fail(EXIT_BAD_INPUT, `bad input: cannot use ${opts.out}: ${(err as Error).message}`);
        }
      }
      const configuration =
        opts.configuration === 'experimental'
          ? { name: opts.configuration, ...(opts.domainLabel !== undefined ? { domainLabel: opts.domainLabel } : {}) }
          : { name: opts.configuration };
      if (virtual) {
        if (epochs === 0) fail(EXIT_BAD_INPUT, 'bad input: nothing to generate (--epochs 0)');
        if (opts.leaves !== undefined && !/^[0-9]{1,15}$/.test(opts.leaves))
          fail(EXIT_BAD_INPUT, 'bad input: --leaves must be an integer below 10^15');
        const leaves = shape?.leaves ?? Number(opts.leaves);
        if (!/^[0-9]{1,10}$/.test(opts.firstEpoch ?? '1') || BigInt(opts.firstEpoch ?? '1') < 1n)
          fail(EXIT_BAD_INPUT, 'bad input: --first-epoch must be an integer >= 1');
        const { writeVirtualLog } = await import('../../akd-runtime/log-writer.js');
        try {
          const summary = writeVirtualLog({
            out: opts.out,
            configuration,
            leaves,
            inserts,
            epochs,
            seed: opts.seed,
            firstEpoch: BigInt(opts.firstEpoch ?? '1'),
          });
          process.stdout.write(`${JSON.stringify(summary)}\n`);
        } catch (err) {
          const { VirtualLogError } = await import('../../akd/virtual-log.js');
          if (err instanceof VirtualLogError) fail(EXIT_BAD_INPUT, `bad input: ${err.message}`);
          throw err;
        }
        process.exit(EXIT_OK);
      }
      const { writeSyntheticLog } = await import('../../akd-runtime/log-writer.js');
      const summary = await writeSyntheticLog({ out: opts.out, configuration, epochs, inserts, base, seed: opts.seed });
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      process.exit(EXIT_OK);
    });
}
