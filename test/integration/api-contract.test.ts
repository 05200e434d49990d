// The API others build on (README "API"): /openapi.json lists every route Fastify serves, with the
// zod schemas' parameters; CORS on the read routes only; one error shape; and the typed client,
// imported by package name ('chorus', through package.json "exports": needs `npm run build`),
// against a node running in this process over real HTTP and LevelDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { initDataDir } from '../../src/operator/init.js';
import { loadConfig } from '../../src/config/config.js';
import { ChorusNode } from '../../src/node/node.js';
import { tempDir } from '../support/tmp.js';
import { hex32, http } from '../support/http.js';
import { CLI } from '../support/node-process.js';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson, stringifyJson } from '../../src/util/json.js';

/** The built CLI, run without blocking this process (the node under test lives here). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('error', reject);
    p.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const NS = 'log.example';
const BIG = 2n ** 63n + 5n; // beyond 2^53: must stay exact end to end

/** Fastify's own route table (from printRoutes), as "METHOD /path" with :params. */
function fastifyRoutes(tree: string): Set<string> {
  const out = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)(?:├── |└── )(.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    stack.push(m[2] as string);
    const path = stack.join('');
    for (const method of (m[3] as string).split(', ')) out.add(`${method} ${path}`);
  }
  return out;
}

describe('API contract', () => {
  const tmp = tempDir();
  let node: ChorusNode;
  let url = '';
  let token = '';

  beforeAll(async () => {
    const init = await initDataDir({ dataDir: tmp.dir, namespaces: [NS], httpPort: 0 });
    node = await ChorusNode.create(loadConfig(init.config), { logger: pino({ level: 'silent' }) });
    url = await node.listen();
    token = init.tokens[NS] as string;
    const r = await http(`${url}/namespaces/${NS}/audits`, { body: { epoch: BIG, digest: hex32(7) }, token });
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await node?.close();
    tmp.cleanup();
  });

  it('/openapi.json is OpenAPI 3.1 and lists exactly the routes Fastify serves', async () => {
    const r = await http(`${url}/openapi.json`);
    expect(r.status).toBe(200);
    const doc = r.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops))
        documented.add(`${method.toUpperCase()} ${path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1')}`);
    }
    const served = [...fastifyRoutes(node.http.printRoutes({ commonPrefix: false }))].filter(
      (r) => !r.startsWith('HEAD ') && !r.startsWith('OPTIONS '),
    );
    expect(served.length).toBeGreaterThan(20);
    // Routes sharing a parameter position print it with every name (`/:epoch|:originHash/…`): such a
    // segment stands for any one of its names.
    const pattern = (route: string) =>
      new RegExp(
        `^${route
          .split(/(:[A-Za-z0-9_]+(?:\|:[A-Za-z0-9_]+)+)/)
          .map((part, i) => (i % 2 ? `(?:${part})` : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('')}$`,
      );
    const matches = (servedRoute: string, doc: string) =>
      servedRoute.includes('|') ? pattern(servedRoute).test(doc) : servedRoute === doc;
    for (const route of served)
      expect(
        [...documented].some((d) => matches(route, d)),
        route,
      ).toBe(true);
    for (const route of documented)
      expect(
        served.some((r) => matches(r, route)),
        route,
      ).toBe(true);
  });

  it('the document carries the zod schemas: path, query and body', async () => {
    const doc = (await http(`${url}/openapi.json`)).body as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
            requestBody?: {
              content: Record<
                string,
                { schema: { properties: Record<string, Record<string, unknown>>; required: string[] } }
              >;
            };
          }
        >
      >;
    };
    const alerts = doc.paths['/alerts']?.get?.parameters ?? [];
    const type = alerts.find((p) => p.name === 'type');
    expect(type?.in).toBe('query');
    expect(type?.schema.enum).toContain('equivocation');
    const submit = doc.paths['/namespaces/{ns}/audits']?.post;
    expect(submit?.parameters?.map((p) => [p.name, p.in, p.required])).toEqual([['ns', 'path', true]]);
    const body = submit?.requestBody?.content['application/json']?.schema;
    expect(body?.properties.epoch?.type).toBe('integer');
    expect(body?.required).toEqual(expect.arrayContaining(['epoch', 'digest']));
    // A route without a schema still gets its path parameters.
    expect(doc.paths['/dashboard/{file}']?.get?.parameters?.[0]?.name).toBe('file');
  });

  it('CORS: read routes are open to any origin; admin, metrics and writes are not', async () => {
    expect((await http(`${url}/info`)).headers.get('access-control-allow-origin')).toBe('*');
    expect((await http(`${url}/namespaces/${NS}/audits/${BIG}`)).headers.get('access-control-allow-origin')).toBe('*');
    expect((await http(`${url}/metrics`)).headers.get('access-control-allow-origin')).toBeNull();
    // The event stream writes its own headers; it carries CORS too.
    const abort = new AbortController();
    const events = await fetch(`${url}/events`, { signal: abort.signal });
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    expect(events.headers.get('access-control-allow-origin')).toBe('*');
    abort.abort();
    const write = await http(`${url}/namespaces/${NS}/audits`, {
      body: { epoch: BIG + 1n, digest: hex32(8) },
      token: 'wrong',
    });
    expect(write.status).toBe(401);
    expect(write.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${url}/namespaces/${NS}/epochs/1`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.org', 'access-control-request-method': 'GET' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
    const admin = await fetch(`${url}/admin/proofs/prune`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' },
    });
    expect(admin.status).toBe(404);
    expect(admin.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('every error is {"error": kebab-case code, "message"}', async () => {
    const cases = [
      [await http(`${url}/no/such/route/here`), 404],
      [
        await http(`${url}/namespaces/${NS}/audits`, {
          rawBody: 'x',
          headers: { 'content-type': 'text/plain' },
          token,
        }),
        415,
      ],
      [
        await http(`${url}/namespaces/${NS}/audits`, {
          rawBody: `{"epoch": 1, "digest": "${'a'.repeat(64 * 1024)}"}`,
          token,
        }),
        413,
      ],
      [await http(`${url}/namespaces/${NS}/audits`, { rawBody: '{"epoch": ', token }), 400],
      [await http(`${url}/namespaces/${NS}/audits`, { body: { epoch: -1n, digest: 'zz' }, token }), 400],
      [await http(`${url}/alerts?limit=0`), 400],
      [await http(`${url}/namespaces/${NS}/audits/not-a-number`), 400],
      [await http(`${url}/namespaces/nope/last-verified-epoch`), 404],
      [await http(`${url}/admin/proofs/prune`, { body: {} }), 401],
    ] as const;
    for (const [r, status] of cases) {
      expect(r.status, r.text).toBe(status);
      expect(r.body.error, r.text).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(typeof r.body.message, r.text).toBe('string');
      expect(Object.keys(r.body).slice(0, 2)).toEqual(['error', 'message']);
    }
  });

  it("the typed client, imported as 'chorus', reads the node with exact u64", async () => {
    // By package name, as a monitor would; typed from the source so typecheck needs no dist/.
    const pkg = 'chorus';
    const chorus = (await import(pkg)) as typeof import('../../src/client/index.js');
    const client = new chorus.ChorusClient(url);
    const info = await client.info();
    expect(info.logs).toEqual([NS]);
    expect(typeof info.keys[0]?.not_before).toBe('bigint');
    const sig = await client.signature(NS, BIG);
    expect(sig.epoch).toBe(BIG);
    expect(sig.digest).toBe(hex32(7));
    expect(typeof sig.timestamp).toBe('bigint');
    const view = await client.epoch(NS, BIG);
    expect(view.epoch).toBe(BIG);
    expect(view.digests.map((d) => d.digest)).toEqual([hex32(7)]);
    expect(await client.namespaces()).toHaveLength(1);
    expect(await client.equivocations({ namespace: NS })).toEqual([]);
    expect(Array.isArray(await client.alerts({ limit: 5 }))).toBe(true);
    expect((await client.openApi()).openapi).toBe('3.1.0');
    // Errors are typed, with the node's code.
    const err = await client.signature(NS, BIG + 1n).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(chorus.ChorusApiError);
    expect(err).toMatchObject({ status: 404, code: 'not-found' });
    const unknown = await client.lastVerifiedEpoch('nope').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 404, code: 'unknown-namespace' });
    // An unreachable node is a transport error, not an API answer.
    const closed = new chorus.ChorusClient('http://127.0.0.1:1', { timeoutMs: 2_000 });
    expect(await closed.info().catch((e: unknown) => e)).toBeInstanceOf(chorus.HttpClientError);
  });

  it("chorus cosignatures goes through the client: a co-signed epoch checks, a missing one is the node's typed error", async () => {
    const info = (await http(`${url}/info`)).body as { keys: { public_key: string }[] };
    const roster = join(tmp.dir, 'roster.json');
    writeFileSync(
      roster,
      stringifyJson({
        network: 'api-test',
        threshold: 1,
        auditors: [{ name: 'self', public_key: info.keys[0]?.public_key }],
        namespaces: [{ name: NS }],
      }),
    );
    const ok = await cli([
      'cosignatures',
      '--remote-url',
      url,
      '--namespace',
      NS,
      '--epoch',
      String(BIG),
      '--roster',
      roster,
      '--json',
    ]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(parseJson(ok.stdout)).toMatchObject({ epoch: BIG, digest: hex32(7), quorum: true, threshold: 1n });
    const missing = await cli([
      'cosignatures',
      '--remote-url',
      url,
      '--namespace',
      NS,
      '--epoch',
      '3',
      '--roster',
      roster,
    ]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('HTTP 404 not-found');
  });
});
