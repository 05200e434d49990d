// One node of the raw-gossip benchmark (bench/gossip-raw.ts), run as its own OS process and
// driven over the IPC channel. It validates nothing: it stamps receive times and accepts.
import net from 'node:net';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { createHost, tcpMultiaddr, type ChorusHost, type RosterPeer } from '../src/p2p/host.js';

export type ParentMessage =
  | { cmd: 'roster'; roster: RosterPeer[]; topic: string; direct: boolean }
  | { cmd: 'publish'; seq: number; size: number }
  | { cmd: 'stop' };

export type ChildMessage =
  | { type: 'hello'; peerId: string; port: number }
  | { type: 'ready' }
  | { type: 'recv'; seq: number; latencyMs: number }
  | { type: 'published'; seq: number; recipients: number }
  | { type: 'error'; message: string };

/** Wall clock with sub-millisecond resolution, comparable across processes on one machine. */
const now = (): number => performance.timeOrigin + performance.now();

function send(m: ChildMessage): void {
  process.send?.(m);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const key = await generateKeyPair('Ed25519');
const port = await freePort();
let host: ChorusHost | undefined;
let topic = '';

process.on('message', (raw: ParentMessage) => {
  void handle(raw).catch((err: unknown) =>
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});

async function handle(m: ParentMessage): Promise<void> {
  if (m.cmd === 'roster') {
    topic = m.topic;
    // Raw gossip capacity: no per-peer rate limit (docs/p2p.md, "Flood protection"), which would
    // drop a driven rate above 100 messages/s per peer before it is measured.
    const unlimited = { perSecond: 1e9, burst: 1e9, maxRefusals: 1e9 };
    host = await createHost({
      privateKey: key,
      listenAddrs: [tcpMultiaddr('127.0.0.1', port)],
      roster: m.roster,
      directRosterPeers: m.direct,
      peerRateLimit: unlimited,
    });
    host.subscribe(topic, {
      maxQueue: 100_000,
      validate: async (data) => {
        const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
        send({ type: 'recv', seq: view.getUint32(0), latencyMs: now() - view.getFloat64(4) });
        return { outcome: 'accept', reason: 'bench' };
      },
    });
    await host.start();
    const others = m.roster.length - 1;
    const h = host;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        if (h.getTopicPeers(topic).length >= others) resolve();
        else setTimeout(tick, 20);
      };
      tick();
    });
    send({ type: 'ready' });
  } else if (m.cmd === 'publish') {
    if (host === undefined) throw new Error('publish before roster');
    const data = new Uint8Array(m.size);
    const view = new DataView(data.buffer);
    view.setUint32(0, m.seq);
    view.setFloat64(4, now());
    const recipients = await host.publish(topic, data);
    send({ type: 'published', seq: m.seq, recipients });
  } else {
    await host?.stop();
    process.exit(0);
  }
}

send({ type: 'hello', peerId: peerIdFromPrivateKey(key).toString(), port });
