import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail } from '../output.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('run the node: HTTP API and auditing (logs one JSON line per event to stdout)')
    .requiredOption('--config <file>', "the node's YAML config (see chorus init)")
    .option(
      '--roster <file>',
      "the network's roster (JSON): join the auditor network (gossip, sync, equivocation proofs)",
    )
    .option(
      '--log-level <level>',
      "fatal, error, warn, info, debug, trace or silent (default: CHORUS_LOG_LEVEL, else the config's log_level)",
    )
    .option(
      '--resume-signing',
      "clear a doppelgänger halt (only after checking that no other host uses this node's key)",
    )
    .action(async (opts: { config: string; roster?: string; resumeSigning?: boolean; logLevel?: string }) => {
      const { loadConfig } = await import('../../config/config.js');
      const { createLogger, isLogLevel, LOG_LEVELS } = await import('../logger.js');
      const envLevel = process.env.CHORUS_LOG_LEVEL || undefined;
      for (const [what, level] of [
        ['--log-level', opts.logLevel],
        ['CHORUS_LOG_LEVEL', envLevel],
      ] as const) {
        if (level !== undefined && !isLogLevel(level))
          fail(EXIT_BAD_INPUT, `chorus start: ${what} must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
      }
      const { ChorusNode } = await import('../../node/node.js');
      const { ChorusError } = await import('../../util/errors.js');
      const { loadRoster } = await import('../../config/roster-load.js');
      let config;
      let roster;
      try {
        config = loadConfig(opts.config);
        if (opts.roster) roster = loadRoster(opts.roster);
      } catch (err) {
        fail(
          EXIT_BAD_INPUT,
          `chorus start: invalid ${opts.roster && config ? 'roster' : 'config'}: ${(err as Error).message}`,
        );
      }
      const logger = createLogger(opts.logLevel ?? envLevel ?? config.logLevel);
      let node: Awaited<ReturnType<typeof ChorusNode.create>>;
      try {
        node = await ChorusNode.create(config, {
          logger,
          ...(roster ? { roster } : {}),
          resumeSigning: opts.resumeSigning === true,
        });
        await node.listen();
      } catch (err) {
        // Known failures (bad key file, locked store, root mismatch) need no stack trace.
        if (err instanceof ChorusError) logger.fatal({ event: 'start-failed', code: err.code }, err.message);
        else logger.fatal({ event: 'start-failed', err }, (err as Error).message);
        fail(EXIT_BAD_INPUT, `chorus start: ${(err as Error).message}`);
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ event: 'stopping', signal }, 'finishing in-flight requests and closing the database');
        node.close().then(
          () => {
            logger.info({ event: 'stopped' }, 'stopped cleanly');
            process.exit(0);
          },
          (err: unknown) => {
            logger.error({ event: 'stop-failed', err }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
