// A hostile libp2p peer for flood tests (docs/p2p.md, "Flood protection"). It speaks the real
// wire protocols (TCP, Noise, Yamux, gossipsub, /chorus/1/sync/2.0.0) but none of the rules: it
// writes gossipsub RPCs straight to its peers' streams (any topic, any bytes, no de-duplication)
// and answers sync requests with whatever its handler returns. Test support only.
import { createHash } from 'node:crypto';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { identify, type Identify } from '@libp2p/identify';
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { readFrame, writeFrame } from '../../src/p2p/framing.js';
import { SYNC_PROTOCOL } from '../../src/p2p/sync-protocol.js';

export interface RawMessage {
  topic: string;
  data: Uint8Array;
}

/** The parts of gossipsub's implementation the attacker drives directly (not in its public type). */
interface GossipInternals {
  sendRpc(id: string, rpc: { subscriptions: { subscribe: boolean; topic: string }[]; messages: RawMessage[] }): boolean;
  readonly streamsOutbound: Map<string, unknown>;
}

type Services = { identify: Identify; pubsub: GossipSub };

export type SyncAnswer = (request: Uint8Array, peer: string) => Promise<Uint8Array>;

export class Flooder {
  private constructor(
    readonly node: Libp2p<Services>,
    private readonly gs: GossipSub & GossipInternals,
  ) {}

  static async create(privateKey: PrivateKey, listen: string[]): Promise<Flooder> {
    const node = await createLibp2p<Services>({
      privateKey,
      addresses: { listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          globalSignaturePolicy: 'StrictNoSign',
          msgIdFn: (m: { data: Uint8Array }) => createHash('sha256').update(m.data).digest(),
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          fallbackToFloodsub: false,
          doPX: false,
        }),
      },
    });
    const gs = node.services.pubsub as GossipSub & GossipInternals;
    if (typeof gs.sendRpc !== 'function' || !(gs.streamsOutbound instanceof Map))
      throw new Error('gossipsub internals changed: sendRpc/streamsOutbound');
    return new Flooder(node, gs);
  }

  get peerId(): string {
    return this.node.peerId.toString();
  }

  async dial(addr: string): Promise<void> {
    await this.node.dial(multiaddr(addr), { signal: AbortSignal.timeout(10_000) });
  }

  /** Peers we hold a gossipsub stream to (only they can be flooded). */
  gossipPeers(): string[] {
    return [...this.gs.streamsOutbound.keys()];
  }

  /** Writes one RPC carrying `messages` to the peer, unchecked; false when it cannot be sent now. */
  send(peer: string, messages: RawMessage[]): boolean {
    try {
      return this.gs.sendRpc(peer, { subscriptions: [], messages });
    } catch {
      // A full outbound buffer throws; a flooder just tries again on its next tick.
      return false;
    }
  }

  /** Subscribes like an honest node and hands over every message it receives. */
  subscribe(topic: string, onMessage: (data: Uint8Array) => void): void {
    this.gs.addEventListener('message', (evt) => {
      if (evt.detail.topic === topic) onMessage(evt.detail.data);
    });
    this.gs.subscribe(topic);
  }

  /** Answers every sync request with `answer` (one frame each way, as the protocol says). */
  async serveSync(answer: SyncAnswer): Promise<void> {
    await this.node.handle(SYNC_PROTOCOL, async (stream, connection) => {
      try {
        const req = await readFrame(stream, 64 * 1024, 'request');
        if (req === undefined) return;
        const res = await answer(req, connection.remotePeer.toString());
        const signal = AbortSignal.timeout(10_000);
        await writeFrame(stream, res, signal);
        await stream.close({ signal });
      } catch (err) {
        stream.abort(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  async stop(): Promise<void> {
    await this.node.stop();
  }
}
