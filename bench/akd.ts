// `npm run bench -- akd [--sizes=BASE/INSERTS,…] [--runs=N] [--no-process] [--blake3]`: verification speed
// and memory on generated WhatsApp-shaped proofs (whatsapp_v1, 256-bit random labels), at the sizes
// of the akd reference table (docs/akd.md).
// `npm run bench -- akd --shapes[=whatsapp,messenger,messenger-max] [--runs=3]`: the realistic epochs
// of the issue instead (virtual dense tree, virtual-log.ts): W ≈44 MB, M ≈224 MB, M-max ≈284 MB. For each size, one JSON line for the in-process call
// (median of N runs in a fresh process, with the decode/build/hash breakdown) and one for the whole
// `chorus akd verify` process (median wall time of N spawns, peak RSS reported by the child).
// Generated proofs are cached in bench/.cache/akd/ (git-ignored) so reruns are quick. `--blake3`
// first compares the BLAKE3 candidates on the tree's 64-byte messages (why blake3.ts exists).
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { hashInto as jitHashInto } from 'blake3-jit';
import { createBLAKE3 } from 'hash-wasm';
import { BLAKE3_IV, ONE_BLOCK, compress } from '../src/akd/blake3.js';
import { SyntheticLog } from '../src/akd/generator.js';
import { writeVirtualLog } from '../src/akd-runtime/log-writer.js';
import { AKD_SHAPES, type AkdShapeName } from '../src/akd/virtual-log.js';

// dist/bench/akd.js → the checkout's root.
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const CACHE = join(ROOT, 'bench', '.cache', 'akd');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const CHILD = join(HERE, 'akd-inprocess.js');

/** facebook/akd 0.12 on a 2-core machine of the same kind (the table). */
const AKD_REFERENCE: Record<string, { ms2: number; ms1: number; rssMb: number; unchanged: number }> = {
  '10000/1000': { ms2: 17, ms1: 22, rssMb: 5, unchanged: 2960 },
  '100000/10000': { ms2: 141, ms1: 237, rssMb: 16, unchanged: 29860 },
  '1000000/10000': { ms2: 352, ms1: 480, rssMb: 27, unchanged: 61174 },
  '1000000/50000': { ms2: 1177, ms1: 1605, rssMb: 73, unchanged: 193465 },
};

interface CachedProof {
  file: string;
  blobName: string;
  inserted: number;
  unchanged: number;
  bytes: number;
}

function flag(flags: string[], name: string): string | undefined {
  const f = flags.find((x) => x.startsWith(`--${name}=`));
  return f?.slice(name.length + 3);
}

/** Base leaves in epoch 1, `inserts` in epoch 2; the proof of 1 → 2. */
function proofFor(base: number, inserts: number): CachedProof {
  const key = `${base}-${inserts}-seed-bench`;
  const meta = join(CACHE, `${key}.json`);
  const file = join(CACHE, `${key}.bin`);
  if (existsSync(meta) && existsSync(file)) return JSON.parse(readFileSync(meta, 'utf8')) as CachedProof;
  mkdirSync(CACHE, { recursive: true });
  const ignore = join(ROOT, 'bench', '.cache', '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  const t0 = performance.now();
  const log = new SyntheticLog({ name: 'whatsapp_v1' }, `bench-${base}`, { expectedLeaves: base + inserts });
  log.tree.insert(log.leaves.next(base)); // epoch 1, without encoding its (huge) proof
  const e = log.publish(inserts);
  writeFileSync(file, e.proof);
  const out: CachedProof = {
    file,
    blobName: e.blobName,
    inserted: e.inserted,
    unchanged: e.unchanged,
    bytes: e.proof.length,
  };
  writeFileSync(meta, JSON.stringify(out));
  process.stderr.write(
    `akd bench: generated ${base}/${inserts} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return out;
}

/** akd 0.12 and the earlier Chorus on the realistic epochs (whole process, median of 3). */
const SHAPE_REFERENCE: Partial<
  Record<AkdShapeName, { akdMs: number; akdRssMb: number; chorusBeforeMs: number; chorusBeforeRssMb: number }>
> = {
  whatsapp: { akdMs: 8_700, akdRssMb: 438, chorusBeforeMs: 1_500, chorusBeforeRssMb: 252 },
  messenger: { akdMs: 49_900, akdRssMb: 1_940, chorusBeforeMs: 6_300, chorusBeforeRssMb: 1_000 },
};

/** The one epoch of a shape (generated once, cached). */
function shapeProof(shape: AkdShapeName): CachedProof {
  const dir = join(CACHE, `shape-${shape}`);
  const meta = join(CACHE, `shape-${shape}.json`);
  if (existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as CachedProof;
  mkdirSync(CACHE, { recursive: true });
  const ignore = join(ROOT, 'bench', '.cache', '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  const t0 = performance.now();
  const { leaves, inserts } = AKD_SHAPES[shape];
  const summary = writeVirtualLog({
    out: dir,
    configuration: { name: 'whatsapp_v1' },
    leaves,
    inserts,
    epochs: 1,
    seed: `bench-${shape}`,
  });
  const e = summary.epochs[0];
  if (e === undefined) throw new Error('no epoch generated');
  const out: CachedProof = {
    file: join(dir, e.blob_name),
    blobName: e.blob_name,
    inserted: e.inserted,
    unchanged: e.unchanged,
    bytes: e.bytes,
  };
  writeFileSync(meta, JSON.stringify(out));
  process.stderr.write(`akd bench: generated ${shape} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return out;
}

async function runShapes(names: AkdShapeName[], runs: number): Promise<void> {
  for (const shape of names) {
    const p = shapeProof(shape);
    const ref = SHAPE_REFERENCE[shape];
    const common = {
      shape,
      inserted: p.inserted,
      unchanged: p.unchanged,
      proof_bytes: p.bytes,
      proof_mb: round(p.bytes / 1e6),
    };
    const reference =
      ref === undefined
        ? {}
        : {
            akd_0_12_ms: ref.akdMs,
            akd_0_12_peak_rss_mb: ref.akdRssMb,
            chorus_before_ms: ref.chorusBeforeMs,
            chorus_before_peak_rss_mb: ref.chorusBeforeRssMb,
          };
    const inproc = await exec(process.execPath, [CHILD, p.file, p.blobName, String(runs)]);
    if (inproc.code !== 0) throw new Error(`in-process run failed: ${inproc.stderr}`);
    const r = JSON.parse(inproc.stdout) as {
      ms: number;
      first_ms: number;
      decode_ms: number;
      build_ms: number;
      hash_ms: number;
      peak_rss_mb: number;
    };
    process.stdout.write(
      `${JSON.stringify({ ...common, mode: 'in-process call (streamed file)', ms: round(r.ms), first_call_ms: round(r.first_ms), decode_ms: round(r.decode_ms), build_ms: round(r.build_ms), hash_ms: round(r.hash_ms), peak_rss_mb: round(r.peak_rss_mb), runs })}\n`,
    );
    const walls: number[] = [];
    const cpus: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < runs; i++) {
      const c = await exec(process.execPath, [
        CLI,
        'akd',
        'verify',
        '--configuration',
        'whatsapp_v1',
        '--blob-name',
        p.blobName,
        p.file,
        '--json',
      ]);
      if (c.code !== 0) throw new Error(`chorus akd verify exited ${c.code}: ${c.stderr}`);
      const out = JSON.parse(c.stdout) as { peak_rss_mb: number; cpu_ms: number };
      walls.push(c.ms);
      cpus.push(out.cpu_ms);
      rss.push(out.peak_rss_mb);
    }
    process.stdout.write(
      `${JSON.stringify({ ...common, mode: 'chorus akd verify process', ms: round(median(walls)), cpu_ms: round(median(cpus)), peak_rss_mb: round(median(rss)), max_peak_rss_mb: round(Math.max(...rss)), load_average: round(loadavg()[0] ?? 0), runs, ...reference })}\n`,
    );
  }
}

function exec(
  cmd: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
  });
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
const round = (x: number): number => Math.round(x * 10) / 10;

/** Microseconds per BLAKE3 of a 64-byte message, best of 3 rounds of 500k, for each candidate. */
async function blake3Candidates(): Promise<void> {
  const msg = new Uint8Array(64).map((_, i) => i * 7);
  const words = new Uint32Array(msg.buffer);
  const out = new Uint32Array(8);
  const out8 = new Uint8Array(32);
  const wasm = await createBLAKE3();
  const candidates: Record<string, (i: number) => void> = {
    'chorus blake3.ts (words, no allocation)': (i) => {
      words[0] = i;
      compress(BLAKE3_IV, 0, words, 0, 64, ONE_BLOCK, out, 0);
    },
    'blake3-jit hashInto': (i) => {
      msg[0] = i;
      jitHashInto(msg, out8);
    },
    'hash-wasm (reused hasher)': (i) => {
      msg[0] = i;
      wasm.init();
      wasm.update(msg);
      wasm.digest('binary');
    },
    '@noble/hashes': (i) => {
      msg[0] = i;
      nobleBlake3(msg);
    },
  };
  const n = 500_000;
  for (const [impl, fn] of Object.entries(candidates)) {
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn(i);
      best = Math.min(best, ((performance.now() - t0) * 1000) / n);
    }
    process.stdout.write(
      `${JSON.stringify({ primitive: 'blake3 of 64 bytes', impl, us_per_hash: Math.round(best * 1000) / 1000 })}\n`,
    );
  }
}

export async function run(flags: string[]): Promise<void> {
  if (flags.includes('--blake3')) await blake3Candidates();
  const shapes = flags.find((f) => f === '--shapes' || f.startsWith('--shapes='));
  if (shapes !== undefined) {
    const names = (shapes.includes('=') ? shapes.slice('--shapes='.length) : Object.keys(AKD_SHAPES).join(',')).split(
      ',',
    );
    for (const n of names)
      if (!(n in AKD_SHAPES)) throw new Error(`unknown shape ${n}; known: ${Object.keys(AKD_SHAPES).join(', ')}`);
    await runShapes(names as AkdShapeName[], Number(flag(flags, 'runs') ?? '3'));
    return;
  }
  const sizes = (flag(flags, 'sizes') ?? Object.keys(AKD_REFERENCE).join(','))
    .split(',')
    .map((s) => s.split('/').map(Number) as [number, number]);
  const runs = Number(flag(flags, 'runs') ?? '5');
  const withProcess = !flags.includes('--no-process');
  for (const [base, inserts] of sizes) {
    const proof = `${base}/${inserts}`;
    const p = proofFor(base, inserts);
    const ref = AKD_REFERENCE[proof];
    const common = { proof, inserted: p.inserted, unchanged: p.unchanged, proof_bytes: p.bytes };
    const akd =
      ref === undefined ? {} : { akd_ms_2_threads: ref.ms2, akd_ms_1_thread: ref.ms1, akd_peak_rss_mb: ref.rssMb };

    const inproc = await exec(process.execPath, [CHILD, p.file, p.blobName, String(runs)]);
    if (inproc.code !== 0) throw new Error(`in-process run failed: ${inproc.stderr}`);
    const r = JSON.parse(inproc.stdout) as {
      ms: number;
      first_ms: number;
      decode_ms: number;
      build_ms: number;
      hash_ms: number;
      peak_rss_mb: number;
    };
    const n = p.inserted + p.unchanged;
    process.stdout.write(
      `${JSON.stringify({
        ...common,
        mode: 'in-process call',
        ms: round(r.ms),
        nodes_per_s: Math.round(n / (r.ms / 1000)),
        peak_rss_mb: round(r.peak_rss_mb),
        first_call_ms: round(r.first_ms),
        decode_ms: round(r.decode_ms),
        build_ms: round(r.build_ms),
        hash_ms: round(r.hash_ms),
        runs,
        ...akd,
      })}\n`,
    );

    if (!withProcess) continue;
    const walls: number[] = [];
    const rss: number[] = [];
    const phases: Array<{ decodeMs: number; buildMs: number; hashMs: number }> = [];
    let threads = 1;
    for (let i = 0; i < runs; i++) {
      const c = await exec(process.execPath, [
        CLI,
        'akd',
        'verify',
        '--configuration',
        'whatsapp_v1',
        '--blob-name',
        p.blobName,
        p.file,
        '--json',
      ]);
      if (c.code !== 0) throw new Error(`chorus akd verify exited ${c.code}: ${c.stderr}`);
      const out = JSON.parse(c.stdout) as {
        peak_rss_mb: number;
        hash_threads: number;
        timings_ms: { decodeMs: number; buildMs: number; hashMs: number };
      };
      threads = out.hash_threads;
      walls.push(c.ms);
      rss.push(out.peak_rss_mb);
      phases.push(out.timings_ms);
    }
    const ms = median(walls);
    process.stdout.write(
      `${JSON.stringify({
        ...common,
        mode: 'chorus akd verify process',
        ms: round(ms),
        nodes_per_s: Math.round(n / (ms / 1000)),
        peak_rss_mb: round(Math.max(...rss)),
        decode_ms: round(median(phases.map((x) => x.decodeMs))),
        build_ms: round(median(phases.map((x) => x.buildMs))),
        hash_ms: round(median(phases.map((x) => x.hashMs))),
        hash_threads: threads,
        runs,
        ...akd,
      })}\n`,
    );
  }
}
