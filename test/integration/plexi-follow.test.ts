// Following auditors that do not run Chorus: a roster entry with a Plexi URL and key; nodes poll
// it, verify each signature against the roster key and import it as that auditor's observation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { TestNetwork, freePort, waitFor } from '../support/network.js';
import { NodeProcess, runCli } from '../support/node-process.js';
import { hex32, http } from '../support/http.js';
import { tempDir } from '../support/tmp.js';
import { initDataDir } from '../../src/operator/init.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { fromHex } from '../../src/util/bytes.js';
import { keyId, signedBytes } from '../../src/plexi/signature-message.js';
import { signatureResponseToJson } from '../../src/plexi/signature-response.js';

const fast = (net: TestNetwork) => {
  for (const n of net.nodes)
    net.editConfig(n.name, (doc) => (doc.plexi_follow = { poll_interval_seconds: 1n, max_epochs_per_poll: 100n }));
};

type EpochView = { digests: { digest: string; signers: { name: string }[] }[] };

describe('following a Chorus node run as a plain Plexi auditor', () => {
  const tmp = tempDir();
  const NS = 'follow.example';
  const net = new TestNetwork(tmp.dir, NS, 'follownet');
  let ext: NodeProcess;
  let extToken = '';

  beforeAll(async () => {
    await net.setup(2, 2);
    const port = await freePort();
    const init = await initDataDir({ dataDir: `${tmp.dir}/ext`, namespaces: [NS], httpPort: port });
    extToken = init.tokens[NS] as string;
    const add = runCli([
      'roster',
      'add',
      net.roster,
      '--name',
      'ext-plexi',
      '--plexi-url',
      `http://127.0.0.1:${port}`,
      '--public-key',
      init.publicKey,
    ]);
    expect(add.status).toBe(0);
    fast(net);
    ext = await NodeProcess.start(['start', '--config', init.config]); // no roster: a plain Plexi-compatible auditor
    await net.startAll();
  }, 120_000);
  afterAll(async () => {
    await ext.kill('SIGKILL');
    await net.stopAll();
    tmp.cleanup();
  });

  const submitExt = (epoch: bigint, digest: string) =>
    http(`${ext.url}/namespaces/${NS}/audits`, { body: { epoch, digest }, token: extToken });

  it('its signatures count as co-signatures of the epoch', async () => {
    for (const n of ['org1', 'org2']) expect((await net.submit(n, 1n, hex32(1))).status).toBe(200);
    expect((await submitExt(1n, hex32(1))).status).toBe(200);
    for (const n of ['org1', 'org2']) {
      await waitFor(`ext-plexi co-signs epoch 1 on ${n}`, async () => {
        const r = await net.get(n, `/namespaces/${NS}/epochs/1/cosignatures`);
        const names = (r.body.cosignatures as { name: string }[] | undefined)?.map((c) => c.name).sort() ?? [];
        return names.join() === 'ext-plexi,org1,org2';
      });
    }
  });

  it('a digest that disagrees with the network yields an ordinary equivocation proof', async () => {
    for (const n of ['org1', 'org2']) expect((await net.submit(n, 2n, hex32(0x21))).status).toBe(200);
    expect((await submitExt(2n, hex32(0x22))).status).toBe(200);
    for (const n of ['org1', 'org2']) {
      const proof = await waitFor(`proof on ${n}`, async () => {
        const list = (await net.proofs(n)).filter((p) => p.epoch === 2n);
        return list.length ? (list[0] as unknown as { kind: string; signers: string[] }) : false;
      });
      expect(proof.kind).toBe('split-view');
      expect(proof.signers).toContain('ext-plexi');
    }
    const view = (await net.get('org2', `/namespaces/${NS}/epochs/2`)).body as unknown as EpochView;
    expect(view.digests.find((d) => d.digest === hex32(0x22))?.signers.map((s) => s.name)).toEqual(['ext-plexi']);
  });
});

describe('following a recorded Plexi auditor (a stand-in replaying responses)', () => {
  const tmp = tempDir();
  // Cloudflare's own test vector (plexi_core/tests/test-vectors.json): a real Plexi response.
  const vectors = parseJson(
    readFileSync(new URL('../fixtures/plexi-vectors/test-vectors.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown>[];
  const v = vectors.find((x) => x.ciphersuite === 1n) as Record<string, string | bigint>;
  const NS = String(v.namespace);
  const key = signingKeyFromSeed(fromHex(String(v.signing_key), 32));
  const net = new TestNetwork(tmp.dir, NS, 'recordnet');
  let server: Server;
  const responses = new Map<string, string>();

  beforeAll(async () => {
    const recorded = {
      version: 1n,
      ciphersuite: 1n,
      namespace: NS,
      timestamp: v.timestamp,
      epoch: v.epoch,
      digest: v.digest,
      signature: v.signature,
      key_id: v.key_id,
      serialized_message: null,
    };
    const m2 = {
      ciphersuite: 1,
      namespace: NS,
      timestamp: 1717084700000n,
      epoch: 2n,
      digest: fromHex(hex32(0x33), 32),
    };
    const m3 = {
      ciphersuite: 1,
      namespace: NS,
      timestamp: 1717084800000n,
      epoch: 3n,
      digest: fromHex(hex32(0x44), 32),
    };
    const forged = new Uint8Array(key.sign(signedBytes(m3)));
    forged[0] = (forged[0] as number) ^ 1;
    responses.set(
      `/namespaces/${NS}`,
      stringifyJson({
        name: NS,
        log_directory: null,
        root: `1/${String(v.digest)}`,
        status: 'Online',
        reports_uri: `/namespaces/${NS}/reports`,
        audits_uri: `/namespaces/${NS}/audits`,
        signature_version: 1n,
        ciphersuite: 1n,
      }),
    );
    responses.set(`/namespaces/${NS}/audits/1`, stringifyJson(recorded));
    responses.set(
      `/namespaces/${NS}/audits/2`,
      stringifyJson(
        signatureResponseToJson({ ...m2, signature: key.sign(signedBytes(m2)), keyId: keyId(key.publicKey) }),
      ),
    );
    responses.set(
      `/namespaces/${NS}/audits/3`,
      stringifyJson(signatureResponseToJson({ ...m3, signature: forged, keyId: keyId(key.publicKey) })),
    );
    server = createServer((req, res) => {
      const body = responses.get(req.url ?? '');
      if (!body) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    await net.setup(2, 2);
    const add = runCli([
      'roster',
      'add',
      net.roster,
      '--name',
      'cloudflare',
      '--plexi-url',
      `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
      '--public-key',
      String(v.verifying_key),
    ]);
    expect(add.status).toBe(0);
    fast(net);
    await net.startAll();
  }, 120_000);
  afterAll(async () => {
    await net.stopAll();
    await new Promise<void>((r) => server.close(() => r()));
    tmp.cleanup();
  });

  it('imports the recorded signature, detects a disagreeing one, and refuses a forged one', async () => {
    for (const n of ['org1', 'org2']) expect((await net.submit(n, 1n, String(v.digest))).status).toBe(200);
    await waitFor('cloudflare co-signs epoch 1', async () => {
      const r = await net.get('org1', `/namespaces/${NS}/epochs/1/cosignatures`);
      return ((r.body.cosignatures as { name: string }[] | undefined) ?? []).some((c) => c.name === 'cloudflare');
    });
    for (const n of ['org1', 'org2']) expect((await net.submit(n, 2n, hex32(0x32))).status).toBe(200);
    const p = await waitFor('split view with cloudflare', async () =>
      (await net.proofs('org1')).find((x) => x.epoch === 2n),
    );
    expect(p.kind).toBe('split-view');
    for (const n of ['org1', 'org2']) expect((await net.submit(n, 3n, hex32(0x43))).status).toBe(200);
    await waitFor('the forged epoch-3 signature is refused', async () =>
      net.proc('org1').logs.some((l) => l.event === 'plexi-bad-signature' && l.epoch === '3'),
    );
    const three = (await net.get('org1', `/namespaces/${NS}/epochs/3`)).body as unknown as EpochView;
    expect(three.digests.flatMap((d) => d.signers.map((s) => s.name))).not.toContain('cloudflare');
  });
});
