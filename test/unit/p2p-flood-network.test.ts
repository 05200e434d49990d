// Flood protection on the Chorus side of the p2p layer (docs/p2p.md, "Flood protection"), without
// sockets: the node's NetworkService on a real LevelDB behind a stand-in transport whose sync
// answers are scripted. Non-canonical gossip encodings are rejected (gossipsub then penalises the
// sender; test/integration/p2p-flood.test.ts shows it on real hosts); sync runs in bounded
// sessions, keeps what validated, resumes from its mark, and penalises invalid data through the
// same path as gossip.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEquivocationProof, makeEquivocationProof } from '../../src/consensus/equivocation.js';
import { encodeObservation, type Observation } from '../../src/consensus/observation.js';
import { Roster } from '../../src/consensus/roster.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { NetworkService } from '../../src/services/network-service.js';
import {
  decodeSyncRequest,
  encodeSyncResponse,
  type SyncRequest,
  type SyncResponse,
} from '../../src/wire/sync-messages.js';
import { SyncSession, type ChorusHost, type TopicHandler } from '../../src/p2p/index.js';
import { equivocationsTopic, observationsTopic } from '../../src/wire/topics.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { SigningStore } from '../../src/store/signing-store.js';
import { toHex } from '../../src/util/bytes.js';
import { tempDir } from '../support/tmp.js';

const NS = 'flood.example';
const PEER = '12D3KooWFlooder';
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
const OBS_TOPIC = observationsTopic('fl', NS);
const PROOF_TOPIC = equivocationsTopic('fl');
const LOG_ID = new Uint8Array(16).fill(0xab);
const digest = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const observe = (epoch: bigint, d: Uint8Array, namespace = NS): Observation => {
  const m = { ciphersuite: 1, namespace, timestamp: BigInt(Date.now()), epoch, digest: d };
  return { ...m, signature: other.sign(signedBytes(m)), signerKey: other.publicKey };
};
/** The same observation with a field the schema does not have (number 15, varint): still decodes. */
const withJunkField = (bytes: Uint8Array, n: number): Uint8Array => new Uint8Array([...bytes, 0x78, n & 0x7f]);

type Serve = (req: SyncRequest) => Partial<SyncResponse> | Uint8Array;

describe('flood protection in the node network service', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  let observations: ObservationStore;
  let network: NetworkService;
  let handlers: Map<string, TopicHandler>;
  let penalties: { peer: string; topic: string; count: number }[];
  let requests: SyncRequest[];
  let serve: Serve;
  const maxPages = 4;

  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
    const signing = new SigningStore(db, { now: () => BigInt(Date.now()) });
    await signing.load();
    observations = new ObservationStore(db);
    await observations.ready();
    handlers = new Map();
    penalties = [];
    requests = [];
    serve = () => ({});
    const send = async (bytes: Uint8Array): Promise<Uint8Array> => {
      const req = decodeSyncRequest(bytes);
      requests.push(req);
      const res = serve(req);
      return res instanceof Uint8Array ? res : encodeSyncResponse(res);
    };
    const host: Pick<
      ChorusHost,
      | 'peerId'
      | 'running'
      | 'subscribe'
      | 'handleSync'
      | 'onPeerConnected'
      | 'publish'
      | 'connectedPeers'
      | 'syncSession'
      | 'penalizePeer'
    > = {
      peerId: '12D3KooWStandIn',
      running: true,
      subscribe: (topic, handler) => void handlers.set(topic, handler),
      handleSync: async () => undefined,
      onPeerConnected: () => () => undefined,
      publish: async () => 0,
      connectedPeers: () => [],
      syncSession: (peer, pages) => new SyncSession(peer, pages ?? maxPages, send, () => undefined),
      penalizePeer: (peer, topic, count = 1) => void penalties.push({ peer, topic, count }),
    };
    network = new NetworkService({
      host: host as ChorusHost,
      roster,
      db,
      signing,
      observations,
      audited: [NS],
      ownKeys: [own.publicKey],
      logger: pino({ level: 'silent' }),
      now: () => BigInt(Date.now()),
      syncPageSize: 2,
    });
    await network.attach();
  });
  afterEach(async () => {
    await db.close();
    tmp.cleanup();
  });

  /** Where the first arrival request of a sync resumes ("<log id>:<n>"); the cursor is then empty. */
  const resumeOf = (rs: SyncRequest[]): string | undefined => {
    const r = rs.find((q) => q.mode.kind === 'arrival');
    return r?.mode.kind === 'arrival' && r.mode.resume && r.cursor.length === 0
      ? `${toHex(r.mode.resume.logId)}:${r.mode.resume.number}`
      : undefined;
  };

  const gossip = async (topic: string, data: Uint8Array) => {
    const h = handlers.get(topic);
    if (!h) throw new Error(`${topic} not subscribed`);
    return h.validate(data, PEER);
  };

  it('a valid, public observation re-encoded with an unknown field is rejected as non-canonical, before and after the original is known', async () => {
    const o = observe(5n, digest(5));
    const bytes = encodeObservation(o);
    expect(await gossip(OBS_TOPIC, withJunkField(bytes, 1))).toEqual({ outcome: 'reject', reason: 'non-canonical' });
    expect(await observations.hasObservation(o)).toBe(false);
    expect(await gossip(OBS_TOPIC, bytes)).toEqual({ outcome: 'accept', reason: 'valid' });
    // Once the observation is stored, a re-encoding must still cost the sender (it used to be a free "duplicate").
    expect(await gossip(OBS_TOPIC, withJunkField(bytes, 2))).toEqual({ outcome: 'reject', reason: 'non-canonical' });
    expect(await gossip(OBS_TOPIC, bytes)).toEqual({ outcome: 'ignore', reason: 'duplicate' });
    // Garbage is still undecodable, not non-canonical.
    expect(await gossip(OBS_TOPIC, new Uint8Array([0xff, 0xff, 0xff]))).toEqual({
      outcome: 'reject',
      reason: 'undecodable',
    });
  });

  it('a re-encoded equivocation proof is rejected as non-canonical', async () => {
    const proof = makeEquivocationProof(observe(6n, digest(6)), observe(6n, digest(7)));
    const bytes = encodeEquivocationProof(proof);
    expect(await gossip(PROOF_TOPIC, withJunkField(bytes, 3))).toEqual({ outcome: 'reject', reason: 'non-canonical' });
    expect((await gossip(PROOF_TOPIC, bytes)).outcome).toBe('accept');
  });

  /** A peer whose arrival log holds `total` valid observations, `perPage` to a page. */
  const honestLog = (total: number): Serve => {
    const all = Array.from({ length: total }, (_, i) => observe(BigInt(100 + i), digest(i + 1)));
    return (req) => {
      if (req.mode.kind === 'proofs') return {};
      const resume = req.mode.kind === 'arrival' ? req.mode.resume : undefined;
      const after = req.cursor.length
        ? Number(new TextDecoder().decode(req.cursor).split(':')[1])
        : Number(resume?.number ?? 0n);
      const items = all.slice(after, after + req.limit);
      const position = BigInt(after + items.length);
      const done = after + items.length >= total;
      return {
        observations: items,
        position,
        logId: LOG_ID,
        nextCursor: done ? new Uint8Array() : new TextEncoder().encode(`${toHex(LOG_ID)}:${position}`),
      };
    };
  };

  it('a sync stops after its page bound, keeps what validated, and the next sync resumes from the mark: a long catch-up completes over several syncs', async () => {
    serve = honestLog(13); // pages of 2: 7 arrival pages; a session has 1 proof page + 3 arrival pages
    await network.syncWithPeer(PEER);
    expect(requests).toHaveLength(maxPages);
    expect(network.counters.syncCutOffs).toBe(1);
    expect(network.counters.syncObservations).toBe(6);
    expect(network.counters.syncFailures).toBe(0);
    requests = [];
    await network.syncWithPeer(PEER);
    // Resumed right after the 6 it has: nothing fetched twice.
    expect(resumeOf(requests)).toBe(`${toHex(LOG_ID)}:6`);
    expect(network.counters.syncObservations).toBe(12);
    await network.syncWithPeer(PEER);
    expect(network.counters.syncObservations).toBe(13);
    expect(network.counters.syncCutOffs).toBe(2);
    expect(penalties).toEqual([]);
  });

  it('endless pages from one peer cost a bounded number of requests per sync', async () => {
    const o = observe(9n, digest(9));
    let n = 0;
    serve = (req) =>
      req.mode.kind === 'proofs'
        ? { nextCursor: new TextEncoder().encode('more') }
        : {
            observations: [o],
            position: BigInt(++n),
            logId: LOG_ID,
            nextCursor: new TextEncoder().encode(`${toHex(LOG_ID)}:${n}`),
          };
    await network.syncWithPeer(PEER);
    expect(requests).toHaveLength(maxPages);
    expect(requests.every((r) => r.mode.kind === 'proofs')).toBe(true);
    expect(network.counters.syncCutOffs).toBe(1);
  });

  it('invalid observations through sync are penalised on the topic like invalid gossip, the page is kept, the sync with the peer ends', async () => {
    const good1 = observe(20n, digest(20));
    const good2 = observe(21n, digest(21));
    const forged = { ...observe(22n, digest(22)), digest: digest(99) }; // signature no longer matches
    const elsewhere = observe(23n, digest(23), 'other.example');
    serve = (req) =>
      req.mode.kind === 'proofs'
        ? {}
        : {
            observations: [good1, forged, good2, elsewhere],
            position: 4n,
            logId: LOG_ID,
            nextCursor: new TextEncoder().encode(`${toHex(LOG_ID)}:4`),
          };
    await network.syncWithPeer(PEER);
    expect(penalties).toEqual([{ peer: PEER, topic: OBS_TOPIC, count: 2 }]);
    expect(network.counters.syncPenalties).toBe(2);
    expect(network.counters.syncFailures).toBe(1);
    // No page after the junk one, but what validated in it is kept.
    expect(requests.filter((r) => r.mode.kind === 'arrival')).toHaveLength(1);
    expect(await observations.hasObservation(good1)).toBe(true);
    expect(await observations.hasObservation(good2)).toBe(true);
    expect(await observations.hasObservation(forged)).toBe(false);
    // The checked page is not asked again.
    requests = [];
    await network.syncWithPeer(PEER);
    expect(resumeOf(requests)).toBe(`${toHex(LOG_ID)}:4`);
  });

  it('an invalid proof through sync is penalised on the equivocations topic; an undecodable page on the observations topic', async () => {
    const a = observe(30n, digest(30));
    const b = { ...observe(30n, digest(31)), signature: new Uint8Array(64).fill(7) };
    serve = (req) => (req.mode.kind === 'proofs' ? { proofs: [makeEquivocationProof(a, b)] } : {});
    await network.syncWithPeer(PEER);
    expect(penalties).toEqual([{ peer: PEER, topic: PROOF_TOPIC, count: 1 }]);
    expect(requests.some((r) => r.mode.kind === 'arrival')).toBe(false);

    penalties = [];
    serve = () => new Uint8Array([0x0a, 0xff, 0xff]);
    await network.syncWithPeer(PEER);
    expect(penalties).toEqual([{ peer: PEER, topic: OBS_TOPIC, count: 1 }]);
    expect(network.counters.syncFailures).toBe(2);
  });
});
