import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail } from '../output.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Opens the node's store and signing journal (the node must be stopped: LevelDB allows one
 * process, and its lock also guards the journal). `close` closes both.
 */
export async function openSigning(configFile: string) {
  const { loadConfig } = await import('../../config/config.js');
  const { openDatabase } = await import('../../store/database.js');
  const { SigningStore } = await import('../../store/signing-store.js');
  const { ObservationStore } = await import('../../store/observation-store.js');
  const { observationFromSigned } = await import('../../services/network-service.js');
  const { SIGNING_JOURNAL_FILE, SigningJournal } = await import('../../store/signing-journal.js');
  const { join } = await import('node:path');
  const config = loadConfig(configFile);
  const db = await openDatabase(join(config.dataDir, 'db'));
  let journal;
  try {
    journal = await SigningJournal.open(join(config.dataDir, SIGNING_JOURNAL_FILE));
  } catch (err) {
    await db.close();
    throw err;
  }
  // Imported signatures go to the journal too, before the store (same order as signing).
  const signing = new SigningStore(db, { now: () => BigInt(Date.now()), journal });
  const observations = new ObservationStore(db);
  await observations.ready();
  signing.onSign((batch, record) => observations.addObservation(batch, observationFromSigned(record)));
  await signing.load();
  const close = async (): Promise<void> => {
    await db.close();
    await journal.close();
  };
  return { config, db, signing, close };
}

export function register(program: Command): void {
  program
    .command('export')
    .description(
      "write the node's signing history (chorus-signing-history/1 JSON) to move it to another host; the node must " +
        'be stopped',
    )
    .requiredOption('--config <file>', "the node's config")
    .option('--namespace <ns>', 'only these namespaces (repeatable)', collect, [])
    .option('--out <file>', 'write here instead of stdout')
    .action(async (opts: { config: string; namespace: string[]; out?: string }) => {
      const { exportHistory } = await import('../../operator/signing-history-transfer.js');
      const { loadKeyFile } = await import('../../config/key-file.js');
      const { stringifyJson } = await import('../../util/json.js');
      const { writeFileSync } = await import('node:fs');
      let store;
      try {
        store = await openSigning(opts.config);
      } catch (err) {
        fail(EXIT_BAD_INPUT, `chorus export: ${(err as Error).message}`);
      }
      try {
        const names = opts.namespace.length ? opts.namespace : store.config.namespaces.map((n) => n.name);
        const keys = store.config.keys.map((k) => loadKeyFile(k.file).publicKey);
        const text = `${stringifyJson(await exportHistory(store.signing, names, keys, BigInt(Date.now())), 2)}\n`;
        if (opts.out) writeFileSync(opts.out, text, { mode: 0o600 });
        else process.stdout.write(text);
      } finally {
        await store.close();
      }
    });

  program
    .command('import')
    .description(
      'merge a signing history exported from another host; refuses the whole file if it conflicts with what this ' +
        'node signed; the node must be stopped',
    )
    .requiredOption('--config <file>', "the node's config")
    .argument('<history>', 'file written by chorus export')
    .action(async (file: string, opts: { config: string }) => {
      const { importHistory, parseHistory } = await import('../../operator/signing-history-transfer.js');
      const { parseJson, stringifyJson } = await import('../../util/json.js');
      const { readFileSync } = await import('node:fs');
      let history;
      let store;
      try {
        history = parseHistory(parseJson(readFileSync(file, 'utf8')));
        store = await openSigning(opts.config);
      } catch (err) {
        fail(EXIT_BAD_INPUT, `chorus import: ${(err as Error).message}`);
      }
      try {
        const names = new Set(store.config.namespaces.map((n) => n.name));
        const summary = await importHistory(store.signing, history, (ns) => names.has(ns));
        process.stdout.write(`${stringifyJson(summary)}\n`);
      } catch (err) {
        await store.close();
        fail(1, `chorus import: ${(err as Error).message}`);
      }
      await store.close();
    });
}
