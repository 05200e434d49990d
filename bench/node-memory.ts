// `npm run bench -- node-memory [--shape=messenger|whatsapp] [--epochs=N] [--variants=a,b,…] [--idle=S]`:
// where the node's memory goes while it audits a `directory` namespace (docs/akd.md, "Where the
// bytes go"). Each variant runs the node's per-epoch pipeline (download into a file, verify the
// file in the pool's worker) in a fresh process (bench/node-memory-child.ts) under its own
// environment, on the realistic proofs cached by `npm run bench -- realtime`, served by a loopback
// S3 stand-in in this process. Prints one JSON line per variant: peak and final RSS, and per stage
// (download, verify, between epochs, idle) the largest RSS, V8 heap, external and ArrayBuffer
// memory seen. Minutes per hypothesis instead of the real-time run's ten.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startS3StandIn } from '../src/demo/s3-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const CACHE = join(ROOT, 'bench', '.cache', 'realtime');
const CHILD = join(HERE, 'node-memory-child.js');

/** What each variant changes: the child's environment, worker count, worker lifetime. */
const VARIANTS: Record<
  string,
  { env?: Record<string, string>; workers?: number; terminate?: boolean; execArgv?: string[] }
> = {
  // As the node ran before this bench: glibc's defaults (MALLOC_ARENA_MAX unset).
  default: { env: { MALLOC_ARENA_MAX: '' } },
  'arena-2': { env: { MALLOC_ARENA_MAX: '2' } },
  'arena-1': { env: { MALLOC_ARENA_MAX: '1' } },
  'trim-0': { env: { MALLOC_ARENA_MAX: '', MALLOC_TRIM_THRESHOLD_: '0' } },
  terminate: { env: { MALLOC_ARENA_MAX: '' }, terminate: true },
  'arena-2-terminate': { env: { MALLOC_ARENA_MAX: '2' }, terminate: true },
  'workers-2': { env: { MALLOC_ARENA_MAX: '' }, workers: 2 },
  'workers-2-arena-2': { env: { MALLOC_ARENA_MAX: '2' }, workers: 2 },
  // The environment the deploy files give the node (docs/akd.md, "The node's memory").
  chorus: { env: { MALLOC_ARENA_MAX: '2' } },
  // V8's young generation capped (default 16 MiB per semi-space): scavenges come sooner, and with
  // them the release of the download's garbage ArrayBuffers.
  'semi-1': { env: { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-semi-space-size=1' } },
  'semi-4': { env: { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-semi-space-size=4' } },
};

function flag(flags: string[], name: string): string | undefined {
  return flags.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function runChild(payload: object, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const merged: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(env)) {
      if (v === '') delete merged[k];
      else merged[k] = v;
    }
    const child = spawn(process.execPath, [CHILD, JSON.stringify(payload)], {
      env: merged,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`node-memory child exited ${code}`)),
    );
  });
}

export async function run(flags: string[]): Promise<void> {
  const shape = flag(flags, 'shape') ?? 'messenger';
  const epochs = Number(flag(flags, 'epochs') ?? 3);
  const idleMs = Number(flag(flags, 'idle') ?? 7) * 1000;
  const names = (flag(flags, 'variants') ?? 'default,arena-2,terminate').split(',');
  const staging = join(CACHE, shape === 'messenger' ? 'messenger-6' : 'whatsapp-21');
  const meta = join(staging, 'epochs.json');
  if (!existsSync(meta))
    throw new Error(`no cached ${shape} proofs in ${staging}: run \`npm run bench -- realtime\` once first`);
  const all = JSON.parse(readFileSync(meta, 'utf8')) as { blobName: string; bytes: number }[];
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > all.length)
    throw new Error(`--epochs must be 1..${all.length}`);
  const blobs = all.slice(0, epochs).map((e) => e.blobName);
  const s3 = await startS3StandIn(join(staging, 'blobs'));
  try {
    for (const name of names) {
      const v = VARIANTS[name];
      if (!v) throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);
      const payload = { url: s3.url, blobs, workers: v.workers ?? 1, terminate: v.terminate ?? false, idleMs };
      const out = await runChild(payload, v.env ?? {});
      const r = JSON.parse(out) as object;
      process.stdout.write(
        `${JSON.stringify({ bench: 'node-memory', variant: name, shape, env: v.env ?? {}, workers: payload.workers, terminate: payload.terminate, ...r })}\n`,
      );
    }
  } finally {
    await s3.close();
  }
}
