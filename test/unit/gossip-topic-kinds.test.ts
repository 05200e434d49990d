// Issue 13 §4-§5: one table of gossip topic kinds (src/gossip/topic-kinds.ts) that the node and the
// monitor both validate through, so they give the same verdict on the same bytes; and the
// internal-error outcome: a decode error rejects (penalises the sender), our own failure while
// validating is counted and ignored (no penalty).
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { alertBody, alertSignedBytes, encodeSignedAlert, type Alert } from '../../src/consensus/alerts.js';
import {
  encodeEquivocationProof,
  makeEquivocationProof,
  proofId,
  type EquivocationProof,
} from '../../src/consensus/equivocation.js';
import { encodeObservation, type Observation } from '../../src/consensus/observation.js';
import { Roster } from '../../src/consensus/roster.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { decodeGossip, guardedValidator } from '../../src/gossip/outcome.js';
import { TOPIC_KINDS } from '../../src/gossip/topic-kinds.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { Metrics } from '../../src/node/metrics.js';
import type { ChorusHost, TopicHandler } from '../../src/p2p/index.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { NetworkService } from '../../src/services/network-service.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { SigningStore } from '../../src/store/signing-store.js';
import { toHex } from '../../src/util/bytes.js';
import { DecodeError } from '../../src/util/errors.js';
import { tempDir } from '../support/tmp.js';

const NS = 'kinds.example';
const NET = 'gk';
const own = signingKeyFromSeed(new Uint8Array(32).fill(1));
const other = signingKeyFromSeed(new Uint8Array(32).fill(2));
const outsider = signingKeyFromSeed(new Uint8Array(32).fill(9));
const roster = Roster.fromJson({
  network: NET,
  threshold: 2n,
  auditors: [
    { name: 'us', public_key: toHex(own.publicKey) },
    { name: 'them', public_key: toHex(other.publicKey) },
  ],
  namespaces: [{ name: NS }],
});
const NOW = BigInt(Date.now());
const digest = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const observe = (epoch: bigint, d: Uint8Array, namespace = NS, key = other): Observation => {
  const m = { ciphersuite: 1, namespace, timestamp: NOW - 1000n, epoch, digest: d };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
};
const withJunkField = (bytes: Uint8Array): Uint8Array => new Uint8Array([...bytes, 0x78, 1]);
const alert = (timestamp: bigint): Alert => ({ type: 'log-stalled', namespace: NS, timestamp, reason: 'no new epoch' });
const signAlert = (a: Alert, network = NET, key = other): Uint8Array => {
  const body = alertBody(a, network);
  return encodeSignedAlert({ body, signerKey: key.publicKey, signature: key.sign(alertSignedBytes(body)) });
};

/** A node's NetworkService on a real LevelDB behind a stand-in host that records its topic handlers. */
async function makeNode(dir: string): Promise<{
  db: RootDb;
  signing: SigningStore;
  network: NetworkService;
  observations: ObservationStore;
  handlers: Map<string, TopicHandler>;
  penalties: number[];
}> {
  const db = await openDatabase(join(dir, 'db'));
  const signing = new SigningStore(db, { now: () => NOW });
  await signing.load();
  const observations = new ObservationStore(db);
  await observations.ready();
  const handlers = new Map<string, TopicHandler>();
  const penalties: number[] = [];
  const host: Pick<
    ChorusHost,
    'subscribe' | 'handleSync' | 'onPeerConnected' | 'publish' | 'connectedPeers' | 'penalizePeer'
  > = {
    subscribe: (topic, handler) => void handlers.set(topic, handler),
    handleSync: async () => undefined,
    onPeerConnected: () => () => undefined,
    publish: async () => 0,
    connectedPeers: () => [],
    penalizePeer: (_peer, _topic, count = 1) => void penalties.push(count),
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
    now: () => NOW,
  });
  await network.attach();
  return { db, signing, network, observations, handlers, penalties };
}

async function makeMonitor(): Promise<{ monitor: Monitor; printed: Record<string, unknown>[] }> {
  const printed: Record<string, unknown>[] = [];
  const monitor = new Monitor({
    roster,
    privateKey: await generateKeyPair('Ed25519'),
    bootstrap: [],
    logger: pino({ level: 'silent' }),
    print: (a) => void printed.push(a),
    now: () => NOW,
  });
  return { monitor, printed };
}

describe('gossip topic kinds', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dbs: RootDb[];
  beforeEach(() => {
    tmp = tempDir();
    dbs = [];
  });
  afterEach(async () => {
    for (const db of dbs) await db.close();
    tmp.cleanup();
  });

  it('the node and the monitor give the same verdict on the same proofs and alerts', async () => {
    const proof = makeEquivocationProof(observe(7n, digest(7)), observe(7n, digest(8)));
    const forged: EquivocationProof = { ...proof, second: { ...proof.second, signature: new Uint8Array(64).fill(3) } };
    const swapped: EquivocationProof = { first: proof.second, second: proof.first };
    const elsewhere = makeEquivocationProof(
      observe(7n, digest(7), 'unknown.example'),
      observe(7n, digest(8), 'unknown.example'),
    );
    const proofCases: [string, Uint8Array, string][] = [
      ['valid', encodeEquivocationProof(proof), 'accept/valid'],
      ['bad signature', encodeEquivocationProof(forged), 'reject/bad-signature'],
      ['digests out of order', encodeEquivocationProof(swapped), 'reject/not-canonical'],
      ['unknown namespace', encodeEquivocationProof(elsewhere), 'ignore/unknown-namespace'],
      [
        're-encoded with an unknown field',
        withJunkField(encodeEquivocationProof(makeEquivocationProof(observe(9n, digest(1)), observe(9n, digest(2))))),
        'reject/non-canonical',
      ],
      ['garbage', new Uint8Array([0x0a, 0xff, 0xff]), 'reject/undecodable'],
    ];
    const alertCases: [string, Uint8Array, string][] = [
      ['valid', signAlert(alert(NOW - 1000n)), 'accept/valid'],
      ['signed by an outsider', signAlert(alert(NOW - 1000n), NET, outsider), 'reject/unknown-signer'],
      ['of another network', signAlert(alert(NOW - 1000n), 'staging'), 'reject/wrong-network'],
      ['stale', signAlert(alert(0n)), 'ignore/stale'],
      ['from the future', signAlert(alert(NOW + 3_600_000n)), 'reject/future-timestamp'],
      ['re-encoded with an unknown field', withJunkField(signAlert(alert(NOW - 2000n))), 'reject/non-canonical'],
      ['garbage', new Uint8Array([0xff]), 'reject/undecodable'],
    ];
    const node = await makeNode(tmp.dir);
    dbs.push(node.db);
    const { monitor, printed } = await makeMonitor();
    const nodeProofs = node.handlers.get(TOPIC_KINDS.equivocations.topic(NET));
    const nodeAlerts = node.handlers.get(TOPIC_KINDS.alerts.topic(NET));
    if (!nodeProofs || !nodeAlerts) throw new Error('the node did not subscribe its topics');
    const verdicts = async (
      validate: (d: Uint8Array, from: string) => Promise<{ outcome: string; reason: string }>,
      cases: [string, Uint8Array, string][],
    ) => {
      const out: Record<string, string> = {};
      for (const [name, bytes] of cases) {
        const v = await validate(bytes, 'peer');
        out[name] = `${v.outcome}/${v.reason}`;
      }
      return out;
    };
    const expectedProofs = Object.fromEntries(proofCases.map(([n, , e]) => [n, e]));
    const expectedAlerts = Object.fromEntries(alertCases.map(([n, , e]) => [n, e]));
    expect(await verdicts((d, f) => nodeProofs.validate(d, f), proofCases)).toEqual(expectedProofs);
    expect(await verdicts(monitor.validators.equivocations, proofCases)).toEqual(expectedProofs);
    expect(await verdicts((d, f) => nodeAlerts.validate(d, f), alertCases)).toEqual(expectedAlerts);
    expect(await verdicts(monitor.validators.alerts, alertCases)).toEqual(expectedAlerts);
    // What was accepted had its effects: the node stored the proof, the monitor printed it and the alert.
    expect(await node.observations.proof(proofId(proof))).toBeDefined();
    expect(printed.map((p) => p.type).sort()).toEqual(['equivocation', 'log-stalled']);
    expect(node.network.gossipInternalErrors).toBe(0);
    expect(monitor.gossipInternalErrors).toBe(0);
  });

  it('every kind names its topic, bound, sync method and what is published', () => {
    expect(TOPIC_KINDS.observations.topic(NET, NS)).toBe(`/chorus/1/${NET}/observations/${NS}`);
    expect(() => TOPIC_KINDS.observations.topic(NET)).toThrow(TypeError);
    expect(TOPIC_KINDS.equivocations.topic(NET)).toBe(`/chorus/1/${NET}/equivocations`);
    expect(TOPIC_KINDS.alerts.topic(NET)).toBe(`/chorus/1/${NET}/alerts`);
    expect(Object.values(TOPIC_KINDS).map((k) => [k.name, k.scope, k.sync])).toEqual([
      ['observations', 'namespace', 'arrival'],
      ['equivocations', 'network', 'proofs'],
      ['alerts', 'network', 'none'],
      ['checkpoints', 'network', 'checkpoints'],
      ['checkpoint-equivocations', 'network', 'none'],
    ]);
    for (const k of Object.values(TOPIC_KINDS)) {
      expect(k.maxBytes).toBeGreaterThan(0);
      expect(k.publishes.length).toBeGreaterThan(0);
    }
  });
});

describe('internal errors while validating gossip', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb | undefined;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
    tmp.cleanup();
  });

  it('a decode error rejects; any other error thrown by a codec is thrown on', () => {
    const codec = {
      what: 'thing',
      decode: (): number => {
        throw new DecodeError('bad bytes');
      },
      encode: () => new Uint8Array(),
    };
    expect(decodeGossip(codec, new Uint8Array([1]))).toEqual({ outcome: 'reject', reason: 'undecodable' });
    const buggy = {
      what: 'thing',
      decode: (): number => {
        throw new TypeError('our bug');
      },
      encode: () => new Uint8Array(),
    };
    expect(() => decodeGossip(buggy, new Uint8Array([1]))).toThrow(TypeError);
  });

  it('an exception in a validator becomes IGNORE with reason internal-error, reported once', async () => {
    const seen: string[] = [];
    const validate = guardedValidator(
      async () => {
        throw new RangeError('index out of range');
      },
      (err, from) => seen.push(`${from}: ${err}`),
    );
    expect(await validate(new Uint8Array([1]), 'peerA')).toEqual({ outcome: 'ignore', reason: 'internal-error' });
    expect(seen).toEqual(['peerA: index out of range']);
    const fine = guardedValidator(
      async () => ({ outcome: 'reject', reason: 'bad-signature' }),
      () => seen.push('no'),
    );
    expect(await fine(new Uint8Array([1]), 'peerB')).toEqual({ outcome: 'reject', reason: 'bad-signature' });
    expect(seen).toHaveLength(1);
  });

  it('the node: a store failure while validating an observation is counted and exported, not a reject; junk still rejects', async () => {
    const node = await makeNode(tmp.dir);
    db = node.db;
    const handler = node.handlers.get(TOPIC_KINDS.observations.topic(NET, NS));
    if (!handler) throw new Error('observations topic not subscribed');
    const o = observe(11n, digest(11));
    const spy = vi.spyOn(node.observations, 'hasObservation').mockRejectedValueOnce(new Error('LevelDB read failed'));
    expect(await handler.validate(encodeObservation(o), 'peer')).toEqual({
      outcome: 'ignore',
      reason: 'internal-error',
    });
    expect(node.network.gossipInternalErrors).toBe(1);
    spy.mockRestore();
    // The same message, once the store answers, is valid: it was never the sender's fault.
    expect(await handler.validate(encodeObservation(o), 'peer')).toEqual({ outcome: 'accept', reason: 'valid' });
    expect(await handler.validate(new Uint8Array([0xff, 0xff]), 'peer')).toEqual({
      outcome: 'reject',
      reason: 'undecodable',
    });
    expect(node.network.gossipInternalErrors).toBe(1);
    expect(node.penalties).toEqual([]);
    const metrics = new Metrics({
      namespaces: () => [NS],
      signing: node.signing,
      host: () => undefined,
      lastVerifiedEpoch: async () => undefined,
      rosterAuditors: () => [],
      gossipInternalErrors: () => node.network.gossipInternalErrors,
    });
    expect(await metrics.exposition()).toMatch(/^chorus_gossip_internal_errors_total 1$/m);
  });

  it('the monitor: a failure of its own while validating an alert is counted, not a reject', async () => {
    const { monitor, printed } = await makeMonitor();
    const spy = vi.spyOn(monitor, 'alertFacts').mockImplementationOnce(() => {
      throw new Error('clock failed');
    });
    const bytes = signAlert(alert(NOW - 1000n));
    expect(await monitor.validators.alerts(bytes, 'peer')).toEqual({ outcome: 'ignore', reason: 'internal-error' });
    expect(monitor.gossipInternalErrors).toBe(1);
    spy.mockRestore();
    expect(await monitor.validators.alerts(bytes, 'peer')).toEqual({ outcome: 'accept', reason: 'valid' });
    expect(printed).toHaveLength(1);
  });
});
