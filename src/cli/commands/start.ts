import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail } from '../output.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('run the node: HTTP API and auditing (logs one JSON line per event to stdout)')
    .requiredOption('--config <file>', 'the node\'s YAML config (see chorus init)')
    .action(async (opts: { config: string }) => {
      const { loadConfig } = await import('../../node/config.js');
      const { createLogger } = await import('../logger.js');
      const { ChorusNode } = await import('../../node/node.js');
      const { ChorusError } = await import('../../util/errors.js');
      let config;
      try {
        config = loadConfig(opts.config);
      } catch (err) {
        fail(EXIT_BAD_INPUT, `chorus start: invalid config: ${(err as Error).message}`);
      }
      const logger = createLogger(config.logLevel);
      let node: Awaited<ReturnType<typeof ChorusNode.create>>;
      try {
        node = await ChorusNode.create(config, { logger });
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
