// `npm run bench -- realtime [--quick] [--minutes=N] [--w-every=S] [--m-every=S] [--shape-w=NAME] [--shape-m=NAME] [--poll=S] [--trace]`:
// one node audits two logs published in real time on loopback S3 stand-ins (docs/akd.md, "Node
// pipeline"): W epochs every 30 s and M epochs every 120 s (at least 20 W and 5 M epochs), two
// `directory` namespaces in one node process. Reports per namespace the lag behind the head
// (epochs and seconds, p50/p99/max), the node's per-epoch time against the in-process verification
// time of the same proof, and for the node: peak and final RSS, disk used, CPU seconds per epoch.
// `--quick`: small proofs, W every 1.5 s and M every 6 s (about half a minute), to show it works.
// `--catch-up`: every epoch is published before the node starts (start_at: the first), so the
// per-epoch node time shows the download of e+1 overlapping the verification of e.
// The stand-ins cache negative listings for a minute, as the real CDN does.
// `--only=w` / `--only=m`: one namespace only (the node's memory bound is per log: docs/akd.md,
// "The node's memory"); `--no-reference`: skip the in-process reference runs (and the ratio).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { writeVirtualLog } from '../src/akd-runtime/log-writer.js';
import { AKD_SHAPES } from '../src/akd/virtual-log.js';
import { startS3StandIn, type S3StandIn } from '../src/demo/s3-server.js';
import { initDataDir } from '../src/operator/init.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const INPROCESS = join(HERE, 'akd-inprocess.js');
const CACHE = join(ROOT, 'bench', '.cache', 'realtime');

function flag(flags: string[], name: string): string | undefined {
  const f = flags.find((x) => x.startsWith(`--${name}=`));
  return f?.slice(name.length + 3);
}

/**
 * Proof shapes (virtual dense tree: leaves before the first epoch, inserts per epoch). `whatsapp`
 * (≈44 MB) and `messenger` (≈224 MB) are the AKD generator's realistic presets; the small ones are
 * for a quick run.
 */
const SHAPES: Record<string, { leaves: number; inserts: number }> = {
  'small-w': { leaves: 100_000, inserts: 200 },
  'small-m': { leaves: 500_000, inserts: 1_000 },
  whatsapp: AKD_SHAPES.whatsapp,
  messenger: AKD_SHAPES.messenger,
  'messenger-max': AKD_SHAPES['messenger-max'],
};

interface Epoch {
  epoch: bigint;
  blobName: string;
  bytes: number;
}

/** The one generator seam: writes `epochs` proof blobs of a shape under `out` (cached). */
async function generateShapedLog(shape: string, epochs: number, out: string, seed: string): Promise<Epoch[]> {
  const s = SHAPES[shape];
  if (!s) throw new Error(`unknown shape ${shape}; known: ${Object.keys(SHAPES).join(', ')}`);
  const meta = join(out, 'epochs.json');
  if (existsSync(meta)) {
    const cached = JSON.parse(readFileSync(meta, 'utf8')) as { epoch: string; blobName: string; bytes: number }[];
    return cached.map((e) => ({ ...e, epoch: BigInt(e.epoch) }));
  }
  rmSync(out, { recursive: true, force: true });
  const t0 = performance.now();
  // A chain of realistic epochs of a virtual dense tree (docs/akd.md, "Realistic synthetic logs").
  const summary = writeVirtualLog({
    configuration: { name: 'whatsapp_v1' },
    leaves: s.leaves,
    inserts: s.inserts,
    epochs,
    seed,
    out: join(out, 'blobs'),
  });
  const list: Epoch[] = summary.epochs.map((e) => ({ epoch: BigInt(e.epoch), blobName: e.blob_name, bytes: e.bytes }));
  writeFileSync(meta, JSON.stringify(list.map((e) => ({ ...e, epoch: e.epoch.toString() }))));
  process.stderr.write(
    `realtime bench: generated ${epochs} ${shape} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return list;
}

function copyTree(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const e of readdirSync(src)) {
    const s = join(src, e);
    const d = join(dst, e);
    if (statSync(s).isDirectory()) copyTree(s, d);
    else writeFileSync(d, readFileSync(s));
  }
}

const pct = (v: number[], p: number): number => {
  if (v.length === 0) return 0;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const stats = (v: number[]) => ({
  p50: round(pct(v, 50)),
  p99: round(pct(v, 99)),
  max: round(v.length ? Math.max(...v) : 0),
});
const round = (x: number): number => Math.round(x * 100) / 100;

function procStatus(pid: number): { rssMb: number; hwmMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0);
  // utime and stime are fields 14 and 15, after the parenthesised command name.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024, cpuSeconds: ticks / 100 };
}

function du(path: string): number {
  let n = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) n += du(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

function inProcessMs(file: string, blobName: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [INPROCESS, file, blobName, '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve((JSON.parse(out) as { ms: number }).ms)
        : reject(new Error(`in-process verification exited ${code}`)),
    );
  });
}

/** A few of the node's own gauges (prom-client's defaults and the memory budget), in MB or counts. */
async function traceLine(apiUrl: string, pid: number, t0: number, nss: Ns[]): Promise<void> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const gauge = (name: string, label = ''): number => {
    const m = new RegExp(`^${name}${label ? `\\{[^}]*${label}[^}]*\\}` : ''} ([0-9.e+-]+)$`, 'm').exec(text);
    return Number(m?.[1] ?? NaN);
  };
  const mb = (x: number) => Math.round(x / 1e5) / 10;
  const line = {
    t: Math.round((Date.now() - t0) / 100) / 10,
    rss_mb: mb(procStatus(pid).rssMb * 1e6),
    // File-backed pages (the node binary, ICU, native addons) are part of RSS but not the heap.
    anon_mb: Math.round(
      Number(/^Anonymous:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1]) / 1024,
    ),
    heap_total_mb: mb(gauge('nodejs_heap_size_total_bytes')),
    heap_used_mb: mb(gauge('nodejs_heap_size_used_bytes')),
    external_mb: mb(gauge('nodejs_external_memory_bytes')),
    new_space_mb: mb(gauge('nodejs_heap_space_size_total_bytes', 'space="new"')),
    budget_in_use_mb: mb(gauge('chorus_memory_budget_in_use_bytes')),
    budget_waiting: gauge('chorus_memory_budget_waiting_jobs'),
    signed: Object.fromEntries(nss.map((ns) => [ns.name, ns.signedAt.size])),
  };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

interface Ns {
  name: string;
  shape: string;
  everyMs: number;
  epochs: Epoch[];
  staging: string;
  bucket: string;
  s3?: S3StandIn;
  publishedAt: Map<bigint, number>;
  signedAt: Map<bigint, number>;
  nodeMs: Map<bigint, { download: number; verify: number; total: number }>;
  lagEpochs: number[];
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const catchUp = flags.includes('--catch-up');
  const minutes = Number(flag(flags, 'minutes') ?? (quick ? 0.5 : 10));
  const wEvery = Number(flag(flags, 'w-every') ?? (quick ? 1.5 : 30)) * 1000;
  const mEvery = Number(flag(flags, 'm-every') ?? (quick ? 6 : 120)) * 1000;
  const poll = Number(flag(flags, 'poll') ?? (quick ? 1 : 2));
  const nW = Math.max(20, Math.ceil((minutes * 60_000) / wEvery));
  const nM = Math.max(5, Math.ceil((minutes * 60_000) / mEvery));
  const shapeW = flag(flags, 'shape-w') ?? (quick ? 'small-w' : 'whatsapp');
  const shapeM = flag(flags, 'shape-m') ?? (quick ? 'small-m' : 'messenger');
  const only = flag(flags, 'only');
  if (only !== undefined && only !== 'w' && only !== 'm') throw new Error('--only must be w or m');
  const reference = !flags.includes('--no-reference');
  // `--trace`: one JSON line per second on stderr with the node's RSS and the main thread's V8 heap,
  // external and ArrayBuffer memory (from /metrics) and the memory budget: where a peak comes from.
  const trace = flags.includes('--trace');
  const work = join(tmpdir(), `chorus-realtime-${process.pid}`);
  mkdirSync(CACHE, { recursive: true });
  const ignore = join(ROOT, 'bench', '.cache', '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  // One extra epoch each: published before the node starts (it starts at the head).
  const nss: Ns[] = [
    { name: 'w.example', shape: shapeW, everyMs: wEvery, n: nW + 1 },
    { name: 'm.example', shape: shapeM, everyMs: mEvery, n: nM + 1 },
  ]
    .filter((x) => only === undefined || x.name.startsWith(`${only}.`))
    .map((x) => ({
      name: x.name,
      shape: x.shape,
      everyMs: x.everyMs,
      epochs: [],
      staging: join(CACHE, `${x.shape}-${x.n}`),
      bucket: join(work, `bucket-${x.name}`),
      publishedAt: new Map(),
      signedAt: new Map(),
      nodeMs: new Map(),
      lagEpochs: [],
    }));
  for (const ns of nss)
    ns.epochs = await generateShapedLog(ns.shape, ns.name === 'w.example' ? nW + 1 : nM + 1, ns.staging, ns.name);
  let node: ChildProcess | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    for (const ns of nss) {
      mkdirSync(ns.bucket, { recursive: true });
      ns.s3 = await startS3StandIn(ns.bucket, { negativeCacheMs: 60_000 });
    }
    const publish = (ns: Ns, e: Epoch) => {
      // Copied into a hidden folder, then renamed: the epoch appears at once, complete.
      const [epoch] = e.blobName.split('/') as [string];
      const tmp = join(ns.bucket, `.incoming-${epoch}`);
      copyTree(join(ns.staging, 'blobs', epoch), tmp);
      renameSync(tmp, join(ns.bucket, epoch));
      ns.publishedAt.set(e.epoch, Date.now());
    };
    for (const ns of nss) publish(ns, ns.epochs[0] as Epoch);
    if (catchUp) for (const ns of nss) for (const e of ns.epochs.slice(1)) publish(ns, e);
    const init = await initDataDir({ dataDir: join(work, 'node'), namespaces: nss.map((n) => n.name), httpPort: 0 });
    const doc = parseDocument(readFileSync(init.config, 'utf8'));
    doc.set('log_level', 'debug');
    nss.forEach((ns, i) => {
      doc.setIn(['namespaces', i, 'source'], 'directory');
      doc.setIn(['namespaces', i, 'proof_directory'], ns.s3?.url);
      doc.setIn(['namespaces', i, 'poll_interval_seconds'], poll);
      if (catchUp) doc.setIn(['namespaces', i, 'start_at'], Number((ns.epochs[0] as Epoch).epoch));
    });
    writeFileSync(init.config, doc.toString());
    const t0 = Date.now();
    // The allocator and V8 settings the deploy files give the node (docs/akd.md, "The node's memory").
    const env = {
      ...process.env,
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '32768',
      NODE_OPTIONS: process.env.NODE_OPTIONS ?? '--max-semi-space-size=4',
    };
    node = spawn(process.execPath, [CLI, 'start', '--config', init.config], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    });
    const pid = node.pid as number;
    let apiUrl = '';
    createInterface({ input: node.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let l: Record<string, unknown>;
      try {
        l = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a log line
      }
      if (l.event === 'listening') apiUrl = String(l.url);
      const ns = nss.find((n) => n.name === l.namespace);
      if (!ns) return;
      if (l.event === 'epoch-signed') ns.signedAt.set(BigInt(String(l.epoch)), Date.now());
      if (l.event === 'directory-epoch')
        ns.nodeMs.set(BigInt(String(l.epoch)), {
          download: Number(l.download_ms),
          verify: Number(l.verify_ms),
          total: Number(l.total_ms),
        });
    });
    // Publication schedules, from now.
    if (!catchUp) {
      for (const ns of nss)
        ns.epochs.slice(1).forEach((e, k) => timers.push(setTimeout(() => publish(ns, e), (k + 1) * ns.everyMs)));
    }
    const end = catchUp ? 60_000 : Math.max(...nss.map((ns) => (ns.epochs.length - 1) * ns.everyMs));
    let peak = { rssMb: 0, hwmMb: 0, cpuSeconds: 0 };
    let maxApiMs = 0;
    const deadline = t0 + end + Math.max(wEvery, mEvery) * 2;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      peak = procStatus(pid);
      for (const ns of nss) {
        const published = [...ns.publishedAt.keys()].reduce((a, b) => (b > a ? b : a), 0n);
        const signed = [...ns.signedAt.keys()].reduce((a, b) => (b > a ? b : a), 0n);
        if (ns.signedAt.size > 0) ns.lagEpochs.push(Number(published - signed));
      }
      if (apiUrl) {
        const a0 = performance.now();
        await fetch(`${apiUrl}/healthz`);
        maxApiMs = Math.max(maxApiMs, performance.now() - a0);
        if (trace) await traceLine(apiUrl, pid, t0, nss);
      }
      const done = nss.every((ns) => ns.signedAt.has((ns.epochs[ns.epochs.length - 1] as Epoch).epoch));
      if (done || Date.now() > deadline) break;
    }
    const final = procStatus(pid);
    // A few seconds later: the pool has stopped its idle worker (docs/akd.md, "The node's memory").
    await new Promise((r) => setTimeout(r, 4_000));
    const idle = procStatus(pid);
    const disk = du(join(work, 'node'));
    const totalEpochs = nss.reduce((s, ns) => s + ns.signedAt.size, 0);
    const perNs = [];
    for (const ns of nss) {
      const lagSeconds: number[] = [];
      const ratio: number[] = [];
      const verifyMs: number[] = [];
      const inproc: number[] = [];
      for (const e of ns.epochs.slice(1)) {
        const p = ns.publishedAt.get(e.epoch);
        const s = ns.signedAt.get(e.epoch);
        if (p !== undefined && s !== undefined) lagSeconds.push((s - p) / 1000);
        const n = ns.nodeMs.get(e.epoch);
        if (!n) continue;
        verifyMs.push(n.verify);
        if (!reference) continue;
        const ip = await inProcessMs(join(ns.staging, 'blobs', ...e.blobName.split('/')), e.blobName);
        inproc.push(ip);
        ratio.push(n.total / ip);
      }
      perNs.push({
        namespace: ns.name,
        shape: ns.shape,
        every_s: ns.everyMs / 1000,
        epochs_published: ns.publishedAt.size - 1,
        epochs_signed: [...ns.signedAt.keys()].filter((e) => e > (ns.epochs[0] as Epoch).epoch).length,
        proof_mb: stats(ns.epochs.map((e) => e.bytes / 1e6)),
        lag_epochs: stats(ns.lagEpochs),
        lag_seconds: stats(lagSeconds),
        node_verify_ms: stats(verifyMs),
        inprocess_verify_ms: stats(inproc),
        node_time_over_inprocess: stats(ratio),
        never_more_than_one_epoch_behind: catchUp ? null : ns.lagEpochs.every((l) => l <= 1),
      });
    }
    process.stdout.write(
      `${JSON.stringify({
        bench: 'realtime',
        quick,
        catch_up: catchUp,
        minutes,
        poll_interval_s: poll,
        namespaces: perNs,
        node: {
          peak_rss_mb: round(peak.hwmMb),
          final_rss_mb: round(final.rssMb),
          idle_rss_mb: round(idle.rssMb),
          disk_mb: round(disk / 1e6),
          cpu_seconds: round(final.cpuSeconds),
          cpu_seconds_per_epoch: round(final.cpuSeconds / Math.max(1, totalEpochs)),
          max_api_ms: round(maxApiMs),
        },
        note: 'timings on a shared machine are noisy',
      })}\n`,
    );
  } finally {
    for (const t of timers) clearTimeout(t);
    if (node && node.exitCode === null) {
      const exited = new Promise((r) => node?.once('exit', r));
      node.kill('SIGTERM');
      await exited;
    }
    for (const ns of nss) await ns.s3?.close();
    rmSync(work, { recursive: true, force: true });
  }
}
