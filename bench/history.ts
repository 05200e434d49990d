// `npm run bench -- history`: what the dashboard's history endpoints cost on a large store.
// One real LevelDB holds E epochs × S signers of observations (a split view every 10th epoch,
// with its proof); the routes of src/api/history-routes.ts answer over real HTTP on 127.0.0.1.
// JSON lines: {bench:"history-page", page, p50_ms, p99_ms, bytes} for pages of 20 and 100 epochs
// (newest and deep) and of 20 proofs, and {bench:"history-walk", …} for paging through every proof.
// Flags: --epochs=5000 --signers=10 --requests=50.
import { pino } from 'pino';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from '../src/api/server.js';
import { registerHistoryRoutes } from '../src/api/history-routes.js';
import { makeEquivocationProof } from '../src/consensus/equivocation.js';
import type { Observation } from '../src/consensus/observation.js';
import { Roster } from '../src/consensus/roster.js';
import { signingKeyFromSeed } from '../src/crypto/ed25519.js';
import { signedBytes } from '../src/plexi/signature-message.js';
import { openDatabase } from '../src/store/database.js';
import { ObservationStore } from '../src/store/observation-store.js';
import { parseJson } from '../src/util/json.js';

function flag(flags: string[], name: string, dflt: string): string {
  const f = flags.find((x) => x.startsWith(`--${name}=`));
  return f ? f.slice(name.length + 3) : dflt;
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, i)] as number) * 100) / 100;
}

export async function run(flags: string[]): Promise<void> {
  const epochs = Number(flag(flags, 'epochs', '5000'));
  const signers = Number(flag(flags, 'signers', '10'));
  const requests = Number(flag(flags, 'requests', '50'));
  const ns = 'bench.example';
  const dir = mkdtempSync(join(tmpdir(), 'chorus-bench-history-'));
  const db = await openDatabase(join(dir, 'db'));
  try {
    const store = new ObservationStore(db);
    await store.ready();
    const keys = Array.from({ length: signers }, (_, i) => signingKeyFromSeed(new Uint8Array(32).fill(i + 1)));
    const roster = new Roster(
      'bench',
      Math.ceil(signers / 2),
      keys.map((k, i) => ({ name: `org${i + 1}`, keys: [{ publicKey: k.publicKey, notBefore: 0n }], addresses: [] })),
      [],
    );
    const digest = (e: number, alt: boolean): Uint8Array => {
      const d = new Uint8Array(32);
      new DataView(d.buffer).setUint32(0, e);
      d[31] = alt ? 1 : 0;
      return d;
    };
    const observe = (k: (typeof keys)[number], e: number, alt: boolean): Observation => {
      const m = {
        ciphersuite: 1,
        namespace: ns,
        timestamp: 1_700_000_000_000n + BigInt(e) * 1000n,
        epoch: BigInt(e),
        digest: digest(e, alt),
      };
      return { ...m, signature: k.sign(signedBytes(m)), signerKey: k.publicKey };
    };
    const t0 = performance.now();
    let proofs = 0;
    for (let e = 1; e <= epochs; e += 100) {
      const batch: Promise<unknown>[] = [];
      for (let x = e; x < Math.min(e + 100, epochs + 1); x++) {
        const split = x % 10 === 0;
        const obs = keys.map((k, i) => observe(k, x, split && i === signers - 1));
        for (const o of obs) batch.push(store.storeObservation(o));
        if (split) {
          proofs++;
          batch.push(
            store.storeProof(
              makeEquivocationProof(obs[0] as Observation, obs[signers - 1] as Observation),
              'split-view',
              ['org1', `org${signers}`],
              BigInt(x),
            ),
          );
        }
      }
      await Promise.all(batch);
    }
    process.stderr.write(
      `history bench: stored ${epochs * signers} observations and ${proofs} proofs in ${Math.round(performance.now() - t0)} ms\n`,
    );

    const { app } = await createServer({
      logger: pino({ level: 'silent' }),
      bodyLimitBytes: 1024,
      rateLimit: { max: 1_000_000, windowMs: 60_000 },
    });
    registerHistoryRoutes(app, { signingService: { namespaceConfig: () => ({}) }, observations: store, roster });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const time = async (page: string, path: string): Promise<void> => {
        const samples: number[] = [];
        let bytes = 0;
        for (let i = 0; i < requests; i++) {
          const s = performance.now();
          const res = await fetch(`${url}${path}`);
          const body = await res.text();
          samples.push(performance.now() - s);
          if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body}`);
          bytes = body.length;
        }
        samples.sort((a, b) => a - b);
        console.log(
          JSON.stringify({
            bench: 'history-page',
            page,
            epochs,
            signers,
            p50_ms: percentile(samples, 50),
            p99_ms: percentile(samples, 99),
            bytes,
          }),
        );
      };
      await time('epochs newest 20 (the default page)', `/namespaces/${ns}/history`);
      await time('epochs newest 100', `/namespaces/${ns}/history?limit=100`);
      await time('epochs 100 from the middle', `/namespaces/${ns}/history?limit=100&before=${Math.floor(epochs / 2)}`);
      await time('proofs newest 20 (+ total)', `/namespaces/${ns}/equivocations?limit=20`);
      // Every proof, page by page, as the dashboard's "older" button walks them.
      const s = performance.now();
      let cursor: string | null = null;
      let seen = 0;
      let pages = 0;
      do {
        const res = await fetch(`${url}/namespaces/${ns}/equivocations?limit=200${cursor ? `&before=${cursor}` : ''}`);
        const body = parseJson(await res.text()) as { equivocations: unknown[]; next: string | null };
        seen += body.equivocations.length;
        cursor = body.next;
        pages++;
      } while (cursor !== null);
      if (seen !== proofs) throw new Error(`walked ${seen} proofs, stored ${proofs}`);
      console.log(
        JSON.stringify({
          bench: 'history-walk',
          proofs: seen,
          pages,
          ms: Math.round(performance.now() - s),
          rss_mb: Math.round(process.memoryUsage().rss / 1e6),
        }),
      );
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
