import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail } from '../output.js';

export function register(program: Command): void {
  program
    .command('repair')
    .description(
      'restore signed epochs the store lost (e.g. after a full disk) from the signing journal, exactly as signed; ' +
        'refuses, changing nothing, if the journal conflicts with the store; the node must be stopped',
    )
    .requiredOption('--config <file>', "the node's config")
    .action(async (opts: { config: string }) => {
      const { openSigning } = await import('./signing-history.js');
      const { repairFromJournal } = await import('../../operator/journal-repair.js');
      const { loadKeyFile } = await import('../../config/key-file.js');
      const { stringifyJson } = await import('../../util/json.js');
      let store;
      try {
        store = await openSigning(opts.config);
      } catch (err) {
        fail(EXIT_BAD_INPUT, `chorus repair: ${(err as Error).message}`);
      }
      try {
        const keys = store.config.keys.map((k) => loadKeyFile(k.file).publicKey);
        const summary = await repairFromJournal(store.signing, keys);
        process.stdout.write(`${stringifyJson(summary)}\n`);
      } catch (err) {
        await store.close();
        fail(1, `chorus repair: ${(err as Error).message}`);
      }
      await store.close();
    });
}
