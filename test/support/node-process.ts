// Runs real Chorus node processes (compiled CLI, own OS process, real TCP on 127.0.0.1) for
// multi-process tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The package root, whether this file runs from test/support (vitest) or dist/test/support (bench). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above test/support');
    dir = up;
  }
  return dir;
}

export const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it)`);
}

/** Runs the CLI to completion. */
export function runCli(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  assertBuilt();
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface LogLine {
  level: number;
  event?: string;
  msg?: string;
  [k: string]: unknown;
}

export class NodeProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  url = '';
  private constructor(readonly proc: ChildProcess) {}

  static async start(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<NodeProcess> {
    assertBuilt();
    const proc = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    const node = new NodeProcess(proc);
    createInterface({ input: proc.stderr! }).on('line', (l) => node.stderr.push(l));
    const listening = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`node did not start: ${node.stderr.join('\n')}`)),
        opts.timeoutMs ?? 20_000,
      );
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          node.stderr.push(`(stdout) ${line}`);
          return;
        }
        node.logs.push(parsed);
        if (parsed.event === 'listening' && typeof parsed.url === 'string') {
          clearTimeout(timer);
          resolve(parsed.url);
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node exited with ${code} before listening: ${node.stderr.join('\n')}`));
      });
    });
    node.url = await listening;
    return node;
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.exited) return this.proc.exitCode;
    const done = once(this.proc, 'exit');
    this.proc.kill(signal);
    const [code] = (await done) as [number | null];
    return code;
  }
}
