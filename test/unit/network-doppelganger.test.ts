// Doppelgänger protection on the proof path, without sockets: the node's NetworkService on a real
// LevelDB behind a stand-in transport. A proof is sometimes the first (or only) place a node sees
// an observation under its own key; one it did not produce must halt signing, one it did must not.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEquivocationProof, encodeEquivocationProof } from '../../src/consensus/equivocation.js';
import type { Observation } from '../../src/consensus/observation.js';
import { Roster } from '../../src/consensus/roster.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { NetworkService, observationFromSigned } from '../../src/services/network-service.js';
import type { ChorusHost, TopicHandler } from '../../src/p2p/index.js';
import { equivocationsTopic } from '../../src/wire/topics.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { SigningStore, type Signer } from '../../src/store/signing-store.js';
import { toHex } from '../../src/util/bytes.js';
import { tempDir } from '../support/tmp.js';

const NS = 'dg.example';
const own = signingKeyFromSeed(new Uint8Array(32).fill(1));
const other = signingKeyFromSeed(new Uint8Array(32).fill(2));
const roster = Roster.fromJson({
  network: 'dg',
  threshold: 2n,
  auditors: [
    { name: 'us', public_key: toHex(own.publicKey) },
    { name: 'them', public_key: toHex(other.publicKey) },
  ],
  namespaces: [{ name: NS }],
});
const digest = (b: number) => new Uint8Array(32).fill(b);
const observe = (key: typeof own, epoch: bigint, d: Uint8Array): Observation => {
  const m = { ciphersuite: 1, namespace: NS, timestamp: BigInt(Date.now()), epoch, digest: d };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
};
const signer: Signer = (namespace, epoch, d) => {
  const m = { ciphersuite: 1, namespace, timestamp: BigInt(Date.now()), epoch, digest: d };
  return { ...m, signature: own.sign(signedBytes(m)), publicKey: own.publicKey };
};

describe('doppelgänger protection on received proofs', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  let signing: SigningStore;
  let deliverProof: (data: Uint8Array) => Promise<string>;

  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
    signing = new SigningStore(db, { now: () => BigInt(Date.now()) });
    await signing.load();
    const observations = new ObservationStore(db);
    await observations.ready();
    const handlers = new Map<string, TopicHandler>();
    const host: Pick<
      ChorusHost,
      | 'peerId'
      | 'running'
      | 'subscribe'
      | 'handleSync'
      | 'onPeerConnected'
      | 'publish'
      | 'requestSync'
      | 'connectedPeers'
    > = {
      peerId: '12D3KooWStandIn',
      running: true,
      subscribe: (topic, handler) => void handlers.set(topic, handler),
      handleSync: async () => undefined,
      onPeerConnected: () => () => undefined,
      publish: async () => 0,
      requestSync: async () => new Uint8Array(),
      connectedPeers: () => [],
    };
    const network = new NetworkService({
      host: host as ChorusHost,
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
    const handler = handlers.get(equivocationsTopic('dg'));
    if (!handler) throw new Error('the equivocations topic was not subscribed');
    deliverProof = async (data) => (await handler.validate(data, '12D3KooWPeer')).outcome;
  });
  afterEach(async () => {
    await db.close();
    tmp.cleanup();
  });

  it('a split view that holds our own signature, as we made it: no halt', async () => {
    const r = await signing.checkAndSign(NS, undefined, { epoch: 7n, digest: digest(7) }, signer);
    if (r.kind !== 'signed') throw new Error(`not signed: ${r.kind}`);
    const proof = makeEquivocationProof(observationFromSigned(r.record), observe(other, 7n, digest(8)));
    expect(await deliverProof(encodeEquivocationProof(proof))).toBe('accept');
    expect(signing.haltReason).toBeUndefined();
  });

  it('a proof holding an observation under our key that we never made halts signing', async () => {
    const proof = makeEquivocationProof(observe(own, 9n, digest(9)), observe(other, 9n, digest(10)));
    expect(await deliverProof(encodeEquivocationProof(proof))).toBe('accept');
    expect(signing.haltReason).toMatch(/epoch 9 .*not produced by this node/);
  });

  it('our key convicted (two digests, one of them ours): halts signing', async () => {
    const r = await signing.checkAndSign(NS, undefined, { epoch: 3n, digest: digest(3) }, signer);
    if (r.kind !== 'signed') throw new Error(`not signed: ${r.kind}`);
    const proof = makeEquivocationProof(observationFromSigned(r.record), observe(own, 3n, digest(4)));
    expect(await deliverProof(encodeEquivocationProof(proof))).toBe('accept');
    expect(signing.haltReason).toMatch(/epoch 3 .*not produced by this node/);
  });
});
