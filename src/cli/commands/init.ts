import type { Command } from 'commander';
import { NAMESPACE_NAME_RE } from '../../node/config.js';
import { EXIT_BAD_INPUT, fail } from '../output.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  program
    .command('init')
    .description('create a signing key and a commented example config in a data directory')
    .requiredOption('--data-dir <dir>', 'the node\'s data directory (created if absent)')
    .option('--namespace <name>', 'a namespace to audit (repeatable); it starts in Initialization', collect, [])
    .option('--http-port <port>', 'HTTP port', '8080')
    .option('--json', 'print {"public_key","config","tokens"} as JSON')
    .action(async (opts: { dataDir: string; namespace: string[]; httpPort: string; json?: boolean }) => {
      const { initDataDir } = await import('../../node/init.js');
      const port = Number(opts.httpPort);
      if (!Number.isInteger(port) || port < 0 || port > 65535) fail(EXIT_BAD_INPUT, `--http-port must be 0-65535, got ${opts.httpPort}`);
      for (const ns of opts.namespace) {
        if (!NAMESPACE_NAME_RE.test(ns)) fail(EXIT_BAD_INPUT, `--namespace "${ns}": letters, digits, ".", "_" and "-" only`);
      }
      let result;
      try {
        result = initDataDir({ dataDir: opts.dataDir, namespaces: opts.namespace, httpPort: port });
      } catch (err) {
        fail(EXIT_BAD_INPUT, `chorus init: ${(err as Error).message}`);
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ public_key: result.publicKey, config: result.config, tokens: result.tokens })}\n`);
        return;
      }
      process.stdout.write(`public key: ${result.publicKey}\nconfig:     ${result.config}\nkey file:   ${result.keyFile}\n`);
      for (const [ns, token] of Object.entries(result.tokens)) {
        process.stdout.write(`token for ${ns}: ${token}   (give it to the log; only its hash is stored)\n`);
      }
      process.stdout.write(`start with: chorus start --config ${result.config}\n`);
    });
}
