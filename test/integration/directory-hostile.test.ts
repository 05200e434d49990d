// "A log cannot hurt the node": a directory source polling a hostile S3 stand-in. Each misbehaviour
// is refused with a clear log line or alert, nothing is signed from it, memory stays bounded and
// the HTTP API keeps answering; once the stand-in behaves, the node signs as usual.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticLog, type SyntheticLogSummary } from '../../src/akd-runtime/log-writer.js';
import { loadConfig } from '../../src/config/config.js';
import { initDataDir } from '../../src/operator/init.js';
import { ChorusNode } from '../../src/node/node.js';
import { http } from '../support/http.js';
import { waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';

const NS = 'hostile.example';
type Mode = 'bomb' | 'endless' | 'redirect' | 'malformed' | 'dupes' | 'honest';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const listing = (keys: string[]) =>
  `<ListBucketResult><IsTruncated>false</IsTruncated>${keys.map((k) => `<Contents><Key>${esc(k)}</Key></Contents>`).join('')}</ListBucketResult>`;

describe('a directory source against a hostile stand-in', () => {
  const tmp = tempDir();
  const bucket = join(tmp.dir, 'bucket');
  let log: SyntheticLogSummary;
  let mode: Mode = 'bomb';
  const requests: { mode: Mode; url: string }[] = [];
  const elsewhere: string[] = [];
  let server: Server;
  let other: Server;
  let url = '';
  let otherUrl = '';
  let node: ChorusNode;
  let api = '';
  let adminToken = '';
  const logLines: Record<string, unknown>[] = [];
  // 512 gzip members of 1 MiB of zeros each (gunzip reads concatenated members): ~0.5 MB that
  // inflates to 512 MiB, built without ever holding the 512 MiB.
  const member = gzipSync(Buffer.alloc(1 << 20));
  const bomb = Buffer.concat(Array<Buffer>(512).fill(member));

  const extra = new Map<string, Uint8Array>();
  // The log's last epoch is held back until the fork test.
  const hidden = new Set<string>();
  let shown: SyntheticLogSummary['epochs'] = [];
  const keysFor = (prefix: string) =>
    [...log.epochs.map((e) => e.blob_name), ...extra.keys()].filter((k) => k.startsWith(prefix) && !hidden.has(k));

  function honest(u: URL, res: ServerResponse): void {
    if (u.searchParams.get('list-type') === '2') {
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(
          listing(keysFor(u.searchParams.get('prefix') ?? '').slice(0, Number(u.searchParams.get('max-keys') ?? 1000))),
        );
      return;
    }
    const key = decodeURIComponent(u.pathname.slice(1));
    if (!keysFor('').includes(key)) return void res.writeHead(404).end();
    res.writeHead(200).end(extra.get(key) ?? readFileSync(join(bucket, ...key.split('/'))));
  }

  beforeAll(async () => {
    log = await writeSyntheticLog({
      out: bucket,
      configuration: { name: 'whatsapp_v1' },
      epochs: 3,
      inserts: 10,
      base: 20,
      seed: 'hostile',
    }); // epochs 1 (base) to 4
    hidden.add(log.epochs[3]!.blob_name);
    shown = log.epochs.slice(0, 3);
    other = createServer((req, res) => {
      elsewhere.push(req.url ?? '');
      res.end(listing(keysFor('')));
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    otherUrl = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      requests.push({ mode, url: req.url ?? '' });
      const isList = u.searchParams.get('list-type') === '2';
      switch (mode) {
        case 'bomb':
          if (isList)
            return void res
              .writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(bomb.length) })
              .end(bomb);
          break;
        case 'endless': {
          if (!isList) break;
          // Chunked, no length, never ending: an endless listing of one key.
          res.writeHead(200, { 'content-type': 'application/xml' });
          res.write('<ListBucketResult><IsTruncated>true</IsTruncated>');
          const chunk = `<Contents><Key>1/${'a'.repeat(64)}/${'b'.repeat(64)}</Key></Contents>`.repeat(500);
          const pump = () => {
            while (!res.destroyed && res.write(chunk));
            if (!res.destroyed) res.once('drain', pump);
          };
          pump();
          return;
        }
        case 'redirect':
          return void res.writeHead(302, { location: `${otherUrl}${req.url}` }).end();
        case 'malformed':
          if (isList) {
            const prefix = u.searchParams.get('prefix') ?? '';
            const keys = keysFor(prefix).map((k) => k.toUpperCase());
            return void res.writeHead(200).end(listing(keys));
          }
          break;
        case 'dupes':
          if (isList) {
            const keys = keysFor(u.searchParams.get('prefix') ?? '');
            return void res.writeHead(200).end(listing(Array<string[]>(500).fill(keys).flat()));
          }
          break;
        case 'honest':
          break;
      }
      honest(u, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const init = await initDataDir({
      dataDir: join(tmp.dir, 'node'),
      namespaces: [NS],
      httpPort: 0,
      namespaceSettings: { source: 'directory', proofDirectory: url, pollIntervalSeconds: 1 },
    });
    adminToken = init.adminToken;
    const config = loadConfig(init.config);
    config.namespaces[0] = { ...config.namespaces[0]!, startAt: 1n };
    const logger = pino(
      { level: 'info' },
      { write: (s: string) => void logLines.push(JSON.parse(s) as Record<string, unknown>) },
    );
    node = await ChorusNode.create(config, { logger });
    api = await node.listen();
  }, 120_000);

  afterAll(async () => {
    await node?.close();
    server.closeAllConnections();
    other.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => other.close(() => r()));
    tmp.cleanup();
  });

  const signedRoot = async () => (await http(`${api}/namespaces/${NS}/audits/0`)).status;
  const failures = (what: RegExp) =>
    logLines.filter((l) => l.event === 'directory-poll-failed' && what.test(String(l.err)));

  /** The API answers within a second while the source fights the stand-in. */
  async function apiStaysResponsive(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      expect((await http(`${api}/healthz`)).status).toBe(200);
      expect(performance.now() - t0).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('a gzip bomb listing is refused after the decoded-byte limit; memory stays bounded', async () => {
    await waitFor('the bomb refused', async () => failures(/after decompression/).length >= 2, 20_000);
    await apiStaysResponsive();
    expect(process.memoryUsage().rss).toBeLessThan(512 << 20);
    expect(await signedRoot()).toBe(404);
  });

  it('an endless chunked listing is cut at the byte limit', async () => {
    mode = 'endless';
    const before = failures(/over \d+ bytes/).length;
    await waitFor('the endless listing cut', async () => failures(/over \d+ bytes/).length >= before + 2, 20_000);
    await apiStaysResponsive();
    expect(await signedRoot()).toBe(404);
  });

  it('a redirect to another origin is not followed', async () => {
    mode = 'redirect';
    await waitFor('the redirect refused', async () => failures(/another origin/).length >= 1, 20_000);
    expect(elsewhere).toEqual([]);
    expect(await signedRoot()).toBe(404);
  });

  it('malformed keys (upper-case hex) raise an alert with a count and examples instead of a silent stall', async () => {
    mode = 'malformed';
    const alert = await waitFor(
      'malformed-key alert',
      async () => {
        const r = await http(`${api}/alerts?type=validation-failed`);
        return (r.body.alerts as Record<string, unknown>[]).find((a) => String(a.reason).includes('malformed key'));
      },
      20_000,
    );
    expect(alert).toMatchObject({ namespace: NS, epoch: 1n, count: 1n });
    expect(alert.examples).toEqual([log.epochs[0]!.blob_name.toUpperCase()]);
    expect(await signedRoot()).toBe(404);
  });

  it('repeated keys count once; with honest answers the node signs every epoch', async () => {
    mode = 'dupes';
    const head = BigInt(shown.at(-1)!.epoch);
    await waitFor(
      `epoch ${head} verified`,
      async () => {
        const r = await http(`${api}/namespaces/${NS}/last-verified-epoch`);
        return r.status === 200 && r.body.epoch === head;
      },
      30_000,
    );
    for (const e of shown)
      expect((await http(`${api}/namespaces/${NS}/audits/${e.epoch}`)).body.digest).toBe(e.blob_name.split('/')[2]);
    // While it caught up from epoch 1, it said how far behind the directory head it was.
    const line = logLines.find((l) => l.event === 'directory-catching-up');
    expect(line).toMatchObject({ namespace: NS, head: String(head), behind: expect.stringMatching(/^[12]$/) });
    // No fork was alerted for the repeated key.
    const r = await http(`${api}/alerts?type=validation-failed`);
    expect(
      (r.body.alerts as Record<string, unknown>[]).some((a) => String(a.reason).includes('two different blobs')),
    ).toBe(false);
    // Every listing of the run asked for one epoch, at most two keys.
    expect(
      requests
        .filter((q) => q.url.includes('list-type=2'))
        .every((q) => /prefix=[0-9]+%2F/.test(q.url) && /max-keys=[12]\b/.test(q.url)),
    ).toBe(true);
  }, 40_000);

  it('a proof that fails is kept as evidence until the operator prunes it through the admin endpoint', async () => {
    mode = 'honest';
    const next = BigInt(shown.at(-1)!.epoch) + 1n;
    const bad = `${next}/${shown.at(-1)!.blob_name.split('/')[2]}/${'ab'.repeat(32)}`;
    extra.set(bad, new Uint8Array([1, 2, 3]));
    await waitFor(
      'the invalid proof kept as evidence',
      async () => (await node.proofs.file(bad))?.proof.evidence === true,
      20_000,
    );
    expect((await http(`${api}/namespaces/${NS}/audits/${next}`)).status).toBe(404);
    // Not served by the mirror: it is not a verified proof.
    expect((await http(`${api}/${bad}`)).status).toBe(404);
    const denied = await http(`${api}/admin/proofs/prune`, { body: { namespace: NS } });
    expect(denied.status).toBe(401);
    const r = await http(`${api}/admin/proofs/prune`, { body: { namespace: NS }, token: adminToken });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ namespace: NS, removed: 1n, examples: [bad] });
    expect(await node.proofs.file(bad)).toBeUndefined();
    expect((await node.proofs.filesOnDisk(NS)).every((f) => f.startsWith('kept/'))).toBe(true);
  });

  it('two blobs for one epoch: an alert naming both, neither signed, until the operator picks one', async () => {
    const honestBlob = log.epochs[3]!;
    const next = BigInt(honestBlob.epoch);
    const bad = [...extra.keys()][0]!;
    hidden.delete(honestBlob.blob_name);
    const fork = await waitFor(
      'the fork alert',
      async () => {
        const r = await http(`${api}/alerts?type=validation-failed`);
        return (r.body.alerts as Record<string, unknown>[]).find((a) =>
          String(a.reason).includes('two different blobs'),
        );
      },
      20_000,
    );
    expect(fork).toMatchObject({ namespace: NS, epoch: next });
    expect((fork.blob_names as string[]).sort()).toEqual([bad, honestBlob.blob_name].sort());
    await new Promise((r) => setTimeout(r, 1500)); // a round or two: still nothing signed
    expect((await http(`${api}/namespaces/${NS}/audits/${next}`)).status).toBe(404);
    const wrong = await http(`${api}/admin/directory/pick`, {
      body: { namespace: NS, epoch: String(next + 1n), blob_name: honestBlob.blob_name },
      token: adminToken,
    });
    expect(wrong.status).toBe(400);
    const picked = await http(`${api}/admin/directory/pick`, {
      body: { namespace: NS, epoch: String(next), blob_name: honestBlob.blob_name },
      token: adminToken,
    });
    expect(picked.status).toBe(200);
    const sig = await waitFor(
      'the picked blob signed',
      async () => {
        const r = await http(`${api}/namespaces/${NS}/audits/${next}`);
        return r.status === 200 ? r.body : false;
      },
      20_000,
    );
    expect(sig.digest).toBe(honestBlob.blob_name.split('/')[2]);
  });

  it('progress is exported as metrics', async () => {
    const text = (await http(`${api}/metrics`)).text;
    expect(text).toMatch(new RegExp(`chorus_directory_head_epoch\\{namespace="${NS.replace('.', '\\.')}"\\} 4\\b`));
    expect(text).toMatch(new RegExp(`chorus_directory_lag_epochs\\{namespace="${NS.replace('.', '\\.')}"\\} 0\\b`));
    expect(text).toMatch(/chorus_proof_bytes_downloaded_total\{namespace="hostile\.example"\} [1-9]/);
  });
});
