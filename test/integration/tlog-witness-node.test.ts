// One node (in this process, real LevelDB and HTTP) witnessing a tlog namespace without a network
// (docs/c2sp.md, "Chorus as a tlog witness"): it cosigns under its local roster, serves the cosigned
// note at the monitoring path, keeps its record across a restart, refuses epoch routes for the tlog
// namespace, and a log-signed other root at a cosigned size (a 422) becomes a log-equivocation proof.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointPath,
  consistencyProof,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatAddCheckpointRequest,
  formatCheckpoint,
  leafHash,
  openNote,
  rootOf,
  signNote,
} from '../../src/c2sp/index.js';
import { configFromObject } from '../../src/config/config.js';
import { tlogFormat } from '../../src/formats/tlog/index.js';
import { ChorusNode } from '../../src/node/node.js';
import { initDataDir } from '../../src/operator/init.js';
import { http } from '../support/http.js';
import { stringifyJson } from '../../src/util/json.js';
import { tempDir } from '../support/tmp.js';

const ORIGIN = 'example.com/solo-log';
const log = ed25519NoteSigner(ORIGIN, new Uint8Array(32).fill(21));
const enc = new TextEncoder();
const leaves = Array.from({ length: 10 }, (_, i) => leafHash(enc.encode(`e${i}`)));
const forked = leaves.map((l, i) => (i === 1 ? leafHash(enc.encode('other')) : l));

function body(oldSize: number, size: number, tree = leaves): string {
  const text = formatCheckpoint({
    origin: ORIGIN,
    size: BigInt(size),
    rootHash: rootOf(tree.slice(0, size)),
    extensions: [],
  });
  const proof = oldSize === 0 || oldSize === size ? [] : consistencyProof(tree.slice(0, size), oldSize);
  return formatAddCheckpointRequest(BigInt(oldSize), proof, signNote(text, [log]));
}

describe('a single node witnessing a tlog namespace', () => {
  const tmp = tempDir();
  let node: ChorusNode | undefined;
  let url = '';
  let config: ReturnType<typeof configFromObject>;

  const start = async () => {
    node = await ChorusNode.create(config, { logger: pino({ level: 'silent' }) });
    url = await node.listen();
  };
  const post = (b: string) => http(`${url}/add-checkpoint`, { rawBody: b, headers: { 'content-type': 'text/plain' } });

  beforeAll(async () => {
    const init = await initDataDir({ dataDir: tmp.dir, namespaces: ['kt.example'], httpPort: 0 });
    const doc = parseYaml(readFileSync(init.config, 'utf8'), { intAsBigInt: true }) as { namespaces: unknown[] };
    doc.namespaces.push({ name: 'solo', log_format: 'tlog', origin: ORIGIN, log_vkeys: [log.vkey] });
    config = configFromObject(doc, init.config);
    await start();
  }, 60_000);
  afterAll(async () => {
    await node?.close();
    tmp.cleanup();
  });

  it('cosigns, serves the note at the monitoring path, and keeps its record across a restart', async () => {
    expect((await post(body(0, 4))).status).toBe(200);
    expect((await post(body(4, 7))).status).toBe(200);
    const served = await http(`${url}/${checkpointPath(ORIGIN)}`);
    expect(served.status).toBe(200);
    expect(served.text.startsWith(`${ORIGIN}\n7\n`)).toBe(true);
    expect(openNote(served.text, [ed25519NoteVerifier(log.vkey)]).verified).toHaveLength(1);
    expect(served.text.split('\n— ').length - 1).toBe(2); // the log's signature and this node's cosignature
    await node?.close();
    node = undefined;
    await start();
    const stale = await post(body(4, 9));
    expect(stale.status).toBe(409);
    expect(stale.text).toBe('7\n');
    const logs = await http(`${url}/witness/logs`);
    expect(logs.body.logs).toMatchObject([{ namespace: 'solo', origin: ORIGIN, cosigned: { size: 7n } }]);
  }, 60_000);

  it('GET /witness/logs names the format from its descriptor and counts the cosigners held (documented)', async () => {
    const logs = (await http(`${url}/witness/logs`)).body.logs as Record<string, unknown>[];
    expect(logs).toHaveLength(1);
    // The log format and its label come from the registry's tlog descriptor; this node alone cosigned size 7.
    expect(logs[0]).toMatchObject({
      namespace: 'solo',
      log_format: tlogFormat.id,
      log_format_label: tlogFormat.describe.label,
      cosignatures: 1n,
      cosigned: { size: 7n },
    });
    const served = await http(`${url}${logs[0]?.checkpoint_path as string}`);
    expect(served.text.startsWith(`${ORIGIN}\n7\n`)).toBe(true);
    // GET /namespaces stays Plexi's epoch namespaces only.
    const list = (await http(`${url}/namespaces`)).body.namespaces as { name: string; log_format: string }[];
    expect(list.map((n) => [n.name, n.log_format])).toEqual([['kt.example', 'akd']]);
    const doc = (await http(`${url}/openapi.json`)).body as {
      paths: Record<string, { get: { responses: Record<string, { content?: Record<string, { schema: unknown }> }> } }>;
    };
    const schema = stringifyJson(doc.paths['/witness/logs']?.get.responses['200']?.content?.['application/json']);
    for (const field of ['log_format', 'log_format_label', 'cosignatures', 'checkpoint_path'])
      expect(schema).toContain(`"${field}"`);
  });

  it('the tlog namespace has no epoch side', async () => {
    const r = await http(`${url}/namespaces/solo`);
    expect(r.status).toBe(404);
    const list = (await http(`${url}/namespaces`)).body.namespaces as { name: string }[];
    expect(list.map((n) => n.name)).toEqual(['kt.example']);
    // No token for it exists: pushing an epoch is refused as for any namespace the node does not sign.
    const push = await http(`${url}/namespaces/solo/audits`, { body: { epoch: 1n, digest: 'ab'.repeat(32) } });
    expect(push.status).toBe(404);
  });

  it('another root at a cosigned size is a 422 and a log-equivocation proof', async () => {
    const fork = await post(body(7, 7, forked));
    expect(fork.status).toBe(422);
    const r = await http(`${url}/checkpoints/equivocations`);
    const list = r.body.equivocations as { kind: string; origin: string; size: bigint }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'log-equivocation', origin: ORIGIN, size: 7n });
    // Answers since the restart, by status; the statuses not seen are 0.
    const metrics = (await http(`${url}/metrics`)).text;
    expect(metrics).toContain('chorus_witness_requests_total{status="409"} 1');
    expect(metrics).toContain('chorus_witness_requests_total{status="422"} 1');
    expect(metrics).toContain('chorus_witness_requests_total{status="200"} 0');
  });
});
