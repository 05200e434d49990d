import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail, readStdin, verdict } from '../output.js';

export function register(program: Command): void {
  const config = program.command('config').description("work with a node's config file");
  config
    .command('check')
    .description(
      'validate a node config file as `chorus start` would (without opening keys or the database): exit 0 valid, 1 ' +
        'invalid, 2 unreadable',
    )
    .option('--json', 'print the verdict as JSON')
    .argument(
      '<file>',
      'the YAML config; - for standard input (relative paths then resolve against the current folder)',
    )
    .action(async (file: string, opts: { json?: boolean }) => {
      const { readFileSync } = await import('node:fs');
      const { resolve } = await import('node:path');
      const { parseConfigText } = await import('../../config/config.js');
      const { ConfigError } = await import('../../util/errors.js');
      let text: string;
      try {
        text = file === '-' ? await readStdin() : readFileSync(file, 'utf8');
      } catch (err) {
        fail(EXIT_BAD_INPUT, `cannot read ${file === '-' ? 'standard input' : file}: ${(err as Error).message}`);
      }
      const name = file === '-' ? resolve('stdin.yaml') : file;
      try {
        const c = parseConfigText(text, name);
        const names = c.namespaces.length ? ` (${c.namespaces.map((n) => n.name).join(', ')})` : '';
        const admin = c.adminHttp ? `, admin ${c.adminHttp.host}:${c.adminHttp.port}` : '';
        const p2p = c.p2p ? `, libp2p ${c.p2p.listen.join(' ')}` : ', no p2p section';
        const summary = `${c.namespaces.length} namespace(s)${names}, HTTP ${c.http.host}:${c.http.port}${admin}${p2p}`;
        verdict(true, `${file}: ${summary}`, {
          json: opts.json,
          details: { file, namespaces: c.namespaces.map((n) => n.name), data_dir: c.dataDir },
        });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        verdict(false, err.message, { json: opts.json, details: { file, path: err.path } });
      }
    });
}
