// Flood protection on real hosts (docs/p2p.md, "Flood protection"): a Chorus node (libp2p host,
// NetworkService, real LevelDB) and a hostile peer that writes gossipsub RPCs by hand, over TCP on
// 127.0.0.1. A re-encoded copy of a valid observation is rejected and gossipsub's score of the
// sender drops (the same P4 path as any invalid message); messages on a topic the node does not
// use are neither validated nor cached.
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeObservation, type Observation } from '../../src/consensus/observation.js';
import { Roster } from '../../src/consensus/roster.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { NetworkService } from '../../src/services/network-service.js';
import { createHost, type ChorusHost } from '../../src/p2p/index.js';
import { observationsTopic } from '../../src/wire/topics.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { SigningStore } from '../../src/store/signing-store.js';
import { toHex } from '../../src/util/bytes.js';
import { Flooder } from '../support/flood-attacker.js';
import { waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';

const NS = 'flood.example';
const own = signingKeyFromSeed(new Uint8Array(32).fill(1));
const other = signingKeyFromSeed(new Uint8Array(32).fill(2));
const roster = Roster.fromJson({
  network: 'fl',
  threshold: 2n,
  auditors: [
    { name: 'us', public_key: toHex(own.publicKey) },
    { name: 'them', public_key: toHex(other.publicKey) },
  ],
  namespaces: [{ name: NS }],
});
const TOPIC = observationsTopic('fl', NS);
const observe = (epoch: bigint): Observation => {
  const m = {
    ciphersuite: 1,
    namespace: NS,
    timestamp: BigInt(Date.now()),
    epoch,
    digest: new Uint8Array(32).fill(Number(epoch)),
  };
  return { ...m, signature: other.sign(signedBytes(m)), signerKey: other.publicKey };
};
const withJunkField = (bytes: Uint8Array, n: number): Uint8Array => new Uint8Array([...bytes, 0x78, n & 0x7f]);

describe('a hostile peer against a real node', () => {
  const tmp = tempDir();
  let db: RootDb;
  let host: ChorusHost;
  let network: NetworkService;
  let attacker: Flooder;

  beforeAll(async () => {
    db = await openDatabase(join(tmp.dir, 'db'));
    const signing = new SigningStore(db, { now: () => BigInt(Date.now()) });
    await signing.load();
    const observations = new ObservationStore(db);
    await observations.ready();
    host = await createHost({ privateKey: await generateKeyPair('Ed25519'), heartbeatIntervalMs: 200 });
    network = new NetworkService({
      host,
      roster,
      db,
      signing,
      observations,
      audited: [NS],
      ownKeys: [own.publicKey],
      logger: pino({ level: 'silent' }),
      now: () => BigInt(Date.now()),
    });
    await network.attach();
    await host.start();
    attacker = await Flooder.create(await generateKeyPair('Ed25519'), ['/ip4/127.0.0.1/tcp/0']);
    await attacker.dial(host.multiaddrs()[0] as string);
    await waitFor('a gossipsub stream to the node', async () => attacker.gossipPeers().includes(host.peerId), 10_000);
  });
  afterAll(async () => {
    network.detach();
    await attacker.stop();
    await host.stop();
    await db.close();
    tmp.cleanup();
  });

  const rejected = (reason: string): number => host.stats().topics[TOPIC]?.validation.reject[reason] ?? 0;

  it('a valid observation re-encoded with an unknown field is rejected and its sender penalised', async () => {
    const bytes = encodeObservation(observe(3n));
    expect(attacker.send(host.peerId, [{ topic: TOPIC, data: bytes }])).toBe(true);
    await waitFor(
      'the canonical copy accepted',
      async () => (host.stats().topics[TOPIC]?.validation.accept.valid ?? 0) === 1,
      10_000,
    );
    expect(host.getPeerScore(attacker.peerId)).toBeGreaterThanOrEqual(0);
    // Three re-encodings of an observation the node already holds: each a new message id.
    expect(
      attacker.send(
        host.peerId,
        [1, 2, 3].map((n) => ({ topic: TOPIC, data: withJunkField(bytes, n) })),
      ),
    ).toBe(true);
    await waitFor('three non-canonical rejections', async () => rejected('non-canonical') === 3, 10_000);
    // P4: -10 × 3² (minus whatever P1/P2 credit the peer has, capped at +20).
    await waitFor('a negative score', async () => host.getPeerScore(attacker.peerId) < -40, 5_000);
    expect(host.stats().topics[TOPIC]?.validation.ignore.duplicate ?? 0).toBe(0);
  });

  it('a big message on a topic the node does not use is neither validated nor cached', async () => {
    const before = host.stats();
    const junkTopic = '/chorus/1/fl/junk-1';
    // The junk comes first in the RPC; the second message shows when the RPC has been handled.
    const marker = withJunkField(encodeObservation(observe(4n)), 9);
    expect(
      attacker.send(host.peerId, [
        { topic: junkTopic, data: new Uint8Array(512 * 1024).fill(1) },
        { topic: TOPIC, data: marker },
      ]),
    ).toBe(true);
    const marked = rejected('non-canonical') + 1;
    await waitFor('the marker message handled', async () => rejected('non-canonical') === marked, 10_000);
    const after = host.stats();
    expect(after.topics[junkTopic]).toBeUndefined();
    // Only the marker's id was remembered; the rejected marker left no message in the cache.
    expect(after.gossipCache.seenIds).toBe(before.gossipCache.seenIds + 1);
    expect(after.gossipCache.messages).toBe(before.gossipCache.messages);
  });
});

describe("a message dropped unchecked for its sender's rate", () => {
  const T = '/chorus/1/fl/observations/rate';
  let host: ChorusHost;
  let flooder: Flooder;
  let honest: Flooder;
  const seen: { text: string; from: string }[] = [];

  beforeAll(async () => {
    // Two messages per peer, then nothing for a long while.
    host = await createHost({
      privateKey: await generateKeyPair('Ed25519'),
      peerRateLimit: { perSecond: 0.001, burst: 2 },
    });
    host.subscribe(T, {
      validate: async (data, from) => {
        seen.push({ text: new TextDecoder().decode(data), from });
        return { outcome: 'accept', reason: 'new' };
      },
    });
    await host.start();
    flooder = await Flooder.create(await generateKeyPair('Ed25519'), ['/ip4/127.0.0.1/tcp/0']);
    honest = await Flooder.create(await generateKeyPair('Ed25519'), ['/ip4/127.0.0.1/tcp/0']);
    for (const f of [flooder, honest]) {
      await f.dial(host.multiaddrs()[0] as string);
      await waitFor('a gossipsub stream to the node', async () => f.gossipPeers().includes(host.peerId), 10_000);
    }
  });
  afterAll(async () => {
    await flooder.stop();
    await honest.stop();
    await host.stop();
  });

  it('is forgotten, so an honest copy that comes later is still validated; a peer over its rate is then refused unread', async () => {
    const enc = (t: string): Uint8Array => new TextEncoder().encode(t);
    // The flooder's two tokens go on junk; the real message it relays in the same RPC is over its rate.
    expect(
      flooder.send(
        host.peerId,
        ['junk 1', 'junk 2', 'real proof'].map((t) => ({ topic: T, data: enc(t) })),
      ),
    ).toBe(true);
    await waitFor(
      'the relayed copy dropped',
      async () => (host.stats().topics[T]?.validation.ignore['rate-limited'] ?? 0) === 1,
      10_000,
    );
    await waitFor('the junk validated', async () => seen.length === 2, 10_000);
    expect(honest.send(host.peerId, [{ topic: T, data: enc('real proof') }])).toBe(true);
    await waitFor('the honest copy validated', async () => seen.length === 3, 10_000);
    expect(seen[2]).toEqual({ text: 'real proof', from: honest.peerId });
    // In debt now: the flooder's next RPC is dropped before any message in it is looked at.
    const seenIds = host.stats().gossipCache.seenIds;
    expect(flooder.send(host.peerId, [{ topic: T, data: enc('more junk') }])).toBe(true);
    expect(honest.send(host.peerId, [{ topic: T, data: enc('honest again') }])).toBe(true);
    await waitFor('the honest message validated', async () => seen.length === 4, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.map((m) => m.text)).toEqual(['junk 1', 'junk 2', 'real proof', 'honest again']);
    expect(host.stats().gossipCache.seenIds).toBe(seenIds + 1);
    expect(host.stats().topics[T]?.validation.ignore['rate-limited']).toBe(1);
  });

  it('a peer that keeps sending while refused is disconnected and refused for a cool-down; others stay', async () => {
    const enc = (t: string): Uint8Array => new TextEncoder().encode(t);
    for (let i = 0; i < 150; i++) flooder.send(host.peerId, [{ topic: T, data: enc(`flood ${i}`) }]);
    await waitFor('the flooder cooling down', async () => host.stats().coolingDown.includes(flooder.peerId), 10_000);
    await waitFor('the flooder disconnected', async () => !host.connectedPeers().includes(flooder.peerId), 10_000);
    expect(host.connectedPeers()).toContain(honest.peerId);
    // It cannot come straight back: the connection gater refuses it until the cool-down ends.
    await flooder.dial(host.multiaddrs()[0] as string).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(host.connectedPeers()).not.toContain(flooder.peerId);
    expect(seen.map((m) => m.text)).not.toContain('flood 0');
  });
});
