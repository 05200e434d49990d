// The flood part's attacker as its own OS process (test/reliability/flood.reliability.ts): it runs
// under a roster member's stolen libp2p identity, so the honest nodes treat it as a roster peer
// (direct gossip peer, sync partner), and floods them until SIGTERM:
//   - re-encodings of every valid observation and proof it hears (an unknown protobuf field with a
//     counter: each copy is a new gossip message id),
//   - big messages on topics the nodes do not use, and oversize ones on the observations topic,
//   - sync answers that never end (pages of valid, already known observations) or are junk
//     (forged signatures), in turn.
// Argument: one JSON object (AttackConfig). Prints JSON lines: `ready`, `template`, `stats`.
import { loadIdentity } from '../../src/p2p/identity.js';
import { equivocationsTopic, observationsTopic } from '../../src/wire/topics.js';
import { decodeObservation, type Observation } from '../../src/consensus/observation.js';
import { decodeSyncRequest, encodeSyncResponse } from '../../src/wire/sync-messages.js';
import { Flooder, type RawMessage } from './flood-attacker.js';

export interface AttackConfig {
  /** Data directory holding the stolen `p2p-identity.key`. */
  identityDir: string;
  listenPort: number;
  /** Multiaddrs (with /p2p/<id>) of the nodes to flood. */
  victims: string[];
  network: string;
  namespace: string;
  /** Re-encoded copies per second per victim. */
  nonCanonicalPerSecond: number;
  /** Messages on unknown topics per second per victim, and their size. */
  junkTopicPerSecond: number;
  junkBytes: number;
  /** Oversize messages per second per victim on the observations topic. */
  oversizePerSecond: number;
  /**
   * Gossip flooding starts this long after the first valid message is heard; the sync answers are
   * hostile from the start. A flood gets the attacker disconnected for a while within seconds, so
   * this leaves the nodes time to meet its sync answers first.
   */
  gossipDelayMs: number;
}

const TICK_MS = 20;
const TICKS_PER_SECOND = 1000 / TICK_MS;

const cfg = JSON.parse(process.argv[2] ?? '{}') as AttackConfig;
const print = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const identity = await loadIdentity(cfg.identityDir);
const flooder = await Flooder.create(identity.privateKey, [`/ip4/127.0.0.1/tcp/${cfg.listenPort}`]);
const obsTopic = observationsTopic(cfg.network, cfg.namespace);
const proofTopic = equivocationsTopic(cfg.network);

/** The newest valid message heard on each topic: what gets re-encoded. */
const templates = new Map<string, Uint8Array>();
let observation: Observation | undefined;
let floodFrom = Infinity;
for (const topic of [obsTopic, proofTopic]) {
  flooder.subscribe(topic, (data) => {
    if (!templates.has(topic)) print({ event: 'template', topic });
    if (floodFrom === Infinity) floodFrom = Date.now() + cfg.gossipDelayMs;
    templates.set(topic, data);
    if (topic === obsTopic) observation = decodeObservation(data);
  });
}

const stats = {
  sent: 0,
  nonCanonical: 0,
  junkTopic: 0,
  oversize: 0,
  sendFailed: 0,
  syncRequests: 0,
  junkPages: 0,
  endlessPages: 0,
};
const sessions = new Map<string, number>();
const logId = new Uint8Array(16).fill(0x5a);
let position = 0n;

/** A varint after tag 15 (wire type 0): a field no Chorus message has, skipped by decoders. */
function withJunkField(bytes: Uint8Array, n: number): Uint8Array {
  const tail = [0x78];
  let v = n;
  while (v >= 0x80) {
    tail.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  tail.push(v);
  const out = new Uint8Array(bytes.length + tail.length);
  out.set(bytes);
  out.set(tail, bytes.length);
  return out;
}

await flooder.serveSync(async (bytes, peer) => {
  stats.syncRequests++;
  const req = decodeSyncRequest(bytes);
  const o = observation;
  if (req.mode.kind === 'proofs') {
    // A new sync run starts with the proofs: once there is something to forge, every other run
    // gets a forged proof, the others endless pages.
    if (req.cursor.length === 0 && o) sessions.set(peer, (sessions.get(peer) ?? 0) + 1);
    const junk = (sessions.get(peer) ?? 0) % 2 === 1;
    if (junk && o) {
      stats.junkPages++;
      const forged = { ...o, digest: o.digest.map((b) => b ^ 0xff) };
      return encodeSyncResponse({ proofs: [{ first: o, second: forged }] });
    }
    return encodeSyncResponse({});
  }
  position += BigInt(Math.max(1, req.limit));
  const nextCursor = new TextEncoder().encode(`${Buffer.from(logId).toString('hex')}:${position}`);
  if (!o) return encodeSyncResponse({ position, logId, nextCursor });
  stats.endlessPages++;
  // Valid observations the peer already has, forever: only the page bound stops this.
  return encodeSyncResponse({
    observations: Array.from({ length: Math.min(req.limit, 256) }, () => o),
    position,
    logId,
    nextCursor,
  });
});

for (const addr of cfg.victims) {
  flooder.dial(addr).catch((err: unknown) => print({ event: 'dial-failed', addr, err: String(err) }));
}
print({ event: 'ready', peerId: flooder.peerId });

let tick = 0;
let counter = 0;
const every = (perSecond: number): boolean =>
  perSecond > 0 && tick % Math.max(1, Math.round(TICKS_PER_SECOND / perSecond)) === 0;
const timer = setInterval(() => {
  tick++;
  if (tick % TICKS_PER_SECOND === 0)
    print({ event: 'stats', peers: flooder.gossipPeers().length, flooding: Date.now() >= floodFrom, ...stats });
  if (Date.now() < floodFrom) return;
  const perTick =
    cfg.nonCanonicalPerSecond > 0 ? Math.max(1, Math.round(cfg.nonCanonicalPerSecond / TICKS_PER_SECOND)) : 0;
  for (const peer of flooder.gossipPeers()) {
    const batch: RawMessage[] = [];
    for (const [topic, t] of templates) {
      for (let i = 0; i < perTick / templates.size; i++) batch.push({ topic, data: withJunkField(t, ++counter) });
    }
    stats.nonCanonical += batch.length;
    if (every(cfg.junkTopicPerSecond)) {
      batch.push({
        topic: `/chorus/1/${cfg.network}/junk-${++counter}`,
        data: new Uint8Array(cfg.junkBytes).fill(counter & 0xff),
      });
      stats.junkTopic++;
    }
    if (every(cfg.oversizePerSecond)) {
      batch.push({ topic: obsTopic, data: new Uint8Array(100 * 1024).fill(counter & 0xff) });
      stats.oversize++;
    }
    if (batch.length === 0) continue;
    if (flooder.send(peer, batch)) stats.sent += batch.length;
    else stats.sendFailed += batch.length;
  }
}, TICK_MS);

process.on('SIGTERM', () => {
  clearInterval(timer);
  print({ event: 'stats', final: true, peers: flooder.gossipPeers().length, ...stats });
  void flooder.stop().finally(() => process.exit(0));
});
