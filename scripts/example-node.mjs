#!/usr/bin/env node
// `npm start` (until the demo network exists): one Chorus node with an example namespace in
// ./.chorus-example, created on the first run and resumed on later runs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = join(root, '.chorus-example');
const config = join(dir, 'chorus.yaml');
const tokenFile = join(dir, 'example-token.txt');
const ns = 'example.log';

if (!existsSync(config)) {
  const r = spawnSync(process.execPath, [cli, 'init', '--data-dir', dir, '--namespace', ns, '--http-port', '8080', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(r.status ?? 1);
  }
  const out = JSON.parse(r.stdout);
  writeFileSync(tokenFile, `${out.tokens[ns]}\n`, { mode: 0o600 });
}
const token = readFileSync(tokenFile, 'utf8').trim();
process.stderr.write(
  [
    `example node: data in ${dir}, API at http://127.0.0.1:8080`,
    `submit an epoch:`,
    `  curl -s -H 'authorization: Bearer ${token}' -H 'content-type: application/json' \\`,
    `    -d '{"epoch":1,"digest":"${'11'.repeat(32)}"}' http://127.0.0.1:8080/namespaces/${ns}/audits`,
    `read it back:  curl -s http://127.0.0.1:8080/namespaces/${ns}/audits/1`,
    '',
  ].join('\n'),
);
const child = spawn(process.execPath, [cli, 'start', '--config', config], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
