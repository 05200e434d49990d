// The dashboard's history endpoints (src/api/history-routes.ts) on a node running in this process
// over real HTTP and real LevelDB: pages of epoch views and of equivocation proofs, newest first,
// that together list everything exactly once; exact u64; bad queries are 400s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { initDataDir } from '../../src/operator/init.js';
import { loadConfig } from '../../src/config/config.js';
import { ChorusNode } from '../../src/node/node.js';
import { createServer } from '../../src/api/server.js';
import { registerHistoryRoutes } from '../../src/api/history-routes.js';
import { Roster } from '../../src/consensus/roster.js';
import { makeEquivocationProof } from '../../src/consensus/equivocation.js';
import type { Observation } from '../../src/consensus/observation.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { U64_MAX } from '../../src/util/u64.js';
import { tempDir } from '../support/tmp.js';
import { hex32, http } from '../support/http.js';

const NS = 'log.example';
const OTHER = 'other.example';
const others = [2, 3].map((i) => signingKeyFromSeed(new Uint8Array(32).fill(i)));

function observe(
  key: (typeof others)[number],
  ns: string,
  epoch: bigint,
  digest: number,
  timestamp = 1_000n,
): Observation {
  const m = { ciphersuite: 1, namespace: ns, timestamp, epoch, digest: new Uint8Array(32).fill(digest) };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
}

interface EpochJson {
  epoch: bigint;
  equivocated: boolean;
  incomplete?: boolean;
  digests: { digest: string; signers: { signer_key: string; timestamp: bigint; signature: string }[] }[];
  proofs: string[];
}

describe('history endpoints', () => {
  const tmp = tempDir();
  let node: ChorusNode;
  let url = '';
  let small: FastifyInstance;
  let smallUrl = '';
  const proofIds = new Map<bigint, string>();

  beforeAll(async () => {
    const init = await initDataDir({ dataDir: tmp.dir, namespaces: [NS, OTHER], httpPort: 0 });
    node = await ChorusNode.create(loadConfig(init.config), { logger: pino({ level: 'silent' }) });
    url = await node.listen();
    const token = init.tokens[NS] as string;
    // Epochs 1..25 signed by the node itself; another auditor agrees on every one, a third
    // signs another digest at 10 and 20 (a split view, with its proof).
    for (let e = 1n; e <= 25n; e++) {
      const r = await http(`${url}/namespaces/${NS}/audits`, {
        body:
          e === 1n
            ? { epoch: e, digest: hex32(Number(e)) }
            : { epoch: e, digest: hex32(Number(e)), previous: hex32(Number(e - 1n)) },
        token,
      });
      expect(r.status).toBe(200);
      await node.observations.storeObservation(observe(others[0]!, NS, e, Number(e), 1_000n + e));
      if (e % 10n === 0n) {
        const a = observe(others[0]!, NS, e, Number(e));
        const b = observe(others[1]!, NS, e, 0xee);
        await node.observations.storeObservation(b);
        const { stored } = await node.observations.storeProof(
          makeEquivocationProof(a, b),
          'split-view',
          ['org2', 'org3'],
          5_000n + e,
        );
        proofIds.set(e, stored.id);
      }
    }
    // An observation at the largest u64 epoch: it must come back exact.
    await node.observations.storeObservation(observe(others[1]!, NS, U64_MAX, 0x77, U64_MAX));
    // 23 more proofs at epochs 100..122 (split views between the two other auditors), and one in another namespace.
    for (let e = 100n; e < 123n; e++) {
      const a = observe(others[0]!, NS, e, 0xa0);
      const b = observe(others[1]!, NS, e, 0xb0);
      await node.observations.storeObservation(a);
      await node.observations.storeObservation(b);
      const { stored } = await node.observations.storeProof(
        makeEquivocationProof(a, b),
        'split-view',
        ['org2', 'org3'],
        6_000n + e,
      );
      proofIds.set(e, stored.id);
    }
    // In the other namespace: epoch 50 with six signers (more than the tiny scan bound below), and epoch 49.
    for (let i = 10; i < 16; i++)
      await node.observations.storeObservation(observe(signingKeyFromSeed(new Uint8Array(32).fill(i)), OTHER, 50n, 5));
    await node.observations.storeObservation(observe(others[0]!, OTHER, 49n, 4));
    const x = observe(others[0]!, OTHER, 7n, 1);
    const y = observe(others[1]!, OTHER, 7n, 2);
    await node.observations.storeProof(makeEquivocationProof(x, y), 'split-view', ['org2', 'org3'], 1n);
    // The same routes with a tiny scan bound, to see a page cut short.
    ({ app: small } = await createServer({
      logger: pino({ level: 'silent' }),
      bodyLimitBytes: 1024,
      rateLimit: { max: 1000, windowMs: 60_000 },
    }));
    registerHistoryRoutes(small, {
      signingService: node.signingService,
      observations: node.observations,
      roster: new Roster('t', 1, [], []),
      maxScan: 5,
    });
    smallUrl = await small.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await small?.close();
    await node?.close();
    tmp.cleanup();
  });

  const pages = async (base: string, limit: number): Promise<EpochJson[][]> => {
    const out: EpochJson[][] = [];
    let before: bigint | null | undefined;
    do {
      const r = await http(
        `${base}/namespaces/${NS}/history?limit=${limit}${before === undefined ? '' : `&before=${before}`}`,
      );
      expect(r.status).toBe(200);
      out.push(r.body.epochs as EpochJson[]);
      before = r.body.next_before as bigint | null;
      expect(out.length).toBeLessThan(100);
    } while (before !== null);
    return out;
  };

  it('pages through every observed epoch once, newest first, u64 exact', async () => {
    const list = await pages(url, 10);
    expect(list.map((p) => p.length)).toEqual([10, 10, 10, 10, 9]);
    const epochs = list.flat().map((e) => e.epoch);
    const want = [
      U64_MAX,
      ...Array.from({ length: 23 }, (_, i) => 122n - BigInt(i)),
      ...Array.from({ length: 25 }, (_, i) => 25n - BigInt(i)),
    ];
    expect(epochs).toEqual(want);
    expect(typeof epochs[0]).toBe('bigint');
    const top = list[0]![0]!;
    expect(top.digests[0]!.signers[0]!.timestamp).toBe(U64_MAX);
    // Epoch 20: two digests, the node's own and another auditor's on the majority one, and the proof.
    const e20 = list.flat().find((e) => e.epoch === 20n)!;
    expect(e20.equivocated).toBe(true);
    expect(e20.digests.map((d) => d.digest)).toEqual([hex32(20), hex32(0xee)]);
    expect(e20.digests[0]!.signers).toHaveLength(2);
    expect(e20.proofs).toEqual([proofIds.get(20n)]);
    const e19 = list.flat().find((e) => e.epoch === 19n)!;
    expect(e19).toMatchObject({ equivocated: false, proofs: [] });
    expect(e19.digests).toHaveLength(1);
    // The same answer as the single-epoch endpoint.
    const single = await http(`${url}/namespaces/${NS}/epochs/20`);
    expect(single.body.digests).toEqual(e20.digests.map((d) => ({ ...d, signers: d.signers.map((s) => ({ ...s })) })));
  });

  it('starts a page below `before`, and says when there is nothing older', async () => {
    const r = await http(`${url}/namespaces/${NS}/history?before=3&limit=5`);
    expect((r.body.epochs as EpochJson[]).map((e) => e.epoch)).toEqual([2n, 1n]);
    expect(r.body.next_before).toBeNull();
    const none = await http(`${url}/namespaces/${NS}/history?before=1`);
    expect(none.body).toEqual({ namespace: NS, epochs: [], next_before: null });
    const other = await http(`${url}/namespaces/${OTHER}/history`);
    expect((other.body.epochs as EpochJson[]).map((e) => [e.epoch, e.digests[0]!.signers.length])).toEqual([
      [50n, 6],
      [49n, 1],
    ]);
    const max = await http(`${url}/namespaces/${NS}/history?before=18446744073709551615&limit=1`);
    expect((max.body.epochs as EpochJson[])[0]!.epoch).toBe(122n);
  });

  it('cuts a page at the scan bound without losing or repeating an epoch', async () => {
    // Each epoch of 100..122 holds two observations; a bound of 5 fits two whole epochs.
    const list = await pages(smallUrl, 10);
    const epochs = list.flat().map((e) => e.epoch);
    expect(new Set(epochs).size).toBe(epochs.length);
    expect(epochs).toHaveLength(49);
    expect(list.flat().filter((e) => e.incomplete)).toEqual([]);
    expect(Math.max(...list.map((p) => p.length))).toBeLessThanOrEqual(3);
    // One epoch larger than the bound: listed as far as read, marked, and the next page goes on below it.
    const first = await http(`${smallUrl}/namespaces/${OTHER}/history`);
    const big = (first.body.epochs as EpochJson[])[0]!;
    expect([big.epoch, big.incomplete, big.digests[0]!.signers.length]).toEqual([50n, true, 5]);
    expect(first.body.next_before).toBe(50n);
    const second = await http(`${smallUrl}/namespaces/${OTHER}/history?before=50`);
    expect((second.body.epochs as EpochJson[]).map((e) => e.epoch)).toEqual([49n]);
    expect(second.body.next_before).toBeNull();
  });

  it('pages through every equivocation proof of a namespace with its total', async () => {
    const seen: { id: string; epoch: bigint; namespace: string }[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const r = await http(`${url}/namespaces/${NS}/equivocations?limit=10${cursor ? `&before=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(25n);
      const page = r.body.equivocations as { id: string; epoch: bigint; namespace: string }[];
      sizes.push(page.length);
      seen.push(...page);
      cursor = r.body.next as string | null;
    } while (cursor !== null);
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen.every((p) => p.namespace === NS)).toBe(true);
    expect(seen.map((p) => p.epoch)).toEqual([...proofIds.keys()].sort((a, b) => (a < b ? 1 : -1)));
    expect(seen.map((p) => p.id)).toEqual(seen.map((p) => proofIds.get(p.epoch)));
    const other = await http(`${url}/namespaces/${OTHER}/equivocations`);
    expect(other.body.total).toBe(1n);
  });

  it('answers bad queries with 400 and unknown namespaces with 404', async () => {
    const bad: [string, number, string][] = [
      [`/namespaces/${NS}/history?before=abc`, 400, 'bad-epoch'],
      [`/namespaces/${NS}/history?before=18446744073709551616`, 400, 'bad-epoch'],
      [`/namespaces/${NS}/history?limit=0`, 400, 'invalid-request'],
      [`/namespaces/${NS}/history?limit=101`, 400, 'invalid-request'],
      [`/namespaces/${NS}/history?cursor=1`, 400, 'invalid-request'],
      [`/namespaces/nope/history`, 404, 'unknown-namespace'],
      [`/namespaces/${NS}/equivocations?before=12`, 400, 'bad-cursor'],
      [`/namespaces/${NS}/equivocations?before=99999999999999999999-${'a'.repeat(64)}`, 400, 'bad-cursor'],
      [`/namespaces/${NS}/equivocations?limit=201`, 400, 'invalid-request'],
      [`/namespaces/nope/equivocations`, 404, 'unknown-namespace'],
    ];
    for (const [path, status, code] of bad) {
      const r = await http(`${url}${path}`);
      expect([path, r.status, r.body.error]).toEqual([path, status, code]);
    }
  });
});
