// Operators, clients and monitors (issue "Co-signatures … alerts for monitors"): co-signature
// bundles checked offline, a monitor process that sees a split view within seconds and posts it
// to a webhook once, liveness alerts, and offline proof verification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TestNetwork, waitFor } from '../support/network.js';
import { CLI, runCli } from '../support/node-process.js';
import { hex32 } from '../support/http.js';
import { tempDir } from '../support/tmp.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/util/bytes.js';

const NS = 'mon.example';

describe('co-signatures, monitors and alerts', () => {
  const tmp = tempDir();
  const net = new TestNetwork(tmp.dir, NS, 'monnet');
  let webhook: Server;
  let webhookUrl = '';
  const received: { body: Record<string, unknown>; key: string }[] = [];
  let monitor: ChildProcess;
  const monitorLines: Record<string, unknown>[] = [];
  const monitorStderr: string[] = [];

  beforeAll(async () => {
    await net.setup(3, 2);
    for (const n of net.nodes) {
      net.editConfig(n.name, (doc) => {
        (doc.namespaces as Record<string, unknown>[])[0]!.max_epoch_interval_seconds = 3n;
        doc.liveness = { check_interval_seconds: 1n, quorum_timeout_seconds: 600n, auditor_silence_seconds: 3600n };
      });
    }
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({
          body: parseJson(body) as Record<string, unknown>,
          key: String(req.headers['idempotency-key']),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    const a = webhook.address();
    webhookUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`;
    await net.startAll();
    // A roster auditor's address without /p2p/<id>: the monitor takes the peer id from the roster.
    const rosterDoc = parseJson(readFileSync(net.roster, 'utf8')) as { auditors: { addresses: string[] }[] };
    const bare = (rosterDoc.auditors[0]!.addresses[0] as string).replace(/\/p2p\/[^/]+$/, '');
    monitor = spawn(
      process.execPath,
      [
        CLI,
        'monitor',
        '--roster',
        net.roster,
        '--json',
        '--webhook',
        webhookUrl,
        '--bootstrap',
        bare,
        '--http-listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    createInterface({ input: monitor.stdout! }).on('line', (l) =>
      monitorLines.push(parseJson(l) as Record<string, unknown>),
    );
    createInterface({ input: monitor.stderr! }).on('line', (l) => monitorStderr.push(l));
    for (const n of net.nodes) expect((await net.submit(n.name, 1n, hex32(1))).status).toBe(200);
    await waitFor('epoch 1 co-signed by all three', async () => {
      const r = await net.get('org1', `/namespaces/${NS}/epochs/1/cosignatures`);
      return r.status === 200 && (r.body.cosignatures as unknown[]).length === 3;
    });
  }, 120_000);

  afterAll(async () => {
    monitor?.kill('SIGKILL');
    await net.stopAll();
    await new Promise<void>((r) => webhook.close(() => r()));
    tmp.cleanup();
  });

  it('GET cosignatures gives the CosignedEpoch JSON with names and the quorum, and protobuf on request', async () => {
    const r = await net.get('org2', `/namespaces/${NS}/epochs/1/cosignatures`);
    expect(r.body).toMatchObject({
      namespace: NS,
      epoch: 1n,
      digest: hex32(1),
      threshold: 2n,
      quorum: true,
      equivocated: false,
    });
    const sigs = r.body.cosignatures as { name: string; signer_key: string }[];
    expect(sigs.map((s) => s.name).sort()).toEqual(['org1', 'org2', 'org3']);
    const pb = await fetch(`${net.proc('org2').url}/namespaces/${NS}/epochs/1/cosignatures`, {
      headers: { accept: 'application/x-protobuf' },
    });
    expect(pb.headers.get('content-type')).toContain('application/x-protobuf');
    const bundleFile = join(tmp.dir, 'bundle.bin');
    writeFileSync(bundleFile, new Uint8Array(await pb.arrayBuffer()));
    expect(runCli(['verify-bundle', '--roster', net.roster, bundleFile]).status).toBe(0);
  });

  it('chorus cosignatures fetches and checks locally; verify-bundle counts only distinct, valid roster signatures', () => {
    const out = join(tmp.dir, 'bundle.json');
    const r = runCli([
      'cosignatures',
      '--remote-url',
      net.proc('org1').url,
      '--namespace',
      NS,
      '--epoch',
      '1',
      '--roster',
      net.roster,
      '--out',
      out,
      '--json',
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ quorum: true, threshold: 2 });
    expect(runCli(['verify-bundle', '--roster', net.roster, out]).status).toBe(0);
    expect(runCli(['verify-bundle', '--roster', net.roster, '--threshold', '3', out]).status).toBe(0);
    expect(runCli(['verify-bundle', '--roster', net.roster, '--threshold', '4', out]).status).toBe(1);

    const bundle = parseJson(readFileSync(out, 'utf8')) as { digest: string; cosignatures: Record<string, unknown>[] };
    const variant = (name: string, edit: (b: typeof bundle) => void): string => {
      const copy = parseJson(stringifyJson(bundle)) as typeof bundle;
      edit(copy);
      const f = join(tmp.dir, `${name}.json`);
      writeFileSync(f, stringifyJson(copy));
      return f;
    };
    const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    // One tampered signature: 2 valid left, so threshold 3 fails.
    const tampered = variant(
      'tampered',
      (b) => (b.cosignatures[0]!.signature = flip(String(b.cosignatures[0]!.signature))),
    );
    expect(runCli(['verify-bundle', '--roster', net.roster, '--threshold', '3', tampered]).status).toBe(1);
    expect(runCli(['verify-bundle', '--roster', net.roster, '--threshold', '2', tampered]).status).toBe(0);
    // The same signer three times counts once.
    const dup = variant('dup', (b) => (b.cosignatures = [b.cosignatures[0]!, b.cosignatures[0]!, b.cosignatures[0]!]));
    const d = runCli(['verify-bundle', '--roster', net.roster, '--threshold', '2', dup]);
    expect(d.status).toBe(1);
    expect(d.stdout).toContain('duplicate-signer');
    // A foreign key's valid signature does not count.
    const stranger = signingKeyFromSeed(new Uint8Array(32).fill(0x5a));
    const foreign = variant('foreign', (b) => {
      b.cosignatures = [b.cosignatures[0]!, { ...b.cosignatures[1]!, signer_key: toHex(stranger.publicKey) }];
    });
    expect(runCli(['verify-bundle', '--roster', net.roster, '--threshold', '2', foreign]).status).toBe(1);
    // A different digest: no signature covers it.
    const wrong = variant('wrong', (b) => (b.digest = hex32(0x77)));
    expect(runCli(['verify-bundle', '--roster', net.roster, '--threshold', '1', wrong]).status).toBe(1);
    // Bad input.
    writeFileSync(join(tmp.dir, 'garbage.json'), '{"namespace":');
    expect(runCli(['verify-bundle', '--roster', net.roster, join(tmp.dir, 'garbage.json')]).status).toBe(2);
    expect(runCli(['verify-bundle', '--roster', join(tmp.dir, 'missing.json'), out]).status).toBe(2);
  });

  it('a split view reaches the monitor within seconds, verified, and the webhook receives it once', async () => {
    const t0 = Date.now();
    expect((await net.submit('org1', 2n, hex32(0x21))).status).toBe(200);
    expect((await net.submit('org2', 2n, hex32(0x22))).status).toBe(200);
    expect((await net.submit('org3', 2n, hex32(0x22))).status).toBe(200);
    const line = await waitFor(
      'the monitor prints the equivocation',
      async () => monitorLines.find((l) => l.type === 'equivocation' && l.epoch === 2n),
      20_000,
    );
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(line).toMatchObject({ type: 'equivocation', namespace: NS, kind: 'split-view', verified: true });
    await waitFor('webhook delivery', async () => received.some((r) => r.body.type === 'equivocation'));
    // Let gossip and every node's re-publication settle: still exactly one delivery.
    await new Promise((r) => setTimeout(r, 2000));
    expect(received.filter((r) => r.body.type === 'equivocation')).toHaveLength(1);
    expect(monitorLines.filter((l) => l.type === 'equivocation')).toHaveLength(1);
    // The co-signature view no longer presents the epoch as co-signed.
    const c = await net.get('org3', `/namespaces/${NS}/epochs/2/cosignatures`);
    expect(c.body).toMatchObject({ equivocated: true, quorum: false });
  });

  it('the monitor serves /metrics (passes promtool), /healthz and /readyz; every proof an alert names resolves', async () => {
    const logged = await waitFor('the monitor logs its HTTP address', async () =>
      monitorStderr
        .map((l) => (l.startsWith('{') ? (parseJson(l) as Record<string, unknown>) : {}))
        .find((l) => l.event === 'monitor-http'),
    );
    const base = String(logged.url);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await waitFor('ready: a roster peer connected', async () => (await fetch(`${base}/readyz`)).status === 200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^chorus_monitor_alerts_total\{type="equivocation"\} 1$/m);
    expect(text).toMatch(/^chorus_monitor_proofs_verified_total [1-9]\d*$/m);
    expect(text).toMatch(/^chorus_monitor_peers_connected [1-9]\d*$/m);
    expect(text).toMatch(/^chorus_monitor_webhook_failures_total 0$/m);
    expect(text).toMatch(/^chorus_monitor_gossip_internal_errors_total 0$/m);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    // Every id an alert names answers on every node, whichever proof each kept (aliases resolve).
    for (const r of received.filter((x) => x.body.type === 'equivocation')) {
      for (const n of net.nodes) {
        await waitFor(
          `proof ${String(r.body.id)} on ${n.name}`,
          async () => (await net.get(n.name, `/equivocations/${String(r.body.id)}`)).status === 200,
        );
      }
    }
  });

  it('the monitor refuses a bootstrap address with no knowable peer id, and a bad --http-listen, with clear errors', () => {
    const noId = runCli(['monitor', '--roster', net.roster, '--bootstrap', '/ip4/127.0.0.1/tcp/1']);
    expect(noId.status).toBe(2);
    expect(noId.stderr).toContain('/ip4/127.0.0.1/tcp/1 has no /p2p/<peer id> and is no address of a roster auditor');
    const badListen = runCli(['monitor', '--roster', net.roster, '--http-listen', 'nonsense']);
    expect(badListen.status).toBe(2);
    expect(badListen.stderr).toContain('--http-listen nonsense: expected HOST:PORT');
  });

  it('a monitor restarted with its --data-dir does not report a past equivocation again', async () => {
    const dataDir = join(tmp.dir, 'monitor-data');
    const run = () => {
      const p = spawn(
        process.execPath,
        [CLI, 'monitor', '--roster', net.roster, '--json', '--data-dir', dataDir, '--log-level', 'info'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const lines: Record<string, unknown>[] = [];
      const logs: Record<string, unknown>[] = [];
      createInterface({ input: p.stdout! }).on('line', (l) => lines.push(parseJson(l) as Record<string, unknown>));
      createInterface({ input: p.stderr! }).on('line', (l) => {
        if (l.startsWith('{')) logs.push(parseJson(l) as Record<string, unknown>);
      });
      const stop = () =>
        new Promise<void>((r) => (p.exitCode !== null ? r() : (p.once('exit', () => r()), p.kill('SIGTERM'))));
      return { lines, logs, stop };
    };
    const first = run();
    try {
      // The proof is in the past: the monitor gets it by syncing with the nodes when it connects.
      await waitFor(
        'the first run reports the equivocation',
        async () => first.lines.find((l) => l.type === 'equivocation' && l.epoch === 2n),
        30_000,
      );
    } finally {
      await first.stop();
    }
    const second = run();
    try {
      await waitFor(
        'the second run has synced the proof from a peer',
        async () => second.logs.some((l) => l.event === 'proofs-synced' && Number(l.proofs) > 0),
        30_000,
      );
      await new Promise((r) => setTimeout(r, 1000)); // and anything else it would print
      expect(second.lines.filter((l) => l.type === 'equivocation')).toEqual([]);
    } finally {
      await second.stop();
    }
  }, 90_000);

  it('verify-proof accepts the saved proof (JSON and protobuf) and rejects any altered copy', async () => {
    const list = await net.get('org1', `/equivocations?namespace=${NS}`);
    const id = (list.body.equivocations as { id: string }[])[0]!.id;
    const json = await net.get('org1', `/equivocations/${id}`);
    const jf = join(tmp.dir, 'proof.json');
    writeFileSync(jf, json.text);
    expect(runCli(['verify-proof', '--roster', net.roster, jf])).toMatchObject({ status: 0 });
    const pb = await fetch(`${net.proc('org1').url}/equivocations/${id}`, {
      headers: { accept: 'application/x-protobuf' },
    });
    const pf = join(tmp.dir, 'proof.bin');
    writeFileSync(pf, new Uint8Array(await pb.arrayBuffer()));
    expect(runCli(['verify-proof', '--roster', net.roster, pf]).status).toBe(0);
    const doc = parseJson(json.text) as { first: Record<string, unknown>; second: Record<string, unknown> };
    const alter = (name: string, edit: (d: typeof doc) => void) => {
      const copy = parseJson(json.text) as typeof doc;
      edit(copy);
      const f = join(tmp.dir, `${name}.json`);
      writeFileSync(f, stringifyJson(copy));
      return runCli(['verify-proof', '--roster', net.roster, f]).status;
    };
    expect(alter('ts', (d) => (d.first.timestamp = (d.first.timestamp as bigint) + 1n))).toBe(1);
    expect(alter('epoch', (d) => (d.second.epoch = 3n))).toBe(1);
    expect(alter('same', (d) => (d.second = d.first))).toBe(1);
    expect(alter('key', (d) => (d.first.signer_key = d.second.signer_key))).toBe(1);
    const bytes = readFileSync(pf);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    writeFileSync(join(tmp.dir, 'flip.bin'), bytes);
    expect(runCli(['verify-proof', '--roster', net.roster, join(tmp.dir, 'flip.bin')]).status).not.toBe(0);
    writeFileSync(join(tmp.dir, 'junk.bin'), new Uint8Array([0xff, 0xff, 0xff]));
    expect(runCli(['verify-proof', '--roster', net.roster, join(tmp.dir, 'junk.bin')]).status).toBe(2);
  });

  it('nodes do not try to sync from the monitor (it is no roster member and keeps no store)', () => {
    expect(monitorLines.length).toBeGreaterThan(0);
    expect(monitorStderr.filter((l) => l.includes('no sync handler'))).toEqual([]);
  });

  it('a stalled log raises log-stalled on the nodes, on their event stream and at the monitor', async () => {
    const alert = await waitFor(
      'log-stalled at the monitor',
      async () => monitorLines.find((l) => l.type === 'log-stalled'),
      20_000,
    );
    expect(alert).toMatchObject({ namespace: NS, type: 'log-stalled' });
    expect(typeof alert.raised_by).toBe('string');
    // Each node runs its liveness rules on its own timer: the monitor may hear another node first.
    const alerts = await waitFor(
      'log-stalled on org1',
      async () => {
        const r = await net.get('org1', `/alerts?type=log-stalled`);
        return (r.body.alerts as unknown[]).length > 0 ? r : undefined;
      },
      10_000,
    );
    expect((alerts.body.alerts as { namespace: string }[])[0]).toMatchObject({ namespace: NS });
    const metrics = await fetch(`${net.proc('org1').url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/chorus_alerts_total\{type="log-stalled"\} [1-9]/);
    expect(metrics).toMatch(/chorus_equivocations_total\{namespace="mon.example",kind="split-view"\} 1/);
    expect(metrics).toMatch(/chorus_epochs_signed_total\{namespace="mon.example"\} 2/);
  });

  it('SSE: events in order, resumable with Last-Event-ID', async () => {
    const read = async (headers: Record<string, string>) => {
      const ctrl = new AbortController();
      const res = await fetch(`${net.proc('org2').url}/events?since=0`, { headers, signal: ctrl.signal });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      let text = '';
      const deadline = Date.now() + 5000;
      while (!text.includes('event: equivocation') && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      ctrl.abort();
      return text;
    };
    const all = await read({});
    const ids = [...all.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids.length).toBeGreaterThan(2);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(all).toContain('event: epoch-signed');
    expect(all).toContain('event: quorum-reached');
    const resumed = await read({ 'last-event-id': String(ids[1]) });
    const rids = [...resumed.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(rids[0]).toBe(ids[2]);
  });
});
