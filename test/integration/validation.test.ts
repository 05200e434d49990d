// AKD validation in the node: push epochs validated in workers against an S3-style proof
// directory, results served as Plexi's last-verified-epoch, proofs mirrored for plexi users,
// failures alerted, retries and resumption; and the `directory` source that validates before it
// signs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeSyntheticLog, type SyntheticLogSummary } from '../../src/akd-runtime/log-writer.js';
import { PlexiClient } from '../../src/plexi-client/client.js';
import { auditReport } from '../../src/plexi-client/audit-report.js';
import { plexiProofVerifier } from '../../src/formats/akd/plexi-proof-check.js';
import { NodeProcess, runCli } from '../support/node-process.js';
import { http } from '../support/http.js';
import { startS3StandIn, type S3StandIn } from '../../src/demo/s3-server.js';
import { waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';

const NS = 'akd.example';

async function genLog(dir: string, epochs: number, seed: string): Promise<SyntheticLogSummary> {
  return writeSyntheticLog({ out: dir, configuration: { name: 'whatsapp_v1' }, epochs, inserts: 20, base: 50, seed });
}

function init(dir: string, args: string[], extra = ''): { config: string; token: string } {
  const r = runCli(['init', '--data-dir', dir, '--namespace', NS, '--http-port', '0', '--json', ...args]);
  if (r.status !== 0) throw new Error(r.stderr);
  const out = JSON.parse(r.stdout) as { config: string; tokens: Record<string, string> };
  // Namespace settings init has no flag for (e.g. start_at), added after poll_interval_seconds.
  if (extra)
    writeFileSync(
      out.config,
      readFileSync(out.config, 'utf8').replace(/^(\s*)(poll_interval_seconds:.*)$/m, `$1$2\n$1${extra}`),
    );
  return { config: out.config, token: out.tokens[NS] as string };
}

describe('push source with an S3 proof directory', () => {
  const tmp = tempDir();
  const logDir = join(tmp.dir, 'bucket');
  let log: SyntheticLogSummary;
  let s3: S3StandIn;
  let node: NodeProcess;
  let cfg: { config: string; token: string };
  const digestAt = (e: number) => log.epochs.find((x) => x.epoch === String(e))!.blob_name.split('/')[2] as string;
  const submit = (epoch: number, digest: string) =>
    http(`${node.url}/namespaces/${NS}/audits`, { body: { epoch: BigInt(epoch), digest }, token: cfg.token });

  beforeAll(async () => {
    log = await genLog(logDir, 9, 'push');
    s3 = await startS3StandIn(logDir);
    cfg = init(join(tmp.dir, 'node'), ['--proof-directory', s3.url, '--root', `${log.root.epoch}/${log.root.digest}`]);
    node = await NodeProcess.start(['start', '--config', cfg.config]);
  }, 120_000);
  afterAll(async () => {
    await node.kill('SIGKILL');
    await s3.close();
    tmp.cleanup();
  });

  it('validates every signed epoch and serves the last verified epoch as Plexi does', async () => {
    for (let e = 1; e <= 5; e++) expect((await submit(e, digestAt(e))).status).toBe(200);
    const lve = await waitFor('epoch 5 verified', async () => {
      const r = await http(`${node.url}/namespaces/${NS}/last-verified-epoch`);
      return r.status === 200 && r.body.epoch === 5n ? r.body : false;
    });
    expect(Object.keys(lve)).toEqual(['job_id', 'epoch', 'start_hash', 'end_hash', 'timestamp']);
    expect(lve.job_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(lve.end_hash).toBe(digestAt(5));
    expect(lve.start_hash).toBe(digestAt(4));
    const info = await http(`${node.url}/namespaces/${NS}`);
    expect(info.body).toMatchObject({ last_verified_epoch: 5n, log_directory: node.url, root: `0/${log.root.digest}` });
  });

  it('mirrors the verified proofs, and plexi audit verifies signature and proof through the node', async () => {
    const name = log.epochs.find((x) => x.epoch === '3')!.blob_name;
    const res = await fetch(`${node.url}/${name}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(logDir, ...name.split('/'))))).toBe(true);
    const client = new PlexiClient(node.url);
    const out = await auditReport(client, { namespace: NS, long: true, verify: true, verifyProof: plexiProofVerifier });
    expect(client.requested).toEqual([
      `/namespaces/${NS}/last-verified-epoch`,
      `/namespaces/${NS}/audits/5`,
      '/info',
      `/namespaces/${NS}`,
      `/namespaces/${NS}/audits/4`,
      `/${log.epochs.find((x) => x.epoch === '5')!.blob_name}`,
    ]);
    expect(out).toContain('  Signature verification: success');
    expect(out).toContain('  Proof verification    : success');
    const cli = runCli(['audit', '--remote-url', node.url, '--namespace', NS, '--epoch', '2']);
    expect(cli.stdout.trim()).toBe('success');
  });

  it('an invalid proof is an alert naming the blob and the reason; the signature was not delayed', async () => {
    const name = log.epochs.find((x) => x.epoch === '6')!.blob_name;
    const file = join(logDir, ...name.split('/'));
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0x40;
    writeFileSync(file, bytes);
    expect((await submit(6, digestAt(6))).status).toBe(200);
    const alert = await waitFor('validation-failed alert', async () => {
      const r = await http(`${node.url}/alerts?type=validation-failed`);
      return (r.body.alerts as Record<string, unknown>[])[0];
    });
    expect(alert).toMatchObject({ type: 'validation-failed', namespace: NS, epoch: 6n, blob_name: name });
    expect(String(alert.reason)).toMatch(/root|decod/i);
    expect((await http(`${node.url}/namespaces/${NS}/last-verified-epoch`)).body.epoch).toBe(5n);
    expect((await fetch(`${node.url}/${name}`)).status).toBe(404);
  });

  it('retries a proof that is not published yet, and resumes after a restart', async () => {
    // Epoch 7's blob disappears for a while: the node signs, then validates once it shows up.
    const name7 = log.epochs.find((x) => x.epoch === '7')!.blob_name;
    const f7 = join(logDir, ...name7.split('/'));
    const saved = readFileSync(f7);
    writeFileSync(f7, ''); // an empty object is not a proof; then remove it entirely
    const { rmSync } = await import('node:fs');
    rmSync(f7);
    expect((await submit(7, digestAt(7))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    mkdirSync(join(logDir, ...name7.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(f7, saved);
    await waitFor(
      'epoch 7 verified after a retry',
      async () => {
        const r = await http(`${node.url}/alerts?type=validation-failed`);
        const v = await fetch(`${node.url}/${name7}`);
        return v.status === 200 && (r.body.alerts as unknown[]).length === 1;
      },
      30_000,
    );
    // Epochs 8 and 9 are signed while their blobs are missing; the node is killed before it
    // could validate them; after a restart (blobs back) validation resumes where it was.
    const moved: [string, Buffer][] = [];
    for (const e of [8, 9]) {
      const f = join(logDir, ...log.epochs.find((x) => x.epoch === String(e))!.blob_name.split('/'));
      moved.push([f, readFileSync(f)]);
      rmSync(f);
    }
    expect((await submit(8, digestAt(8))).status).toBe(200);
    expect((await submit(9, digestAt(9))).status).toBe(200);
    await node.kill('SIGKILL');
    for (const [f, b] of moved) writeFileSync(f, b);
    node = await NodeProcess.start(['start', '--config', cfg.config]);
    expect(node.logs.some((l) => l.event === 'validation-resumed' && l.epochs === 2)).toBe(true);
    for (const e of [8, 9]) {
      const name = log.epochs.find((x) => x.epoch === String(e))!.blob_name;
      await waitFor(
        `epoch ${e} verified after the restart`,
        async () => (await fetch(`${node.url}/${name}`)).status === 200,
        30_000,
      );
    }
    // The chain's verified run still stops before the invalid epoch 6.
    expect((await http(`${node.url}/namespaces/${NS}/last-verified-epoch`)).body.epoch).toBe(5n);
  });
});

describe('directory source over S3 (paging, byte order) and a local folder', () => {
  const tmp = tempDir();
  let s3: S3StandIn;
  let log: SyntheticLogSummary;
  const logDir = join(tmp.dir, 'bucket');
  const nodes: NodeProcess[] = [];
  beforeAll(async () => {
    log = await genLog(logDir, 12, 'directory');
    s3 = await startS3StandIn(logDir, { pageSize: 4 });
  }, 120_000);
  afterAll(async () => {
    for (const n of nodes) await n.kill('SIGKILL');
    await s3.close();
    tmp.cleanup();
  });

  for (const kind of ['s3', 'file'] as const) {
    it(`${kind}: start_at 1 takes the root from epoch 1, validates and signs every epoch in order`, async () => {
      const url = kind === 's3' ? s3.url : pathToFileURL(logDir).toString();
      const c = init(
        join(tmp.dir, `node-${kind}`),
        ['--source', 'directory', '--proof-directory', url, '--poll-interval', '1'],
        'start_at: 1',
      );
      const node = await NodeProcess.start(['start', '--config', c.config]);
      nodes.push(node);
      const last = BigInt(log.head.epoch);
      expect(last).toBeGreaterThan(10n); // so that byte order ("10/" before "9/") matters
      await waitFor(
        `epoch ${last} signed and verified`,
        async () => {
          const r = await http(`${node.url}/namespaces/${NS}/last-verified-epoch`);
          return r.status === 200 && r.body.epoch === last;
        },
        60_000,
      );
      for (const e of log.epochs) {
        const sig = await http(`${node.url}/namespaces/${NS}/audits/${e.epoch}`);
        expect(sig.body.digest).toBe(e.blob_name.split('/')[2]);
      }
      const root = await http(`${node.url}/namespaces/${NS}/audits/0`);
      expect(root.body.digest).toBe(log.root.digest);
      if (kind === 's3') {
        // Never the whole bucket: one small listing per epoch, each with a cache-busting parameter.
        const listings = s3.requests.filter((r) => r.includes('list-type=2'));
        expect(
          listings.every(
            (r) => /prefix=[0-9]+%2F/.test(r) && /max-keys=[12]\b/.test(r) && r.includes('chorus-nocache='),
          ),
        ).toBe(true);
        expect(listings.some((r) => r.includes('prefix=10%2F'))).toBe(true);
        // Proofs are files in the data directory, not LevelDB values.
        expect(readdirSync(join(tmp.dir, `node-${kind}`, 'proofs', 'kept', NS)).length).toBe(log.epochs.length);
      }
    }, 90_000);
  }

  it('by default a new namespace starts at the directory head, found without listing the bucket', async () => {
    const c = init(join(tmp.dir, 'node-head'), [
      '--source',
      'directory',
      '--proof-directory',
      s3.url,
      '--poll-interval',
      '1',
    ]);
    const node = await NodeProcess.start(['start', '--config', c.config]);
    nodes.push(node);
    const last = BigInt(log.head.epoch);
    await waitFor(
      `epoch ${last} verified`,
      async () => {
        const r = await http(`${node.url}/namespaces/${NS}/last-verified-epoch`);
        return r.status === 200 && r.body.epoch === last;
      },
      60_000,
    );
    // The root is the head's previous digest; nothing older was signed.
    const prev = log.epochs.find((e) => e.epoch === String(last - 1n))!.blob_name.split('/')[2];
    expect((await http(`${node.url}/namespaces/${NS}/audits/${last - 1n}`)).body.digest).toBe(prev);
    expect((await http(`${node.url}/namespaces/${NS}/audits/${last - 2n}`)).status).toBe(404);
    await node.kill('SIGKILL');
  }, 90_000);

  it('an invalid blob is never signed and is alerted (its proof kept as evidence); two blobs for one epoch: an alert naming both, neither signed', async () => {
    const node = nodes[1] as NodeProcess; // the file:// follower
    const next = BigInt(log.head.epoch) + 1n;
    const put = (name: string, bytes: Uint8Array) => {
      mkdirSync(join(logDir, ...name.split('/').slice(0, -1)), { recursive: true });
      writeFileSync(join(logDir, ...name.split('/')), bytes);
    };
    const bad = `${next}/${log.head.digest}/${'ab'.repeat(32)}`;
    put(bad, new Uint8Array([1, 2, 3]));
    const alert = await waitFor(
      'validation-failed for the invalid blob',
      async () => {
        const r = await http(`${node.url}/alerts?type=validation-failed`);
        return (r.body.alerts as Record<string, unknown>[]).find((a) => a.blob_name === bad);
      },
      20_000,
    );
    expect(alert).toMatchObject({ namespace: NS, epoch: next });
    expect(readdirSync(join(tmp.dir, 'node-file', 'proofs', 'evidence', NS))).toEqual([bad.replaceAll('/', '-')]);
    expect((await http(`${node.url}/namespaces/${NS}/audits/${next}`)).status).toBe(404);
    const other = `${next}/${'cd'.repeat(32)}/${'ef'.repeat(32)}`;
    put(other, new Uint8Array([4, 5, 6]));
    const fork = await waitFor(
      'two blobs for one epoch recorded',
      async () => {
        const r = await http(`${node.url}/alerts?type=validation-failed`);
        return (r.body.alerts as Record<string, unknown>[]).find((a) =>
          String(a.reason).includes('two different blobs'),
        );
      },
      20_000,
    );
    expect(fork.blob_names).toEqual(expect.arrayContaining([bad, other]));
    expect((await http(`${node.url}/namespaces/${NS}/audits/${next}`)).status).toBe(404);
  });
});
