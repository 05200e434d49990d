import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail } from '../output.js';

export function register(program: Command): void {
  const key = program.command('key').description('signing keys');
  key
    .command('rotate')
    .description(
      'create a new signing key and add it to the config with not_before; /info lists old and new keys; restart the ' +
        'node to use it',
    )
    .requiredOption('--config <file>', "the node's config")
    .option('--not-before <ms>', 'when the new key starts signing (ms since the Unix epoch; default: now)')
    .action(async (opts: { config: string; notBefore?: string }) => {
      const { rotateKey } = await import('../../operator/key-rotation.js');
      try {
        if (opts.notBefore !== undefined && !/^[0-9]{1,20}$/.test(opts.notBefore))
          throw new Error(`--not-before must be milliseconds since the Unix epoch, got "${opts.notBefore}"`);
        const r = await rotateKey(
          opts.config,
          opts.notBefore !== undefined ? BigInt(opts.notBefore) : BigInt(Date.now()),
        );
        process.stdout.write(`${JSON.stringify(r)}\n`);
      } catch (err) {
        fail(EXIT_BAD_INPUT, `chorus key rotate: ${(err as Error).message}`);
      }
    });
}
