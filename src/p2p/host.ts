// The Chorus libp2p host: TCP + Noise + Yamux + Identify + gossipsub v1.1, a bounded validation
// queue per topic, roster peers kept connected, and the sync protocol. It moves bytes and knows
// nothing about what observations mean: the node plugs in one validator per topic and the sync
// request handler.
import { createHash } from 'node:crypto';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { gossipsub, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub';
import type { AddrInfo } from '@libp2p/gossipsub/types';
import { identify, type Identify } from '@libp2p/identify';
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { tcp } from '@libp2p/tcp';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2pOptions } from 'libp2p';
import type { MetricsRegister } from '@libp2p/gossipsub/metrics';
import { pino, type Logger } from 'pino';
import { ConfigError, errorMessage } from '../util/errors.js';
import { HostStateError, PublishOversizeError } from './errors.js';
import { asRuntime, type GossipSubRuntime } from './gossipsub-runtime.js';
import { Redialer, type BackoffPolicy, type RedialStatus } from './redial.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  GOSSIP_MESH,
  MAX_RPC_FRAME_BYTES,
  PEER_SCORE_THRESHOLDS,
  peerScoreParams,
  topicScoreParams,
} from './scoring.js';
import { PeerRateLimiter, type RateLimit } from './rate-limit.js';
import {
  SyncService,
  type SyncHandler,
  type SyncLimits,
  type SyncRequestOptions,
  type SyncSession,
  type SyncStats,
} from './sync-protocol.js';
import {
  QueueReason,
  TopicValidationQueue,
  ValidationCounters,
  type OutcomeCounts,
  type PendingMessage,
  type TopicHandler,
  type ValidationOutcome,
} from './validation-queue.js';

export interface RosterPeer {
  /** libp2p peer id (base58btc, `12D3KooW…`). */
  peerId: string;
  /** Multiaddrs to dial, e.g. `/ip4/10.0.0.5/tcp/4001` (a trailing `/p2p/<id>` is allowed). */
  addrs: string[];
}

export interface HostOptions {
  /** The node's persistent identity (see identity.ts). */
  privateKey: PrivateKey;
  /** Default `['/ip4/127.0.0.1/tcp/0']`: loopback unless the operator opens it up. */
  listenAddrs?: string[];
  /** Public addresses to advertise instead of the listen addresses (NAT, containers). */
  announceAddrs?: string[];
  /** Peers dialled at start and re-dialled whenever disconnected. Our own entry is skipped. */
  roster?: RosterPeer[];
  /** Make roster peers gossipsub direct peers (always forwarded to, never graylisted). Default true. */
  directRosterPeers?: boolean;
  /** Cap on a gossip message's data; a topic handler may lower it. Default 64 KiB. */
  maxMessageBytes?: number;
  /** Re-dial backoff (default 250 ms doubling to 30 s, ±20% jitter). */
  redial?: Partial<BackoffPolicy>;
  sync?: Partial<SyncLimits>;
  /**
   * Gossip messages one propagating peer may send us, over all topics (default 100/s, burst
   * 500); the excess is ignored before validation (reason `rate-limited`, no penalty).
   */
  peerRateLimit?: Partial<RateLimit>;
  /**
   * Topics we publish to without subscribing. Gossipsub only hears of topics the host uses
   * (`allowedTopics`: subscribed ones and these); peers' subscriptions to any other topic, and
   * messages on it, are dropped unread.
   */
  publishOnlyTopics?: string[];
  /**
   * A peer that keeps sending while over its rate (`peerRateLimit.maxRefusals` refused RPCs) is
   * disconnected and refused for this long, roster peers included (default 60 s; 0: never).
   */
  floodCoolDownMs?: number;
  /** IPs exempt from gossipsub's IP-colocation penalty besides loopback. */
  ipColocationWhitelist?: string[];
  /** Gossipsub heartbeat; only tests should change it. Default 1000 ms. */
  heartbeatIntervalMs?: number;
  logger?: Logger;
  /** libp2p's metrics implementation (e.g. @libp2p/prometheus-metrics), passed through as is. */
  metrics?: Libp2pOptions['metrics'];
  /** Gossipsub's metrics register (its own mesh/score series), passed through as is. */
  gossipsubMetrics?: MetricsRegister;
}

export interface ConnectionInfo {
  peerId: string;
  remoteAddr: string;
  direction: 'inbound' | 'outbound';
  status: string;
  /** Epoch ms when the connection opened. */
  openedAt: number;
  /** Protocol of each open stream (a growing list would reveal a stream leak). */
  streams: string[];
}

export interface PublishCounts {
  /** publish() calls that reached the gossip layer. */
  messages: number;
  /** Of those, published while no peer was subscribed (not an error: sync catches peers up). */
  zeroRecipients: number;
  /** Identical bytes already published or seen within the seen-TTL: not sent again. */
  duplicates: number;
}

export interface TopicStats {
  subscribed: boolean;
  queueLength: number;
  inFlight: number;
  maxQueue: number;
  validation: OutcomeCounts;
  publish: PublishCounts;
  meshPeers: string[];
  topicPeers: string[];
}

export interface HostStats {
  peerId: string;
  running: boolean;
  connectedPeers: string[];
  blockedPeers: string[];
  /** Peers disconnected for flooding, until their cool-down ends. */
  coolingDown: string[];
  topics: Record<string, TopicStats>;
  peerScores: Record<string, number>;
  /** Gossipsub's caches: message ids remembered (de-duplication) and messages held (forwarding). */
  gossipCache: { seenIds: number; messages: number };
  /** Peers with a rate-limit bucket (recently active senders). */
  rateBuckets: number;
  sync: SyncStats;
  redial: RedialStatus[];
}

export type PeerCallback = (peerId: string) => void | Promise<void>;

export interface ChorusHost {
  readonly peerId: string;
  readonly running: boolean;
  start(): Promise<void>;
  /** Closes every connection, drops queued messages and waits for running validations. */
  stop(): Promise<void>;
  /** Addresses we listen on, with `/p2p/<id>` (valid after start). */
  multiaddrs(): string[];

  /** One handler per topic; may be called before start. Throws if the topic already has one. */
  subscribe(topic: string, handler: TopicHandler): void;
  unsubscribe(topic: string): void;
  /** Resolves with the number of peers the message was sent to (0 is fine: no throw). */
  publish(topic: string, data: Uint8Array): Promise<number>;

  /** Fires when a peer goes from no connection to one (each re-connection fires again). */
  onPeerConnected(cb: PeerCallback): () => void;
  onPeerDisconnected(cb: PeerCallback): () => void;

  /** Serve `/chorus/1/sync/2.0.0`; call before start (requests before that get a stream reset). */
  handleSync(handler: SyncHandler): void;
  requestSync(peerId: string, request: Uint8Array, options?: SyncRequestOptions): Promise<Uint8Array>;
  /**
   * A bounded run of sync requests to one peer: after `maxPages` (default `sync.maxPagesPerSession`)
   * requests, the next one throws `SyncPageLimitError`. A caller paging through a peer's data
   * uses one session per run, so an endless answer cannot keep it busy.
   */
  syncSession(peerId: string, maxPages?: number): SyncSession;
  /**
   * Counts `count` invalid messages on `topic` against the peer (gossipsub's P4 penalty), as a
   * rejected gossip message does: for invalid data the peer sent by another way (sync).
   */
  penalizePeer(peerId: string, topic: string, count?: number): void;

  /** Drop connections to the peer and refuse to dial or accept it until unblocked. */
  blockPeer(peerId: string): Promise<void>;
  unblockPeer(peerId: string): void;
  connections(): ConnectionInfo[];
  connectedPeers(): string[];
  getMeshPeers(topic: string): string[];
  /** Peers known to be subscribed to the topic (direct peers are here but never in the mesh). */
  getTopicPeers(topic: string): string[];
  getPeerScore(peerId: string): number;
  stats(): HostStats;
}

/** `/ip4/<host>/tcp/<port>` or `/ip6/…` for a listen or announce address. */
export function tcpMultiaddr(host: string, port: number): string {
  return host.includes(':') ? `/ip6/${host}/tcp/${port}` : `/ip4/${host}/tcp/${port}`;
}

const LOOPBACK_ALLOW = ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1'];

function stripP2p(addr: string): string {
  const i = addr.indexOf('/p2p/');
  return i === -1 ? addr : addr.slice(0, i);
}

function parseRoster(roster: RosterPeer[], self: string): { id: PeerId; peerId: string; addrs: Multiaddr[] }[] {
  const seen = new Set<string>();
  const out: { id: PeerId; peerId: string; addrs: Multiaddr[] }[] = [];
  roster.forEach((p, i) => {
    let id: PeerId;
    try {
      id = peerIdFromString(p.peerId);
    } catch (err) {
      throw new ConfigError(`roster[${i}].peerId`, `not a libp2p peer id: ${errorMessage(err)}`, { cause: err });
    }
    const peerId = id.toString();
    if (peerId === self || seen.has(peerId)) return;
    seen.add(peerId);
    const addrs = p.addrs.map((a, j) => {
      try {
        return multiaddr(stripP2p(a));
      } catch (err) {
        throw new ConfigError(`roster[${i}].addrs[${j}]`, `not a multiaddr: ${errorMessage(err)}`, { cause: err });
      }
    });
    out.push({ id, peerId, addrs });
  });
  return out;
}

/** Roster IPs bypass libp2p's inbound rate limit (5 connections/s per IP by default). */
function allowList(peers: { addrs: Multiaddr[] }[]): string[] {
  const allow = new Set(LOOPBACK_ALLOW);
  for (const p of peers) {
    for (const a of p.addrs) {
      const first = a.getComponents()[0];
      if (first !== undefined && (first.name === 'ip4' || first.name === 'ip6') && first.value !== undefined) {
        allow.add(`/${first.name}/${first.value}`);
      }
    }
  }
  return [...allow];
}

// Content-addressed ids (docs/protocol.md §5): the same bytes from any sender are one message.
function msgIdFn(msg: { data: Uint8Array }): Uint8Array {
  return createHash('sha256').update(msg.data).digest();
}

function msgIdToStr(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

const TO_GOSSIP: Record<ValidationOutcome, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

type Services = { identify: Identify; pubsub: GossipSub };

/** Drops for our own capacity, before any check: the message may be valid (see forgetDropped). */
const UNCHECKED_DROPS: ReadonlySet<string> = new Set([
  QueueReason.rateLimited,
  QueueReason.peerQueueFull,
  QueueReason.queueFull,
]);

class Host implements ChorusHost {
  readonly peerId: string;
  private readonly node: Libp2p<Services>;
  private readonly gs: GossipSubRuntime;
  private readonly log: Logger;
  private readonly roster: { id: PeerId; peerId: string; addrs: Multiaddr[] }[];
  private readonly maxMessageBytes: number;
  private readonly blocked: Set<string>;
  private readonly cooling: Map<string, NodeJS.Timeout>;
  private readonly floodCoolDownMs: number;
  private readonly redialer: Redialer;
  private readonly sync: SyncService;
  private readonly counters = new ValidationCounters();
  private readonly rateLimiter: PeerRateLimiter;
  private readonly publishOnly: ReadonlySet<string>;
  private readonly queues = new Map<string, TopicValidationQueue>();
  private readonly publishCounts = new Map<string, PublishCounts>();
  private readonly connectedCbs = new Set<PeerCallback>();
  private readonly disconnectedCbs = new Set<PeerCallback>();
  private isRunning = false;

  constructor(
    node: Libp2p<Services>,
    init: {
      log: Logger;
      roster: { id: PeerId; peerId: string; addrs: Multiaddr[] }[];
      maxMessageBytes: number;
      blocked: Set<string>;
      cooling: Map<string, NodeJS.Timeout>;
      floodCoolDownMs: number;
      redial: Partial<BackoffPolicy> | undefined;
      sync: Partial<SyncLimits> | undefined;
      peerRateLimit: Partial<RateLimit> | undefined;
      publishOnlyTopics: string[] | undefined;
    },
  ) {
    this.node = node;
    this.peerId = node.peerId.toString();
    this.gs = asRuntime(node.services.pubsub);
    this.log = init.log;
    this.roster = init.roster;
    this.maxMessageBytes = init.maxMessageBytes;
    this.blocked = init.blocked;
    this.cooling = init.cooling;
    this.floodCoolDownMs = init.floodCoolDownMs;
    this.sync = new SyncService(node, init.sync ?? {}, init.log.child({ part: 'sync' }));
    this.rateLimiter = new PeerRateLimiter(init.peerRateLimit);
    this.publishOnly = new Set(init.publishOnlyTopics ?? []);
    // Over its rate, a peer's RPCs are dropped unread: its flood then costs us the decryption and
    // decoding of each RPC, not the per-message work (hashing, caches, scoring, validation). This
    // applies to direct (roster) peers too, which gossipsub's own graylist exempts.
    const graylist = this.gs.acceptFrom.bind(this.gs);
    this.gs.acceptFrom = (id: string): boolean => {
      if (this.rateLimiter.admits(id)) return graylist(id);
      if (this.rateLimiter.flooding(id)) this.coolDown(id);
      return false;
    };
    this.redialer = new Redialer({
      dial: async (peerId) => {
        await this.node.dial(peerIdFromString(peerId), { signal: AbortSignal.timeout(10_000) });
      },
      isConnected: (peerId) => this.node.getConnections(peerIdFromString(peerId)).length > 0,
      isBlocked: (peerId) => this.blocked.has(peerId) || this.cooling.has(peerId),
      policy: init.redial,
      logger: init.log.child({ part: 'redial' }),
    });
    for (const p of this.roster) this.redialer.track(p.peerId);

    node.addEventListener('peer:connect', (evt) => this.peerEvent(evt.detail.toString(), true));
    node.addEventListener('peer:disconnect', (evt) => this.peerEvent(evt.detail.toString(), false));
    this.gs.addEventListener('gossipsub:message', (evt) => {
      const { propagationSource, msgId, msg } = evt.detail;
      this.incoming(msg.topic, { msgId, from: propagationSource.toString(), data: msg.data });
    });
  }

  get running(): boolean {
    return this.isRunning;
  }

  async start(): Promise<void> {
    if (this.isRunning) return;
    for (const p of this.roster) await this.node.peerStore.merge(p.id, { multiaddrs: p.addrs });
    await this.sync.start(); // before listening: peers sync the moment they connect
    await this.node.start();
    this.isRunning = true;
    for (const topic of this.queues.keys()) this.gs.subscribe(topic);
    this.redialer.start();
    this.log.info({ peerId: this.peerId, addrs: this.multiaddrs(), roster: this.roster.length }, 'p2p host started');
  }

  async stop(): Promise<void> {
    if (!this.isRunning) return;
    this.isRunning = false;
    this.redialer.stop();
    for (const t of this.cooling.values()) clearTimeout(t);
    this.cooling.clear();
    await this.sync.stop();
    await this.node.stop();
    // Nothing new arrives now; let running validations finish before the node closes its store.
    await Promise.all([...this.queues.values()].map((q) => q.drain()));
    this.log.info({ peerId: this.peerId }, 'p2p host stopped');
  }

  multiaddrs(): string[] {
    return this.node.getMultiaddrs().map((a) => a.toString());
  }

  subscribe(topic: string, handler: TopicHandler): void {
    if (this.queues.has(topic)) throw new ConfigError('topic', `${topic} already has a validator (one per topic)`);
    const queue = new TopicValidationQueue({
      topic,
      handler,
      maxBytes: this.maxMessageBytes,
      counters: this.counters,
      report: (msg, result) => {
        this.gs.reportMessageValidationResult(msg.msgId, msg.from, TO_GOSSIP[result.outcome]);
        if (UNCHECKED_DROPS.has(result.reason)) this.forgetDropped(msg.msgId);
      },
      logger: this.log.child({ topic }),
    });
    this.scoreTopic(topic);
    // Only topics we validate are let in: gossipsub would otherwise cache messages of any topic
    // a peer names, unvalidated, for the whole message-cache window (docs/p2p.md).
    this.gs.allowedTopics?.add(topic);
    this.queues.set(topic, queue);
    if (this.isRunning) this.gs.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    const queue = this.queues.get(topic);
    if (queue === undefined) return;
    this.queues.delete(topic);
    if (!this.publishOnly.has(topic)) this.gs.allowedTopics?.delete(topic);
    if (this.isRunning) this.gs.unsubscribe(topic);
    queue.close();
  }

  async publish(topic: string, data: Uint8Array): Promise<number> {
    if (!this.isRunning) throw new HostStateError('publish: host is not running');
    const limit = this.queues.get(topic)?.maxBytes ?? this.maxMessageBytes;
    if (data.byteLength > limit) throw new PublishOversizeError(topic, data.byteLength, limit);
    const counts = this.publishCountsFor(topic);
    try {
      const { recipients } = await this.gs.publish(topic, data);
      counts.messages++;
      if (recipients.length === 0) counts.zeroRecipients++;
      return recipients.length;
    } catch (err) {
      // gossipsub 17 signals a duplicate by this exact message and has no error class for it.
      if (err instanceof Error && err.message === 'PublishError.Duplicate') {
        counts.duplicates++;
        return 0;
      }
      throw err;
    }
  }

  onPeerConnected(cb: PeerCallback): () => void {
    this.connectedCbs.add(cb);
    return () => this.connectedCbs.delete(cb);
  }

  onPeerDisconnected(cb: PeerCallback): () => void {
    this.disconnectedCbs.add(cb);
    return () => this.disconnectedCbs.delete(cb);
  }

  handleSync(handler: SyncHandler): void {
    this.sync.setHandler(handler);
  }

  requestSync(peerId: string, request: Uint8Array, options?: SyncRequestOptions): Promise<Uint8Array> {
    return this.sync.request(peerId, request, options);
  }

  syncSession(peerId: string, maxPages?: number): SyncSession {
    return this.sync.session(peerId, maxPages);
  }

  penalizePeer(peerId: string, topic: string, count = 1): void {
    if (this.queues.get(topic) === undefined)
      throw new ConfigError('topic', `${topic} is not subscribed: a penalty there would not count`);
    for (let i = 0; i < count; i++) this.gs.score.rejectInvalidMessage(peerId, topic);
    this.log.debug({ peer: peerId, topic, count }, 'peer penalised for invalid data');
  }

  async blockPeer(peerId: string): Promise<void> {
    const id = peerIdFromString(peerId);
    this.blocked.add(id.toString());
    this.log.warn({ peer: peerId }, 'peer blocked');
    if (this.isRunning) await this.node.hangUp(id);
  }

  unblockPeer(peerId: string): void {
    const id = peerIdFromString(peerId).toString();
    if (!this.blocked.delete(id)) return;
    this.log.warn({ peer: id }, 'peer unblocked');
    this.redialer.kick(id);
  }

  connections(): ConnectionInfo[] {
    return this.node.getConnections().map((c) => ({
      peerId: c.remotePeer.toString(),
      remoteAddr: c.remoteAddr.toString(),
      direction: c.direction,
      status: c.status,
      openedAt: c.timeline.open,
      streams: c.streams.map((st) => st.protocol),
    }));
  }

  connectedPeers(): string[] {
    return this.node.getPeers().map((p) => p.toString());
  }

  getMeshPeers(topic: string): string[] {
    return this.isRunning ? this.gs.getMeshPeers(topic) : [];
  }

  getTopicPeers(topic: string): string[] {
    return this.isRunning ? this.gs.getSubscribers(topic).map((p) => p.toString()) : [];
  }

  getPeerScore(peerId: string): number {
    return this.gs.getScore(peerId);
  }

  stats(): HostStats {
    const validation = this.counters.snapshot();
    const topicNames = new Set([...this.queues.keys(), ...Object.keys(validation), ...this.publishCounts.keys()]);
    const topics: Record<string, TopicStats> = {};
    for (const topic of topicNames) {
      const q = this.queues.get(topic);
      topics[topic] = {
        subscribed: q !== undefined,
        queueLength: q?.length ?? 0,
        inFlight: q?.inFlight ?? 0,
        maxQueue: q?.maxQueue ?? 0,
        validation: validation[topic] ?? { accept: {}, ignore: {}, reject: {} },
        publish: { ...this.publishCountsFor(topic) },
        meshPeers: this.getMeshPeers(topic),
        topicPeers: this.getTopicPeers(topic),
      };
    }
    const peerScores: Record<string, number> = {};
    for (const peer of Object.keys(this.gs.dumpPeerScoreStats())) peerScores[peer] = this.gs.getScore(peer);
    return {
      peerId: this.peerId,
      running: this.isRunning,
      connectedPeers: this.connectedPeers(),
      blockedPeers: [...this.blocked],
      coolingDown: [...this.cooling.keys()],
      topics,
      peerScores,
      gossipCache: { seenIds: this.gs.seenCache.size, messages: this.gs.mcache.size },
      rateBuckets: this.rateLimiter.size,
      sync: this.sync.stats(),
      redial: this.redialer.status(),
    };
  }

  private publishCountsFor(topic: string): PublishCounts {
    let c = this.publishCounts.get(topic);
    if (c === undefined) {
      c = { messages: 0, zeroRecipients: 0, duplicates: 0 };
      this.publishCounts.set(topic, c);
    }
    return c;
  }

  /**
   * Invalid-message penalties (P4) only apply to topics in scoreParams.topics, which is empty by
   * default. Gossipsub reads the live map on every score computation, so adding a topic here
   * at subscribe time takes effect immediately.
   */
  private scoreTopic(topic: string): void {
    const topics = this.gs.score.params.topics;
    if (topics[topic] !== undefined) return;
    topics[topic] = topicScoreParams(); // validated inside
  }

  private incoming(topic: string, msg: PendingMessage): void {
    const queue = this.queues.get(topic);
    if (queue === undefined) {
      // Raced with unsubscribe: nobody validates it, so do not forward it.
      this.counters.record(topic, 'ignore', QueueReason.notSubscribed);
      this.gs.reportMessageValidationResult(msg.msgId, msg.from, TopicValidatorResult.Ignore);
      return;
    }
    if (!this.rateLimiter.take(msg.from)) {
      // Over its rate: dropped before it costs a validation. Not a penalty: a burst proves nothing.
      this.counters.record(topic, 'ignore', QueueReason.rateLimited);
      this.gs.reportMessageValidationResult(msg.msgId, msg.from, TopicValidatorResult.Ignore);
      this.forgetDropped(msg.msgId);
      return;
    }
    queue.push(msg);
  }

  /**
   * The peer kept sending while over its rate (more than `maxRefusals` RPCs refused, net of
   * forgiveness). Refusing its RPCs still costs us decrypting and decoding them, and a flooder's
   * junk can be megabytes a second; so hang up and refuse it for a while (docs/p2p.md, "Flood
   * protection"). A roster peer is re-dialled when the cool-down ends; sync then repairs
   * whatever it had to say meanwhile.
   */
  private coolDown(peerId: string): void {
    if (this.floodCoolDownMs <= 0 || this.cooling.has(peerId) || !this.isRunning) return;
    const timer = setTimeout(() => {
      this.cooling.delete(peerId);
      this.rateLimiter.reset(peerId);
      this.log.warn({ peer: peerId }, 'flood cool-down over');
      if (this.isRunning) this.redialer.kick(peerId);
    }, this.floodCoolDownMs);
    timer.unref();
    this.cooling.set(peerId, timer);
    this.log.warn(
      { event: 'flood-cool-down', peer: peerId, ms: this.floodCoolDownMs },
      'peer kept flooding over its rate: disconnected for a while',
    );
    this.node
      .hangUp(peerIdFromString(peerId))
      .catch((err: unknown) => this.log.warn({ peer: peerId, err: errorMessage(err) }, 'hang-up after a flood failed'));
  }

  /**
   * A message dropped unchecked (over its sender's rate or queue share) may be valid. Gossipsub
   * has already remembered its id, so every later copy, from honest peers too, would be dropped
   * as a duplicate: a flooder relaying a real proof first would suppress it. Forget the id, so the
   * next copy is validated (docs/p2p.md, "Flood protection").
   */
  private forgetDropped(msgId: string): void {
    this.gs.seenCache.entries.delete(msgId);
  }

  private peerEvent(peerId: string, connected: boolean): void {
    if (connected) this.redialer.onConnected(peerId);
    else if (this.isRunning && !this.blocked.has(peerId) && !this.cooling.has(peerId))
      this.redialer.onDisconnected(peerId);
    this.log.debug({ peer: peerId }, connected ? 'peer connected' : 'peer disconnected');
    for (const cb of connected ? this.connectedCbs : this.disconnectedCbs) {
      try {
        const r = cb(peerId);
        if (r instanceof Promise) {
          r.catch((err: unknown) => this.log.error({ peer: peerId, err: errorMessage(err) }, 'peer callback failed'));
        }
      } catch (err) {
        this.log.error({ peer: peerId, err: errorMessage(err) }, 'peer callback failed');
      }
    }
  }
}

/** Build a host (not started). */
export async function createHost(options: HostOptions): Promise<ChorusHost> {
  const log = (options.logger ?? pino({ level: 'warn' })).child({ component: 'p2p' });
  const self = peerIdFromPrivateKey(options.privateKey).toString();
  const roster = parseRoster(options.roster ?? [], self);
  const direct = options.directRosterPeers ?? true;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes <= 0 || maxMessageBytes > MAX_RPC_FRAME_BYTES / 2) {
    throw new ConfigError('maxMessageBytes', `must be between 1 and ${MAX_RPC_FRAME_BYTES / 2}`);
  }
  const floodCoolDownMs = options.floodCoolDownMs ?? 60_000;
  if (!Number.isSafeInteger(floodCoolDownMs) || floodCoolDownMs < 0)
    throw new ConfigError('floodCoolDownMs', `must be a non-negative integer, got ${floodCoolDownMs}`);
  const blocked = new Set<string>();
  const cooling = new Map<string, NodeJS.Timeout>();
  const isBlocked = (peer: PeerId): boolean => blocked.has(peer.toString()) || cooling.has(peer.toString());
  const directPeers: AddrInfo[] = direct ? roster.map((p) => ({ id: p.id, addrs: p.addrs })) : [];

  const node = await createLibp2p<Services>({
    start: false,
    privateKey: options.privateKey,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    addresses: {
      listen: options.listenAddrs ?? [tcpMultiaddr('127.0.0.1', 0)],
      announce: options.announceAddrs ?? [],
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      denyDialPeer: isBlocked,
      denyInboundEncryptedConnection: isBlocked,
      denyOutboundEncryptedConnection: isBlocked,
    },
    connectionManager: { allow: allowList(roster) },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn,
        msgIdToStrFn: msgIdToStr,
        asyncValidation: true,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: false,
        emitSelf: false,
        fallbackToFloodsub: false,
        // subscribe() adds the topics it validates; nothing else gets into gossipsub's caches.
        allowedTopics: new Set<string>(options.publishOnlyTopics ?? []),
        floodPublish: true,
        doPX: false,
        directPeers,
        D: GOSSIP_MESH.D,
        Dlo: GOSSIP_MESH.Dlo,
        Dhi: GOSSIP_MESH.Dhi,
        Dlazy: GOSSIP_MESH.Dlazy,
        Dout: GOSSIP_MESH.Dout,
        heartbeatInterval: options.heartbeatIntervalMs ?? GOSSIP_MESH.heartbeatIntervalMs,
        mcacheLength: GOSSIP_MESH.mcacheLength,
        mcacheGossip: GOSSIP_MESH.mcacheGossip,
        seenTTL: GOSSIP_MESH.seenTTLMs,
        maxInboundDataLength: MAX_RPC_FRAME_BYTES,
        scoreParams: peerScoreParams({ ipColocationWhitelist: options.ipColocationWhitelist }),
        scoreThresholds: PEER_SCORE_THRESHOLDS,
        ...(options.gossipsubMetrics
          ? { metricsRegister: options.gossipsubMetrics, metricsTopicStrToLabel: new Map<string, string>() }
          : {}),
      }),
    },
  });
  return new Host(node, {
    log,
    roster,
    maxMessageBytes,
    blocked,
    cooling,
    floodCoolDownMs,
    redial: options.redial,
    sync: options.sync,
    peerRateLimit: options.peerRateLimit,
    publishOnlyTopics: options.publishOnlyTopics,
  });
}
