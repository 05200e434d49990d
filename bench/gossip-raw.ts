// Raw gossip latency: N hosts, each its own OS process (real TCP on 127.0.0.1, full roster as
// direct peers, as in production), one publisher at a time sending fixed-size messages; reports
// publish→validator-entry latency to every node and to the last node, p50/p99, as JSON lines.
// Flags: --nodes=10 --messages=200 --interval=10 --size=256 --warmup=20 --mesh (roster peers as
// ordinary mesh peers instead of gossipsub direct peers, to compare the two topologies)
// Run from compiled output (node dist/bench/...), see STACK.md on tsx start-up cost.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RosterPeer } from '../src/p2p/host.js';
import type { ChildMessage, ParentMessage } from './gossip-raw-node.js';

function flag(flags: string[], name: string, fallback: number): number {
  const f = flags.find((x) => x.startsWith(`--${name}=`));
  if (f === undefined) return fallback;
  const v = Number(f.slice(name.length + 3));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

const round = (x: number): number => Math.round(x * 100) / 100;

interface Child {
  proc: ChildProcess;
  peerId: string;
  port: number;
}

export async function run(flags: string[]): Promise<void> {
  const nodes = flag(flags, 'nodes', 10);
  const messages = flag(flags, 'messages', 200);
  const intervalMs = flag(flags, 'interval', 10);
  const size = Math.max(12, flag(flags, 'size', 256));
  const warmup = flag(flags, 'warmup', 20);
  const direct = !flags.includes('--mesh');
  const topic = '/chorus/1/bench/observations/raw';
  const script = fileURLToPath(new URL('./gossip-raw-node.js', import.meta.url));

  const recv = new Map<number, number[]>();
  let ready = 0;
  const children: Child[] = await Promise.all(
    Array.from({ length: nodes }, () => {
      const proc = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      return new Promise<Child>((resolve, reject) => {
        proc.once('error', reject);
        proc.on('message', (m: ChildMessage) => {
          if (m.type === 'hello') resolve({ proc, peerId: m.peerId, port: m.port });
          else if (m.type === 'ready') ready++;
          else if (m.type === 'recv') {
            const list = recv.get(m.seq) ?? [];
            list.push(m.latencyMs);
            recv.set(m.seq, list);
          } else if (m.type === 'error') console.error(`bench node error: ${m.message}`);
        });
      });
    }),
  );
  const sendTo = (c: Child, m: ParentMessage): void => {
    c.proc.send(m);
  };
  const wait = async (cond: () => boolean, timeoutMs: number, what: string): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  try {
    const roster: RosterPeer[] = children.map((c) => ({ peerId: c.peerId, addrs: [`/ip4/127.0.0.1/tcp/${c.port}`] }));
    const started = Date.now();
    for (const c of children) sendTo(c, { cmd: 'roster', roster, topic, direct });
    await wait(() => ready === nodes, 60_000, 'all nodes subscribed');
    const formMs = Date.now() - started;

    const total = warmup + messages;
    for (let seq = 0; seq < total; seq++) {
      // rotate the publisher so no single process's event loop shapes the result
      sendTo(children[seq % nodes] as Child, { cmd: 'publish', seq, size });
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    await wait(
      () => [...Array(total).keys()].every((s) => (recv.get(s)?.length ?? 0) >= nodes - 1),
      10_000,
      'every delivery',
    ).catch((err: unknown) => console.error(err instanceof Error ? err.message : String(err)));

    const toLast: number[] = [];
    const all: number[] = [];
    let lost = 0;
    for (let seq = warmup; seq < total; seq++) {
      const l = recv.get(seq) ?? [];
      lost += nodes - 1 - l.length;
      if (l.length === nodes - 1) toLast.push(Math.max(...l));
      all.push(...l);
    }
    toLast.sort((a, b) => a - b);
    all.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        bench: 'gossip-raw',
        nodes,
        topology: direct ? 'direct' : 'mesh',
        messages,
        sizeBytes: size,
        intervalMs,
        networkFormMs: formMs,
        toLastNode: {
          p50: round(quantile(toLast, 0.5)),
          p99: round(quantile(toLast, 0.99)),
          max: round(toLast.at(-1) ?? NaN),
        },
        perDelivery: { p50: round(quantile(all, 0.5)), p99: round(quantile(all, 0.99)) },
        lostDeliveries: lost,
      }),
    );
  } finally {
    for (const c of children) sendTo(c, { cmd: 'stop' });
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => (c.proc.exitCode !== null ? resolve() : c.proc.once('exit', () => resolve()))),
      ),
    );
  }
}
