// `npm run bench -- witness`: what a tlog-witness `add-checkpoint` costs (docs/c2sp.md, "Chorus as a tlog
// witness"). In-process, real LevelDB in the OS temp directory: parse, the log's Ed25519 signature, the RFC
// 6962 consistency proof, the synced record write under the origin's lock, and an Ed25519 cosignature. The
// checkpoint service's own synced store write and gossip are not included. Requests (a log growing by 16
// leaves a checkpoint) are built before timing.
// - sequential: one origin, one checkpoint after another.
// - concurrent: 8 origins at once (their records are written independently).
// JSON line: {bench:"witness", mode, requests, p50_ms, p99_ms, per_s}. Flags: --count=N (default 300).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  consistencyProof,
  cosigner,
  ed25519NoteSigner,
  formatAddCheckpointRequest,
  formatCheckpoint,
  leafHash,
  rootOf,
  signNote,
} from '../src/c2sp/index.js';
import { TlogWitness } from '../src/services/tlog-witness.js';
import { openDatabase } from '../src/store/database.js';
import { WitnessStateStore } from '../src/store/witness-state-store.js';

const STEP = 16;
const witnessKey = cosigner('bench.witness', new Uint8Array(32).fill(2));

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}

/** The add-checkpoint bodies of one log growing by STEP leaves each time. */
function requestsFor(origin: string, count: number): { vkey: string; bodies: string[] } {
  const log = ed25519NoteSigner(origin, new Uint8Array(32).fill(origin.length));
  const leaves = Array.from({ length: count * STEP }, (_, i) => leafHash(new TextEncoder().encode(`${origin} ${i}`)));
  const bodies: string[] = [];
  for (let k = 1; k <= count; k++) {
    const size = k * STEP;
    const tree = leaves.slice(0, size);
    const text = formatCheckpoint({ origin, size: BigInt(size), rootHash: rootOf(tree), extensions: [] });
    const old = size - STEP;
    const proof = old === 0 ? [] : consistencyProof(tree, old);
    bodies.push(formatAddCheckpointRequest(BigInt(old), proof, signNote(text, [log])));
  }
  return { vkey: log.vkey, bodies };
}

async function run1(origins: number, count: number): Promise<void> {
  const perOrigin = Math.ceil(count / origins);
  const logs = Array.from({ length: origins }, (_, i) => ({
    origin: `bench.example/log${i}`,
    ...requestsFor(`bench.example/log${i}`, perOrigin),
  }));
  const dir = mkdtempSync(join(tmpdir(), 'chorus-bench-witness-'));
  const db = await openDatabase(join(dir, 'db'));
  const witness = new TlogWitness({
    logs: logs.map((l) => ({ namespace: l.origin, origin: l.origin, logVerifierKeys: [l.vkey] })),
    state: new WitnessStateStore(db),
    cosign: async (body) => [witnessKey.cosign(body, BigInt(Math.floor(Date.now() / 1000)))],
    now: () => BigInt(Date.now()),
    logger: pino({ level: 'silent' }),
  });
  const samples: number[] = [];
  const t0 = performance.now();
  try {
    await Promise.all(
      logs.map(async (l) => {
        for (const body of l.bodies) {
          const s = performance.now();
          const r = await witness.addCheckpoint(body);
          if (r.status !== 200) throw new Error(`add-checkpoint answered ${r.status}`);
          samples.push(performance.now() - s);
        }
      }),
    );
    const ms = performance.now() - t0;
    samples.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        bench: 'witness',
        mode: origins === 1 ? 'sequential' : `concurrent-${origins}`,
        requests: samples.length,
        p50_ms: Number(percentile(samples, 50).toFixed(2)),
        p99_ms: Number(percentile(samples, 99).toFixed(2)),
        per_s: Math.round((samples.length / ms) * 1000),
      }),
    );
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(flags: string[]): Promise<void> {
  const f = flags.find((x) => x.startsWith('--count='));
  const count = f ? Number(f.slice('--count='.length)) : 300;
  for (const origins of [1, 8]) await run1(origins, count);
}
