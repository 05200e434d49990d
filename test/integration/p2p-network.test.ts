// Several hosts in one process over real TCP on 127.0.0.1. Every wait is on a condition (with a
// generous upper bound), never a fixed sleep.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pino } from 'pino';
import { createHost, tcpMultiaddr, type ChorusHost, type HostOptions, type RosterPeer } from '../../src/p2p/host.js';
import { loadOrCreateIdentity, type P2PIdentity } from '../../src/p2p/identity.js';
import { PEER_SCORE_THRESHOLDS } from '../../src/p2p/scoring.js';
import { SyncOversizeError, SyncProtocolError, SyncTimeoutError } from '../../src/p2p/errors.js';
import type { ValidationResult } from '../../src/p2p/validation-queue.js';

const logger = pino({ level: process.env.P2P_TEST_LOG ?? 'silent' });
const FAST_REDIAL = { initialMs: 50, maxMs: 400, factor: 2, jitter: 0.1, stableMs: 1_000 };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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

interface Node {
  name: string;
  id: P2PIdentity;
  dir: string;
  port: number;
  host: ChorusHost;
  /** Messages this node's validator saw, per topic: `text<-fromPeer`. */
  seen: Map<string, { text: string; from: string }[]>;
  connects: string[];
}

const tmpDirs: string[] = [];

async function makeNodes(names: string[]): Promise<Omit<Node, 'host'>[]> {
  return Promise.all(
    names.map(async (name) => {
      const dir = await mkdtemp(join(tmpdir(), `chorus-p2p-${name}-`));
      tmpDirs.push(dir);
      return { name, dir, id: await loadOrCreateIdentity(dir), port: await freePort(), seen: new Map(), connects: [] };
    }),
  );
}

function rosterOf(nodes: Omit<Node, 'host'>[]): RosterPeer[] {
  return nodes.map((n) => ({ peerId: n.id.peerId, addrs: [tcpMultiaddr('127.0.0.1', n.port)] }));
}

/** Validator used by honest nodes: text decides the verdict. */
function verdict(text: string): ValidationResult {
  if (text.startsWith('reject')) return { outcome: 'reject', reason: 'bad-signature' };
  if (text.startsWith('ignore')) return { outcome: 'ignore', reason: 'duplicate' };
  return { outcome: 'accept', reason: 'new' };
}

async function startNode(
  n: Omit<Node, 'host'> & Partial<Pick<Node, 'host'>>,
  roster: RosterPeer[],
  topics: string[],
  extra: Partial<HostOptions> = {},
): Promise<Node> {
  const host = await createHost({
    privateKey: n.id.privateKey,
    listenAddrs: [tcpMultiaddr('127.0.0.1', n.port)],
    roster,
    redial: FAST_REDIAL,
    logger: logger.child({ node: n.name }),
    ...extra,
  });
  const node: Node = { ...n, host };
  for (const topic of topics) {
    node.seen.set(topic, []);
    host.subscribe(topic, {
      validate: async (data, from) => {
        const text = dec(data);
        node.seen.get(topic)?.push({ text, from });
        return verdict(text);
      },
    });
  }
  host.onPeerConnected((p) => {
    node.connects.push(p);
  });
  await host.start();
  return node;
}

function texts(n: Node, topic: string): string[] {
  return (n.seen.get(topic) ?? []).map((m) => m.text);
}

const running: ChorusHost[] = [];
afterAll(async () => {
  await Promise.all(running.map((h) => h.stop()));
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('gossip on a line of roster peers (direct peers, the production setting)', () => {
  const T = '/chorus/1/test/observations/line';
  let a: Node, b: Node, c: Node, d: Node;

  beforeAll(async () => {
    const raw = await makeNodes(['a', 'b', 'c', 'd']);
    const r = rosterOf(raw);
    // a — b — c — d: only neighbours know each other, so c and d depend on forwarding.
    const nodes = await Promise.all([
      startNode(raw[0]!, [r[1]!], [T]),
      startNode(raw[1]!, [r[0]!, r[2]!], [T]),
      startNode(raw[2]!, [r[1]!, r[3]!], [T]),
      startNode(raw[3]!, [r[2]!], [T]),
    ]);
    [a, b, c, d] = nodes as [Node, Node, Node, Node];
    running.push(...nodes.map((n) => n.host));
    await waitFor('every link subscribed both ways', () =>
      [
        [a, b],
        [b, c],
        [c, d],
      ].every(
        ([x, y]) => x!.host.getTopicPeers(T).includes(y!.id.peerId) && y!.host.getTopicPeers(T).includes(x!.id.peerId),
      ),
    );
  });

  test('an accepted message is forwarded hop by hop to the far end', async () => {
    expect(await a.host.publish(T, enc('obs-1'))).toBe(1); // a only knows b
    await waitFor('d received obs-1', () => texts(d, T).includes('obs-1'));
    expect(texts(b, T)).toContain('obs-1');
    expect(texts(c, T)).toContain('obs-1');
    // the hop that delivered it to d is c, not the publisher
    expect(d.seen.get(T)?.find((m) => m.text === 'obs-1')?.from).toBe(c.id.peerId);
    // direct peers are served outside the mesh
    expect(b.host.getMeshPeers(T)).toEqual([]);
  });

  test('rejected and ignored messages are not forwarded', async () => {
    await a.host.publish(T, enc('reject-me'));
    await a.host.publish(T, enc('ignore-me'));
    await waitFor('b judged both', () => texts(b, T).includes('reject-me') && texts(b, T).includes('ignore-me'));
    // A later good message overtakes nothing: once it reaches d, anything b forwarded would have too.
    await a.host.publish(T, enc('obs-2'));
    await waitFor('d received obs-2', () => texts(d, T).includes('obs-2'));
    for (const n of [c, d]) {
      expect(texts(n, T)).not.toContain('reject-me');
      expect(texts(n, T)).not.toContain('ignore-me');
    }
    const topic = b.host.stats().topics[T]!;
    expect(topic.validation.reject['bad-signature']).toBe(1);
    expect(topic.validation.ignore.duplicate).toBe(1);
    expect(c.host.stats().topics[T]!.validation.reject).toEqual({});
    // b penalised a for the rejected message
    await waitFor('a scored below zero at b', () => b.host.getPeerScore(a.id.peerId) < 0);
  });

  test('publishing with no subscribed peer does not throw, and duplicates are counted', async () => {
    const lonely = '/chorus/1/test/observations/nobody';
    expect(await a.host.publish(lonely, enc('x'))).toBe(0);
    expect(await a.host.publish(T, enc('obs-1'))).toBe(0); // already seen: content-addressed id
    const s = a.host.stats().topics;
    expect(s[lonely]!.publish).toEqual({ messages: 1, zeroRecipients: 1, duplicates: 0 });
    expect(s[T]!.publish.duplicates).toBe(1);
  });
});

describe('three roster nodes, a hostile outsider, sync, partitions and restarts', () => {
  const T = '/chorus/1/test/observations/ns';
  const OVF = '/chorus/1/test/observations/overflow';
  const { gossipThreshold, graylistThreshold } = PEER_SCORE_THRESHOLDS;
  let h1: Node, h2: Node, h3: Node, x: Node;
  let roster: RosterPeer[];
  let overflowGate: () => void = () => undefined;
  let syncGate: () => void = () => undefined;
  let slowGate: () => void = () => undefined;

  beforeAll(async () => {
    const raw = await makeNodes(['h1', 'h2', 'h3', 'x']);
    roster = rosterOf(raw.slice(0, 3));
    const nodes = await Promise.all([
      // h1 publishes to h3's overflow topic without validating it (allowedTopics must know it).
      startNode(raw[0]!, roster, [T], { publishOnlyTopics: [OVF] }),
      startNode(raw[1]!, roster, [T], { sync: { maxRequestBytes: 1024, maxInboundStreamsPerPeer: 2 } }),
      startNode(raw[2]!, roster, [T]),
      // The outsider dials h1 and h2 but is nobody's roster member: an ordinary mesh peer.
      startNode(raw[3]!, roster.slice(0, 2), [T], { directRosterPeers: false }),
    ]);
    [h1, h2, h3, x] = nodes as [Node, Node, Node, Node];
    running.push(...nodes.map((n) => n.host));

    const opened = new Promise<void>((r) => (overflowGate = r));
    h3.seen.set(OVF, []);
    h3.host.subscribe(OVF, {
      maxQueue: 2,
      concurrency: 1,
      validate: async (data) => {
        h3.seen.get(OVF)?.push({ text: dec(data), from: '' });
        await opened;
        return { outcome: 'accept', reason: 'new' };
      },
    });
  });

  test('the mesh forms with the outsider and its valid messages reach every node', async () => {
    await waitFor('x in the mesh of h1 and h2', () =>
      [h1, h2].every((h) => h.host.getMeshPeers(T).includes(x.id.peerId)),
    );
    // roster members are direct peers: subscribed, never grafted
    await waitFor('roster peers see each other on the topic', () =>
      [h1, h2, h3].every((h) => h.host.getTopicPeers(T).length >= 2),
    );
    expect(h1.host.getMeshPeers(T)).not.toContain(h2.id.peerId);
    await x.host.publish(T, enc('x-good-1'));
    await waitFor('x-good-1 everywhere', () => [h1, h2, h3].every((h) => texts(h, T).includes('x-good-1')));
  });

  test('one invalid message makes the score negative but does not cut the sender off', async () => {
    await x.host.publish(T, enc('reject-x-1'));
    await waitFor('score of x below zero at h1 and h2', () =>
      [h1, h2].every((h) => h.host.getPeerScore(x.id.peerId) < 0),
    );
    for (const h of [h1, h2]) expect(h.host.getPeerScore(x.id.peerId)).toBeGreaterThan(gossipThreshold);
    await x.host.publish(T, enc('x-good-2'));
    await waitFor('x-good-2 accepted everywhere', () => [h1, h2, h3].every((h) => texts(h, T).includes('x-good-2')));
    expect(texts(h3, T)).not.toContain('reject-x-1');
  });

  test('a flood of invalid messages graylists the sender while honest traffic still flows', async () => {
    for (let i = 0; i < 30; i++) await x.host.publish(T, enc(`reject-flood-${i}`));
    await waitFor('x graylisted at h1 and h2', () =>
      [h1, h2].every((h) => h.host.getPeerScore(x.id.peerId) < graylistThreshold),
    );
    await h2.host.publish(T, enc('honest-1'));
    await waitFor('honest-1 reached h1 and h3', () => [h1, h3].every((h) => texts(h, T).includes('honest-1')));
    expect(texts(h3, T).filter((t) => t.startsWith('reject'))).toEqual([]);
    expect(h1.host.stats().topics[T]!.validation.reject['bad-signature']).toBeGreaterThanOrEqual(5);
    // honest roster peers keep a non-negative score with each other
    expect(h1.host.getPeerScore(h2.id.peerId)).toBeGreaterThanOrEqual(0);
    expect(h1.host.stats().peerScores[x.id.peerId]).toBeLessThan(graylistThreshold);
  });

  test('queue overflow is counted and dropped as ignore/peer-queue-full (one sender: its share is the whole queue)', async () => {
    await waitFor('h1 sees h3 on the overflow topic', () => h1.host.getTopicPeers(OVF).includes(h3.id.peerId));
    for (let i = 0; i < 10; i++) await h1.host.publish(OVF, enc(`ovf-${i}`));
    const q = (): { dropped: number; queued: number; inFlight: number } => {
      const t = h3.host.stats().topics[OVF]!;
      return { dropped: t.validation.ignore['peer-queue-full'] ?? 0, queued: t.queueLength, inFlight: t.inFlight };
    };
    await waitFor('all 10 overflow messages arrived', () => {
      const s = q();
      return s.dropped + s.queued + s.inFlight === 10;
    });
    expect(q()).toEqual({ dropped: 7, queued: 2, inFlight: 1 });
    overflowGate();
    await waitFor('3 accepted', () => (h3.host.stats().topics[OVF]!.validation.accept.new ?? 0) === 3);
    expect(q()).toEqual({ dropped: 7, queued: 0, inFlight: 0 });
  });

  test('sync request/response round-trips and enforces its caps', async () => {
    const held = new Promise<void>((r) => (syncGate = r));
    const slow = new Promise<void>((r) => (slowGate = r));
    h2.host.handleSync(async (req, peer) => {
      const text = dec(req);
      if (text === 'big') return new Uint8Array(8192);
      if (text === 'slow') await slow;
      if (text === 'hold') await held;
      return enc(`resp:${text}:${peer === h1.id.peerId ? 'h1' : peer}`);
    });

    expect(dec(await h1.host.requestSync(h2.id.peerId, enc('hello')))).toBe('resp:hello:h1');
    const many = await Promise.all([1, 2].map((i) => h1.host.requestSync(h2.id.peerId, enc(`n${i}`))));
    expect(many.map(dec)).toEqual(['resp:n1:h1', 'resp:n2:h1']);

    // request cap: our own (64 KiB) refuses locally; h2's (1 KiB) resets the stream
    await expect(h1.host.requestSync(h2.id.peerId, new Uint8Array(64 * 1024 + 1))).rejects.toThrow(SyncOversizeError);
    await expect(h1.host.requestSync(h2.id.peerId, new Uint8Array(2048))).rejects.toThrow(SyncProtocolError);
    await waitFor('h2 counted the oversize request', () => h2.host.stats().sync.inbound.oversize === 1);

    // response cap, per request
    const big = h1.host.requestSync(h2.id.peerId, enc('big'), { maxResponseBytes: 4096 });
    await expect(big).rejects.toThrow(SyncOversizeError);
    await expect(big).rejects.toMatchObject({ which: 'response', limit: 4096 });
    expect((await h1.host.requestSync(h2.id.peerId, enc('big'))).byteLength).toBe(8192);

    // deadline
    await expect(h1.host.requestSync(h2.id.peerId, enc('slow'), { timeoutMs: 300 })).rejects.toThrow(SyncTimeoutError);
    slowGate();

    const syncStreams = (n: Node): number =>
      n.host.connections().reduce((k, c) => k + c.streams.filter((p) => p === '/chorus/1/sync/2.0.0').length, 0);
    // at most 2 concurrent inbound requests per peer on h2
    let settled = 0;
    const all = Promise.allSettled(
      [1, 2, 3, 4].map((i) =>
        h1.host.requestSync(h2.id.peerId, enc(`hold`), { timeoutMs: 20_000 + i }).finally(() => settled++),
      ),
    );
    await waitFor('two over-limit requests refused', () => settled === 2);
    expect(syncStreams(h2)).toBe(2); // the two being served
    syncGate();
    const results = await all;
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failures).toHaveLength(2);
    for (const f of failures) expect(f.reason).toBeInstanceOf(SyncProtocolError);

    // every sync stream is closed afterwards on both sides (no leak)
    await waitFor('sync streams closed', () => syncStreams(h1) === 0 && syncStreams(h2) === 0);

    // no handler on h3: a protocol failure, not a hang
    await expect(h1.host.requestSync(h3.id.peerId, enc('x'), { timeoutMs: 5_000 })).rejects.toThrow(SyncProtocolError);
  });

  test('blockPeer partitions a node; unblocking heals through re-dial', async () => {
    const before = h3.connects.length;
    await Promise.all([
      h3.host.blockPeer(h1.id.peerId),
      h3.host.blockPeer(h2.id.peerId),
      h1.host.blockPeer(h3.id.peerId),
      h2.host.blockPeer(h3.id.peerId),
    ]);
    await waitFor(
      'h3 cut off',
      () =>
        h3.host.connections().length === 0 && [h1, h2].every((h) => !h.host.connectedPeers().includes(h3.id.peerId)),
    );
    await h1.host.publish(T, enc('during-partition'));
    await waitFor('h2 got it', () => texts(h2, T).includes('during-partition'));
    expect(texts(h3, T)).not.toContain('during-partition');
    expect(h3.host.stats().blockedPeers.sort()).toEqual([h1.id.peerId, h2.id.peerId].sort());

    for (const [h, p] of [
      [h3, h1],
      [h3, h2],
      [h1, h3],
      [h2, h3],
    ] as const) {
      h.host.unblockPeer(p.id.peerId);
    }
    await waitFor('h3 reconnected to both', () =>
      [h1.id.peerId, h2.id.peerId].every((p) => h3.host.connectedPeers().includes(p)),
    );
    // onPeerConnected fired again for the re-connections (the node syncs on each)
    expect(h3.connects.slice(before)).toEqual(expect.arrayContaining([h1.id.peerId, h2.id.peerId]));
    await waitFor('h1 sees h3 subscribed again', () => h1.host.getTopicPeers(T).includes(h3.id.peerId));
    await h1.host.publish(T, enc('after-heal'));
    await waitFor('h3 got after-heal', () => texts(h3, T).includes('after-heal'));
  });

  test("a one-sided block refuses the peer's re-dials until lifted", async () => {
    await h1.host.blockPeer(h2.id.peerId);
    await waitFor('h2 has retried h1 at least twice', () => {
      const s = h2.host.stats().redial.find((r) => r.peerId === h1.id.peerId);
      return s !== undefined && s.attempt >= 2;
    });
    expect(h1.host.connectedPeers()).not.toContain(h2.id.peerId);
    h1.host.unblockPeer(h2.id.peerId);
    await waitFor('h1 and h2 reconnected', () => h1.host.connectedPeers().includes(h2.id.peerId));
  });

  test('a restarted node keeps its peer id and is re-dialled by the others', async () => {
    const oldId = h3.id.peerId;
    const h1Connects = h1.connects.filter((p) => p === oldId).length;
    await h3.host.stop();
    await waitFor('h1 and h2 noticed', () => [h1, h2].every((h) => !h.host.connectedPeers().includes(oldId)));
    const id = await loadOrCreateIdentity(h3.dir);
    expect(id.created).toBe(false);
    expect(id.peerId).toBe(oldId);
    const fresh = await startNode({ ...h3, id, seen: new Map(), connects: [] }, roster, [T]);
    running.push(fresh.host);
    expect(fresh.host.peerId).toBe(oldId);
    await waitFor('h1 and h2 re-dialled the restarted node', () =>
      [h1, h2].every((h) => h.host.connectedPeers().includes(oldId)),
    );
    expect(h1.connects.filter((p) => p === oldId).length).toBeGreaterThan(h1Connects);
    await waitFor('fresh node sees h1 on the topic', () => fresh.host.getTopicPeers(T).includes(h1.id.peerId));
    await fresh.host.publish(T, enc('after-restart'));
    await waitFor('h1 got after-restart', () => texts(h1, T).includes('after-restart'));
  });
});
