// Child process of bench/node-memory.ts: runs the node's per-epoch pipeline for a directory
// namespace (docs/akd.md, "Node pipeline") on proofs served by the parent's S3 stand-in: stream
// the blob into a file (src/net/http-client.ts), verify it from the file in the verify pool's
// worker, delete it. Samples this process's memory every 50 ms and prints, per stage, the largest
// RSS and process.memoryUsage() parts seen, as one JSON line. A separate process so its RSS is
// the pipeline's alone, and so each variant can run under its own environment (glibc variables).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBlobName } from '../src/akd/blob-name.js';
import { AkdVerifyPool } from '../src/akd-runtime/verify-pool.js';
import { httpToFile } from '../src/net/http-client.js';

interface Args {
  url: string;
  blobs: string[];
  workers: number;
  /** Stop the pool's workers after each epoch (their memory goes with them). */
  terminate: boolean;
  /** Idle time after the last epoch before the final sample (the worker frees its arena after 5 s). */
  idleMs: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const mb = (n: number): number => Math.round((n / 1048576) * 10) / 10;

function rssNow(): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

interface Peak {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
const stages = new Map<string, Peak>();
let stage = 'start';
function sample(): void {
  const u = process.memoryUsage();
  const p = stages.get(stage) ?? { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  p.rss = Math.max(p.rss, rssNow());
  p.heapUsed = Math.max(p.heapUsed, u.heapUsed);
  p.external = Math.max(p.external, u.external);
  p.arrayBuffers = Math.max(p.arrayBuffers, u.arrayBuffers);
  stages.set(stage, p);
}
function enter(name: string): void {
  sample();
  stage = name;
  sample();
}

const timer = setInterval(sample, 50);
const dir = mkdtempSync(join(tmpdir(), 'chorus-node-memory-'));
let pool = new AkdVerifyPool({ size: args.workers });
const epochs: Array<{ epoch: string; download_ms: number; verify_ms: number; ok: boolean; rss_after_mb: number }> = [];
try {
  for (const blobName of args.blobs) {
    const name = parseBlobName(blobName);
    const path = join(dir, `${name.epoch}.proof`);
    enter('download');
    const t0 = performance.now();
    const res = await httpToFile(`${args.url}/${blobName}`, path, { maxBytes: 400e6, timeoutMs: 300_000 });
    if (res.status !== 200) throw new Error(`GET ${blobName}: status ${res.status}`);
    const t1 = performance.now();
    enter('verify');
    const v = await pool.verifyFile({
      path,
      previous: name.previousHash,
      current: name.currentHash,
      endEpoch: name.epoch,
      configuration: { name: 'whatsapp_v1' },
    });
    const t2 = performance.now();
    enter('between');
    rmSync(path);
    if (args.terminate) {
      await pool.close();
      pool = new AkdVerifyPool({ size: args.workers });
    }
    epochs.push({
      epoch: name.epoch.toString(),
      download_ms: Math.round(t1 - t0),
      verify_ms: Math.round(t2 - t1),
      ok: v.ok,
      rss_after_mb: mb(rssNow()),
    });
  }
  enter('idle');
  await new Promise((r) => setTimeout(r, args.idleMs));
  sample();
  const final = { ...process.memoryUsage(), rss: rssNow() };
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  process.stdout.write(
    `${JSON.stringify({
      peak_rss_mb: Number(hwm?.[1] ?? 0) / 1024,
      final: {
        rss_mb: mb(final.rss),
        heap_used_mb: mb(final.heapUsed),
        external_mb: mb(final.external),
        array_buffers_mb: mb(final.arrayBuffers),
      },
      stages: Object.fromEntries(
        [...stages].map(([k, p]) => [
          k,
          {
            rss_mb: mb(p.rss),
            heap_used_mb: mb(p.heapUsed),
            external_mb: mb(p.external),
            array_buffers_mb: mb(p.arrayBuffers),
          },
        ]),
      ),
      epochs,
    })}\n`,
  );
} finally {
  clearInterval(timer);
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
}
