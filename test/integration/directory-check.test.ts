// `chorus directory check`: broken links, forks, gaps and malformed keys found from listing
// metadata alone (no proof downloaded), across pages and byte order.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticLog, type SyntheticLogSummary } from '../../src/akd-runtime/log-writer.js';
import { startS3StandIn, type S3StandIn } from '../../src/demo/s3-server.js';
import { checkDirectory } from '../../src/operator/directory-check.js';
import { openProofDirectory } from '../../src/services/proof-directory.js';
import { spawn } from 'node:child_process';
import { CLI, assertBuilt } from '../support/node-process.js';

/** The CLI, run without blocking this process (it serves the stand-in). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string }> {
  assertBuilt();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.on('close', (status) => resolve({ status, stdout }));
  });
}
import { tempDir } from '../support/tmp.js';

describe('directory check', () => {
  const tmp = tempDir();
  const bucket = join(tmp.dir, 'bucket');
  let log: SyntheticLogSummary;
  let s3: S3StandIn;
  const name = (e: number) => log.epochs.find((x) => x.epoch === String(e))!.blob_name;
  const put = (key: string) => {
    mkdirSync(join(bucket, ...key.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(bucket, ...key.split('/')), 'x');
  };

  beforeAll(async () => {
    log = await writeSyntheticLog({
      out: bucket,
      configuration: { name: 'whatsapp_v1' },
      epochs: 14,
      inserts: 2,
      seed: 'check',
    });
    s3 = await startS3StandIn(bucket, { pageSize: 5 });
  }, 60_000);
  afterAll(async () => {
    await s3.close();
    tmp.cleanup();
  });

  it('an honest log is consistent, and no proof is downloaded', async () => {
    const progress: number[] = [];
    const r = await checkDirectory(openProofDirectory(s3.url), { onProgress: (p) => progress.push(p.keys) });
    expect(r).toMatchObject({ keys: 14, blobs: 14, epochs: 14, first: 1n, last: 14n, consistent: true });
    expect(r.breaks.count + r.duplicates.count + r.gaps.count + r.malformed.count).toBe(0);
    expect(progress.length).toBe(3); // 14 keys in pages of 5
    expect(s3.requests.every((q) => q.startsWith('/?'))).toBe(true);
  });

  it('reports a broken link, a fork, a gap and a malformed key, each named', async () => {
    // Epoch 10's blob replaced by one whose previous is not epoch 9's current.
    const [, , cur10] = name(10).split('/');
    const broken = `10/${'ab'.repeat(32)}/${cur10}`;
    renameSync(join(bucket, ...name(10).split('/')), join(bucket, '10', 'tmp'));
    rmSync(join(bucket, '10'), { recursive: true });
    put(broken);
    const fork = `4/${name(4).split('/')[1]}/${'cd'.repeat(32)}`;
    put(fork);
    rmSync(join(bucket, '7'), { recursive: true });
    put(`12/${'EF'.repeat(32)}/${'ab'.repeat(32)}`);
    const r = await checkDirectory(openProofDirectory(s3.url));
    expect(r.consistent).toBe(false);
    expect(r.breaks.count).toBe(1);
    expect(r.breaks.examples[0]).toEqual({ epoch: 9n, current: [name(9)], next: [broken] });
    expect(r.duplicates.count).toBe(1);
    expect(r.duplicates.examples[0]!.names.sort()).toEqual([name(4), fork].sort());
    expect(r.gaps).toEqual({ count: 1, missingEpochs: 1n, examples: [{ from: 7n, to: 7n }] });
    expect(r.malformed.count).toBe(1);
    // --from/--to narrow the check.
    const narrow = await checkDirectory(openProofDirectory(s3.url), { from: 11n, to: 14n });
    expect(narrow).toMatchObject({ epochs: 4, first: 11n, last: 14n });
    expect(narrow.breaks.count + narrow.duplicates.count + narrow.gaps.count).toBe(0);
  });

  it('the CLI prints a summary and exits 1 when the history does not chain', async () => {
    const r = await cli(['directory', 'check', s3.url, '--json']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('"consistent":false');
    const ok = await cli(['directory', 'check', s3.url, '--from', '13', '--to', '14']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('broken links: 0');
    expect((await cli(['directory', 'check', s3.url, '--from', 'x'])).status).toBe(2);
  });
});
