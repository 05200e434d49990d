// `npm run bench -- signing`: what the signing journal (docs/design-decisions.md, "Signing
// journal") costs per signature. In-process, real LevelDB and a real journal file in the OS temp
// directory, the store's checkAndSign with and without the journal:
// - sequential: one namespace, one epoch after another (each waits for its journal fsync and its
//   synced LevelDB batch). JSON line: {bench:"signing", journal, mode:"sequential", signatures,
//   p50_ms, p99_ms, per_s}.
// - concurrent: 8 namespaces signing at once (concurrent journal appends share one fsync).
// Flags: --count=N (signatures per run, default 400).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signingKeyFromSeed } from '../src/crypto/ed25519.js';
import { signedBytes } from '../src/plexi/signature-message.js';
import { openDatabase } from '../src/store/database.js';
import { SigningJournal } from '../src/store/signing-journal.js';
import { SigningStore, type Signer } from '../src/store/signing-store.js';

const key = signingKeyFromSeed(new Uint8Array(32).fill(9));
const signer: Signer = (namespace, epoch, digest) => {
  const m = { ciphersuite: 1, namespace, timestamp: BigInt(Date.now()), epoch, digest };
  return { ...m, signature: key.sign(signedBytes(m)), publicKey: key.publicKey };
};

function digest(ns: number, epoch: number): Uint8Array {
  const d = new Uint8Array(32);
  new DataView(d.buffer).setUint32(0, epoch);
  d[4] = ns;
  return d;
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}

async function run1(withJournal: boolean, namespaces: number, count: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-bench-signing-'));
  const db = await openDatabase(join(dir, 'db'));
  const journal = withJournal ? await SigningJournal.open(join(dir, 'signing-journal.log')) : undefined;
  const store = new SigningStore(db, { now: () => BigInt(Date.now()), ...(journal ? { journal } : {}) });
  const samples: number[] = [];
  const perNs = Math.ceil(count / namespaces);
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: namespaces }, async (_, n) => {
        for (let e = 0; e < perNs; e++) {
          const s = performance.now();
          const r = await store.checkAndSign(`ns${n}`, undefined, { epoch: BigInt(e), digest: digest(n, e) }, signer);
          if (r.kind !== 'signed') throw new Error(`epoch ${e} not signed: ${r.kind}`);
          samples.push(performance.now() - s);
        }
      }),
    );
    const ms = performance.now() - t0;
    samples.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        bench: 'signing',
        journal: withJournal,
        mode: namespaces === 1 ? 'sequential' : `concurrent-${namespaces}`,
        signatures: samples.length,
        p50_ms: Number(percentile(samples, 50).toFixed(2)),
        p99_ms: Number(percentile(samples, 99).toFixed(2)),
        per_s: Math.round((samples.length / ms) * 1000),
      }),
    );
  } finally {
    await db.close();
    await journal?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(flags: string[]): Promise<void> {
  const f = flags.find((x) => x.startsWith('--count='));
  const count = f ? Number(f.slice('--count='.length)) : 400;
  for (const namespaces of [1, 8]) {
    for (const withJournal of [false, true]) await run1(withJournal, namespaces, count);
  }
}
