// What Cloudflare's `plexi` client does against a node (docs/plexi-client.md), replayed
// request by request with a client that parses responses as plexi_core's serde types do; and
// `chorus audit`, which prints what `plexi audit` prints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexiClient } from '../../src/plexi-client/client.js';
import { auditReport, lsReport } from '../../src/plexi-client/audit-report.js';
import { plexiProofVerifier } from '../../src/formats/akd/plexi-proof-check.js';
import { initDataDir } from '../../src/operator/init.js';
import { NodeProcess, runCli } from '../support/node-process.js';
import { hex32, http } from '../support/http.js';
import { tempDir } from '../support/tmp.js';

const NS = 'plexi.example';

describe('the plexi client against a Chorus node', () => {
  const tmp = tempDir();
  let node: NodeProcess;
  let publicKey = '';
  beforeAll(async () => {
    const init = await initDataDir({ dataDir: tmp.dir, namespaces: [NS], httpPort: 0 });
    publicKey = init.publicKey;
    node = await NodeProcess.start(['start', '--config', init.config]);
    for (const [e, d] of [
      [10n, 1],
      [11n, 2],
      [12n, 3],
    ] as const) {
      const r = await http(`${node.url}/namespaces/${NS}/audits`, {
        body: { epoch: e, digest: hex32(d) },
        token: init.tokens[NS] as string,
      });
      expect(r.status).toBe(200);
    }
  });
  afterAll(async () => {
    await node.kill('SIGTERM');
    tmp.cleanup();
  });

  it('plexi ls --long: GET /namespaces, parsed as NamespaceInfo', async () => {
    const client = new PlexiClient(`${node.url}/some/prefix/`);
    const out = await lsReport(client, undefined, true);
    expect(client.requested).toEqual(['/namespaces']);
    expect(out).toBe(
      [
        NS,
        '  Status     : Online',
        '  Ciphersuite: ed25519(protobuf)',
        `  Root       : 10/${hex32(1)}`,
        '  Directory  : -',
        '\n',
      ].join('\n'),
    );
  });

  it('plexi ls -n NS: GET /namespaces/{ns}; an unknown namespace "does not exist"', async () => {
    const client = new PlexiClient(node.url);
    expect(await lsReport(client, NS, false)).toBe(NS);
    await expect(lsReport(client, 'nope', false)).rejects.toThrow('namespace nope does not exist');
    expect(client.requested).toEqual([`/namespaces/${NS}`, '/namespaces/nope']);
  });

  it('plexi audit -n NS --epoch 12 --long: audits, info, namespace — signature verified, no proof directory', async () => {
    const client = new PlexiClient(node.url);
    const out = await auditReport(client, {
      namespace: NS,
      epoch: 12n,
      long: true,
      verify: true,
      verifyProof: plexiProofVerifier,
    });
    expect(client.requested).toEqual([`/namespaces/${NS}/audits/12`, '/info', `/namespaces/${NS}`]);
    expect(out).toContain(`  Name                  : ${NS}`);
    expect(out).toContain('  Epoch height          : 12');
    expect(out).toContain(`  Epoch digest          : ${hex32(3)}`);
    expect(out).toContain('  Signature verification: success');
    expect(out).toContain('  Proof verification    : -');
    expect(out).toMatch(/\nSignature \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\n/);
  });

  it('plexi audit without --epoch asks last-verified-epoch first (404 before any validation)', async () => {
    const client = new PlexiClient(node.url);
    await expect(
      auditReport(client, { namespace: NS, long: false, verify: true, verifyProof: plexiProofVerifier }),
    ).rejects.toThrow(/does not have a latest epoch/);
    expect(client.requested).toEqual([`/namespaces/${NS}/last-verified-epoch`]);
  });

  it('a wrong --verifying-key fails the signature check (and exits 0, as plexi does)', () => {
    const r = runCli(['audit', '-r', node.url, '-n', NS, '--epoch', '11', '--verifying-key', 'ab'.repeat(32)]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('failed - signature does not verify for the auditor key');
  });

  it('chorus audit prints what plexi audit prints', () => {
    const short = runCli(['audit', '--remote-url', node.url, '--namespace', NS, '--epoch', '11']);
    expect(short.status).toBe(0);
    expect(short.stdout.trim()).toBe('success');
    const long = runCli([
      'audit',
      '--remote-url',
      node.url,
      '--namespace',
      NS,
      '--epoch',
      '11',
      '--long',
      '--verifying-key',
      publicKey,
    ]);
    expect(long.stdout).toContain('  Signature verification: success');
    const missing = runCli(['audit', '--remote-url', node.url, '--namespace', NS, '--epoch', '99']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`Signature not found for ${NS} at epoch 99`);
  });
});
