// The one-command demo: a demo log and three nodes as separate processes; the split view is
// detected; Ctrl-C stops everything; a second run resumes; the plexi client verifies signature and
// proof through any demo node.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { CLI } from '../support/node-process.js';
import { waitFor } from '../support/network.js';
import { http } from '../support/http.js';
import { tempDir } from '../support/tmp.js';
import { PlexiClient } from '../../src/plexi-client/client.js';
import { auditReport } from '../../src/plexi-client/audit-report.js';
import { plexiProofVerifier } from '../../src/formats/akd/plexi-proof-check.js';

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const ports = [base, base + 1, base + 2, base + 3, base + 101, base + 102, base + 103];
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
}

function startDemo(args: string[]): { proc: ChildProcess; lines: string[] } {
  const proc = spawn(process.execPath, [CLI, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: proc.stderr! }).on('line', (l) => lines.push(`stderr: ${l}`));
  return { proc, lines };
}

describe('chorus demo', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('runs, detects the split view, stops on Ctrl-C, resumes, and satisfies the plexi client', async () => {
    const base = await freeBase();
    const args = [
      '--data-dir',
      tmp.dir,
      '--base-port',
      String(base),
      '--epoch-interval',
      '0.5',
      '--equivocate-at',
      '4',
    ];
    const first = startDemo(args);
    try {
      await waitFor(
        'the URLs',
        async () =>
          first.lines.some((l) => l.startsWith('dashboard: ')) &&
          first.lines.filter((l) => l.startsWith('node org')).length === 3,
        30_000,
      );
      expect(first.lines[0]).toBe(`dashboard: http://127.0.0.1:${base + 1}/`);
      const url = `http://127.0.0.1:${base + 1}`;
      await waitFor(
        'an equivocation detected at epoch 4',
        async () => {
          const r = await http(`${url}/equivocations?namespace=demo.kt`);
          return r.status === 200 && (r.body.equivocations as { epoch: bigint }[]).some((e) => e.epoch === 4n);
        },
        60_000,
      );
      await waitFor('the progress line reports it', async () =>
        first.lines.some((l) => /equivocations: [1-9]/.test(l)),
      );
      // Cloudflare's client flow against a demo node: signature and AKD proof both verify.
      await waitFor(
        'epoch 3 verified',
        async () =>
          (((await http(`${url}/namespaces/demo.kt`)).body.last_verified_epoch as bigint | undefined) ?? 0n) >= 3n,
      );
      const client = new PlexiClient(url);
      const out = await auditReport(client, {
        namespace: 'demo.kt',
        epoch: 3n,
        long: true,
        verify: true,
        verifyProof: plexiProofVerifier,
      });
      expect(out).toContain('Signature verification: success');
      expect(out).toContain('Proof verification    : success');
      expect(client.requested.at(-1)).toMatch(/^\/3\/[0-9a-f]{64}\/[0-9a-f]{64}$/);
    } finally {
      first.proc.kill('SIGINT');
      const [code] = (await once(first.proc, 'exit')) as [number | null];
      expect(code).toBe(0);
    }
    expect(first.lines.some((l) => l.includes('run again to resume'))).toBe(true);
    const before = (await import('node:fs')).readFileSync(`${tmp.dir}/log/log-state.json`, 'utf8');
    const published = (JSON.parse(before) as { published: number }).published;

    const second = startDemo(args);
    try {
      const url = `http://127.0.0.1:${base + 1}`;
      await waitFor(
        'the chain continues past the first run',
        async () => {
          const r = await http(`${url}/namespaces/demo.kt`);
          const last = (r.body.last_signed as { epoch: bigint } | null)?.epoch ?? 0n;
          return last > BigInt(published);
        },
        60_000,
      );
      // Nothing restarted from scratch: epoch 1 still carries the first run's signature.
      expect((await http(`${url}/namespaces/demo.kt/audits/1`)).status).toBe(200);
    } finally {
      second.proc.kill('SIGINT');
      await once(second.proc, 'exit');
    }
  }, 180_000);

  it('fails loudly when a port is in use: says which, starts nothing, exits non-zero', async () => {
    const base = await freeBase();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(base + 2, '127.0.0.1', () => resolve()));
    const dir = `${tmp.dir}/busy`;
    try {
      const demo = startDemo(['--data-dir', dir, '--base-port', String(base), '--epoch-interval', '1']);
      const [code] = (await once(demo.proc, 'exit')) as [number | null];
      expect(code).toBe(2);
      const err = demo.lines.filter((l) => l.startsWith('stderr: ')).join('\n');
      expect(err).toContain(`${base + 2} (org2 HTTP: EADDRINUSE)`);
      expect(demo.lines.some((l) => l.startsWith('signed/verified'))).toBe(false);
      expect((await import('node:fs')).existsSync(`${dir}/logs`)).toBe(false);
    } finally {
      taken.close();
    }
  }, 60_000);

  it('fails loudly when one of its processes dies: stops the others, shows the log, exits non-zero', async () => {
    const base = await freeBase();
    const demo = startDemo(['--data-dir', `${tmp.dir}/dies`, '--base-port', String(base), '--epoch-interval', '1']);
    const exit = once(demo.proc, 'exit') as Promise<[number | null]>;
    await waitFor('the URLs', async () => demo.lines.some((l) => l.startsWith('logs: ')), 60_000);
    const children = () =>
      spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(demo.proc.pid)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.includes(' start --config '))
        .map((l) => Number(l.trim().split(/\s+/)[0]));
    const victims = await waitFor('the node processes', async () => (children().length === 3 ? children() : undefined));
    process.kill(victims[1] as number, 'SIGKILL');
    const [code] = await exit;
    expect(code).toBe(2);
    const err = demo.lines.filter((l) => l.startsWith('stderr: ')).join('\n');
    expect(err).toMatch(/org\d exited \(null\) on its own; everything was stopped/);
    expect(children()).toEqual([]);
    for (const pid of victims) expect(() => process.kill(pid as number, 0)).toThrow(); // none left running
  }, 120_000);
});
