// `npm run bench -- gossip`: how fast the auditor network turns a split view into a proof held by
// every node, and how many observations one node ingests per second.
//
// - detection: N node processes (10 and 30 by default), each its own OS process and LevelDB;
//   per trial, all nodes but one sign digest X for an epoch, then the last signs Y; we measure
//   from the moment Y is submitted to the last node's `equivocation` log line (ms clocks of one
//   machine). JSON line per N: {bench:"gossip-detection", nodes, trials, p50_ms, p99_ms, max_ms}.
// - ingest: one node's pipeline (decode, strict verify, store, detect) fed pre-signed
//   observations in-process with a real LevelDB: {bench:"gossip-ingest", observations, per_s}.
import { pino } from 'pino';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { signingKeyFromSeed } from '../src/crypto/ed25519.js';
import { encodeObservation, decodeObservation, type Observation } from '../src/consensus/observation.js';
import { Roster } from '../src/consensus/roster.js';
import { signedBytes } from '../src/plexi/signature-message.js';
import { openDatabase } from '../src/store/database.js';
import { ObservationStore } from '../src/store/observation-store.js';
import { SigningStore } from '../src/store/signing-store.js';
import { NetworkService } from '../src/services/network-service.js';
import { toHex } from '../src/util/bytes.js';
import { TestNetwork } from '../test/support/network.js';

function flag(flags: string[], name: string, dflt: string): string {
  const f = flags.find((x) => x.startsWith(`--${name}=`));
  return f ? f.slice(name.length + 3) : dflt;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}

const hex32 = (n: number) => (n & 0xff).toString(16).padStart(2, '0').repeat(32);

async function detection(nodes: number, trials: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-bench-gossip-'));
  const ns = 'bench.example';
  const net = new TestNetwork(dir, ns, 'bench');
  try {
    await net.setup(nodes, 2);
    for (const n of net.nodes) await net.start(n.name);
    const names = net.nodes.map((n) => n.name);
    // Root everywhere, then wait until the mesh carries every node's observation.
    await Promise.all(names.map((n) => net.submit(n, 1n, hex32(1))));
    await waitAll(net, names, 1n, nodes);
    const samples: number[] = [];
    for (let t = 0; t < trials; t++) {
      const epoch = BigInt(t + 2);
      const x = `${(t + 2).toString(16).padStart(8, '0')}${'aa'.repeat(28)}`;
      const y = `${(t + 2).toString(16).padStart(8, '0')}${'bb'.repeat(28)}`;
      const [last, ...rest] = [...names].reverse();
      await Promise.all(rest.map((n) => net.submit(n, epoch, x)));
      await waitAll(net, rest, epoch, rest.length);
      const t0 = Date.now();
      const r = await net.submit(last as string, epoch, y);
      if (r.status !== 200) throw new Error(`submit failed: ${r.text}`);
      const stored = await waitProofEverywhere(net, names, epoch);
      samples.push(Math.max(...stored) - t0);
      if (process.env.CHORUS_BENCH_DEBUG) {
        const signedAt = net
          .proc(last as string)
          .logs.find((l) => l.event === 'epoch-signed' && l.epoch === epoch.toString());
        console.error(
          JSON.stringify({
            epoch: epoch.toString(),
            signed: signedAt ? Date.parse(String(signedAt.time)) - t0 : null,
            stored: stored.map((x) => x - t0).sort((a, b) => a - b),
          }),
        );
      }
    }
    samples.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        bench: 'gossip-detection',
        nodes,
        trials,
        p50_ms: percentile(samples, 50),
        p99_ms: percentile(samples, 99),
        max_ms: samples.at(-1),
      }),
    );
  } finally {
    await net.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitAll(net: TestNetwork, names: string[], epoch: bigint, signers: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const n of names) {
    for (;;) {
      const v = await net.get(n, `/namespaces/${net.namespace}/epochs/${epoch}`);
      const count = ((v.body.digests as { signers: unknown[] }[] | undefined) ?? []).reduce(
        (s, d) => s + d.signers.length,
        0,
      );
      if (count >= signers) break;
      if (Date.now() > deadline) throw new Error(`epoch ${epoch} did not reach ${n}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Each node's `equivocation` log time (ms) for the epoch. */
async function waitProofEverywhere(net: TestNetwork, names: string[], epoch: bigint): Promise<number[]> {
  const deadline = Date.now() + 60_000;
  const times: number[] = [];
  for (const n of names) {
    for (;;) {
      const line = net.proc(n).logs.find((l) => l.event === 'equivocation' && l.epoch === epoch.toString());
      if (line) {
        times.push(Date.parse(String(line.time)));
        break;
      }
      if (Date.now() > deadline) throw new Error(`no proof for epoch ${epoch} on ${n}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return times;
}

async function ingest(count: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-bench-ingest-'));
  const keys = Array.from({ length: 8 }, (_, i) => signingKeyFromSeed(new Uint8Array(32).fill(i + 1)));
  const roster = Roster.fromJson({
    network: 'bench',
    threshold: 2n,
    auditors: keys.map((k, i) => ({ name: `org${i}`, public_key: toHex(k.publicKey) })),
    namespaces: [{ name: 'ns' }],
  });
  const messages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const key = keys[i % keys.length] as (typeof keys)[number];
    const m = {
      ciphersuite: 1,
      namespace: 'ns',
      timestamp: BigInt(Date.now()),
      epoch: BigInt(Math.floor(i / keys.length) + 1),
      digest: new Uint8Array(32).fill(7),
    };
    const o: Observation = { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
    messages.push(encodeObservation(o));
  }
  const db = await openDatabase(join(dir, 'db'));
  try {
    const observations = new ObservationStore(db);
    const signing = new SigningStore(db, { now: () => BigInt(Date.now()) });
    const network = new NetworkService({
      roster,
      db,
      signing,
      observations,
      audited: ['ns'],
      ownKeys: [],
      logger: pino({ level: 'silent' }),
      now: () => BigInt(Date.now()),
    });
    // As gossip does: several validations in flight at once.
    const concurrency = 16;
    let next = 0;
    let accepted = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < messages.length) {
          const data = messages[next++] as Uint8Array;
          const v = await network.ingestObservation(decodeObservation(data), 'gossip', 'ns');
          if (v.outcome === 'accept') accepted++;
        }
      }),
    );
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (accepted !== count) throw new Error(`only ${accepted}/${count} accepted`);
    console.log(
      JSON.stringify({
        bench: 'gossip-ingest',
        observations: count,
        ms: Math.round(ms),
        per_s: Math.round((count / ms) * 1000),
      }),
    );
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(flags: string[]): Promise<void> {
  await ingest(Number(flag(flags, 'observations', '20000')));
  for (const n of flag(flags, 'nodes', '10,30').split(',').map(Number)) {
    await detection(n, Number(flag(flags, 'trials', n > 10 ? '20' : '40')));
  }
}
