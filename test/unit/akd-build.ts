// The pool's workers and the CLI run compiled code (dist/). `npm test` builds first; when the tests
// run alone (npx vitest run test/unit/akd), rebuild the AKD part of dist/ if it is older than its
// sources.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function stale(): boolean {
  if (!existsSync(CLI)) return true;
  const sources = ['akd', 'akd-runtime'].flatMap((part) =>
    readdirSync(join(ROOT, 'src', part))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => [join(ROOT, 'src', part, f), join(ROOT, 'dist', 'src', part, f.replace(/\.ts$/, '.js'))]),
  );
  sources.push([
    join(ROOT, 'src', 'cli', 'commands', 'akd.ts'),
    join(ROOT, 'dist', 'src', 'cli', 'commands', 'akd.js'),
  ]);
  return sources.some(
    ([src, out]) => !existsSync(out as string) || statSync(out as string).mtimeMs < statSync(src as string).mtimeMs,
  );
}

/** Test files run in parallel processes: one builds, the others wait for it. */
function withLock(fn: () => void): void {
  const lock = join(ROOT, 'dist', '.akd-build-lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() > deadline)
        throw new Error(`${lock} held for two minutes (remove it if no build runs)`, { cause: err });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function ensureAkdBuild(): void {
  if (!stale()) return;
  withLock(build);
  if (stale()) throw new Error('could not build the AKD modules into dist/ (run `npm run build`)');
}

function build(): void {
  if (!stale()) return; // another test process built it meanwhile
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  if (!existsSync(CLI)) {
    // No build at all: the whole project (other commands are imported by the CLI entry).
    spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  } else {
    // Only the AKD modules and the akd command, emitted to their places in dist/.
    const dir = mkdtempSync(join(tmpdir(), 'chorus-akd-build-'));
    const config = join(dir, 'tsconfig.json');
    const files = [
      'src/akd-runtime/verify-worker.ts',
      'src/akd-runtime/verify-pool.ts',
      'src/akd/generator.ts',
      'src/cli/commands/akd.ts',
    ];
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.json'),
        compilerOptions: { noEmit: false, outDir: join(ROOT, 'dist'), rootDir: ROOT },
        files: files.map((f) => join(ROOT, f)),
        include: [],
      }),
    );
    spawnSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' });
    rmSync(dir, { recursive: true, force: true });
  }
}
