// `chorus akd verify` and `chorus akd generate` through the compiled CLI, as scripts use them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AKD_VECTORS, loadIndex } from './akd-fixtures.js';
import { CLI, ensureAkdBuild } from './akd-build.js';

function chorus(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const index = loadIndex(AKD_VECTORS);
const byName = (name: string) => {
  const c = index.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no vector ${name}`);
  return { file: join(AKD_VECTORS, c.proof_file), blob: c.blob_name };
};

describe('chorus akd verify', () => {
  beforeAll(() => ensureAkdBuild(), 120_000);

  it('exits 0 for a valid proof', () => {
    const v = byName('chain-e06-k1000');
    const r = chorus('akd', 'verify', '--configuration', 'whatsapp_v1', '--blob-name', v.blob, v.file);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('valid: epoch 6');
  });

  it('exits 1 with the reason on stderr for an invalid proof', () => {
    const v = byName('mut-inserted-value-bitflip');
    const r = chorus('akd', 'verify', '--configuration', 'whatsapp_v1', '--blob-name', v.blob, v.file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^invalid: end root \(current hash\) does not match/);
    const bypass = byName('bypass495-shadow-leaf-akd-root');
    const b = chorus('akd', 'verify', '--configuration', 'whatsapp_v1', '--blob-name', bypass.blob, bypass.file);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('akd#495');
    expect(b.stderr).toContain('inserted[1000]');
    const bad = byName('bad-truncated-mid-element');
    expect(chorus('akd', 'verify', '--configuration', 'whatsapp_v1', '--blob-name', bad.blob, bad.file).code).toBe(1);
  });

  it('handles the experimental configuration and its domain label', () => {
    const v = byName('experimental-e02-k40');
    const args = ['akd', 'verify', '--configuration', 'experimental', '--blob-name', v.blob, v.file];
    expect(chorus(...args).code).toBe(0); // default domain label: ExampleLabel
    expect(chorus(...args, '--domain-label', 'ExampleLabel').code).toBe(0);
    expect(chorus(...args, '--domain-label', 'OtherLabel').code).toBe(1);
    expect(chorus('akd', 'verify', '--configuration', 'whatsapp_v1', '--blob-name', v.blob, v.file).code).toBe(1);
  });

  it('prints a JSON verdict with counts, timings and peak RSS on request', () => {
    const v = byName('chain-e08-k2000');
    const r = chorus('akd', 'verify', '--configuration', 'whatsapp_v1', '--blob-name', v.blob, v.file, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ valid: true, inserted: 2000, unchanged: expect.any(Number) });
    expect(out['peak_rss_mb']).toEqual(expect.any(Number));
    expect(Object.keys(out['timings_ms'] as object).sort()).toEqual(['buildMs', 'decodeMs', 'hashMs']);
    expect(out['hash_threads']).toBe(1); // small proofs stay on one thread
  });

  it('exits 2 for bad input: unreadable file, malformed blob name, bad or missing options', () => {
    const v = byName('chain-e01-k3');
    const base = ['akd', 'verify', '--configuration', 'whatsapp_v1'];
    const missing = chorus(...base, '--blob-name', v.blob, join(AKD_VECTORS, 'no-such-file.bin'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
    expect(chorus(...base, '--blob-name', '1/abc/def', v.file).code).toBe(2);
    expect(chorus(...base, '--blob-name', v.blob.replace(/^1\//, 'x/'), v.file).code).toBe(2);
    expect(chorus('akd', 'verify', '--blob-name', v.blob, v.file).code).toBe(2); // no --configuration
    expect(chorus('akd', 'verify', '--configuration', 'whatsapp_v2', '--blob-name', v.blob, v.file).code).toBe(2);
    expect(chorus(...base, '--blob-name', v.blob).code).toBe(2); // no FILE
    expect(chorus(...base, '--domain-label', 'X', '--blob-name', v.blob, v.file).code).toBe(2);
  });

  it('has --help for every command', () => {
    for (const cmd of [['akd'], ['akd', 'verify'], ['akd', 'generate']]) {
      const r = chorus(...cmd, '--help');
      expect(r.code, cmd.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: chorus');
    }
    expect(chorus('akd', 'verify', '--help').stdout).toContain('--blob-name');
  });
});

describe('chorus akd generate', () => {
  let dir = '';
  beforeAll(() => {
    ensureAkdBuild();
    dir = mkdtempSync(join(tmpdir(), 'chorus-akd-cli-'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a log whose blobs verify with chorus akd verify, and prints a JSON summary', () => {
    const out = join(dir, 'log');
    const r = chorus(
      'akd',
      'generate',
      '--out',
      out,
      '--epochs',
      '3',
      '--inserts',
      '25',
      '--base',
      '200',
      '--seed',
      'cli',
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { epochs: Array<{ blob_name: string; inserted: number }>; leaves: number };
    expect(summary.epochs.map((e) => e.inserted)).toEqual([200, 25, 25, 25]);
    expect(summary.leaves).toBe(275);
    for (const e of [summary.epochs[0], summary.epochs[3]]) {
      const blob = e?.blob_name ?? '';
      const v = chorus(
        'akd',
        'verify',
        '--configuration',
        'whatsapp_v1',
        '--blob-name',
        blob,
        join(out, ...blob.split('/')),
      );
      expect(v.code, v.stderr).toBe(0);
    }
  });

  it('verifies large proofs (two hashing threads when a core is idle) with the same verdicts', () => {
    const out = join(dir, 'large');
    const r = chorus(
      'akd',
      'generate',
      '--out',
      out,
      '--epochs',
      '1',
      '--inserts',
      '30000',
      '--base',
      '100000',
      '--seed',
      'large',
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { epochs: Array<{ blob_name: string; bytes: number; unchanged: number }> };
    const last = summary.epochs[1];
    expect(summary.epochs[0]?.bytes).toBeGreaterThan(7_000_000); // over the two-thread threshold
    for (const e of summary.epochs) {
      const file = join(out, ...e.blob_name.split('/'));
      const v = chorus('akd', 'verify', '--configuration', 'whatsapp_v1', '--blob-name', e.blob_name, file, '--json');
      expect(v.code, v.stderr).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, unchanged: e.unchanged });
    }
    const blob = last?.blob_name ?? '';
    const bumped = blob.replace(/^2\//, '3/'); // wrong end epoch: the end root differs
    const bad = chorus(
      'akd',
      'verify',
      '--configuration',
      'whatsapp_v1',
      '--blob-name',
      bumped,
      join(out, ...blob.split('/')),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('end root (current hash) does not match');
  });

  it('writes experimental logs with a domain label', () => {
    const out = join(dir, 'exp');
    const r = chorus(
      'akd',
      'generate',
      '--out',
      out,
      '--epochs',
      '2',
      '--inserts',
      '5',
      '--configuration',
      'experimental',
      '--domain-label',
      'Lbl',
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { epochs: Array<{ blob_name: string }>; domain_label: string };
    expect(summary.domain_label).toBe('Lbl');
    const blob = summary.epochs[1]?.blob_name ?? '';
    const file = join(out, ...blob.split('/'));
    expect(
      chorus('akd', 'verify', '--configuration', 'experimental', '--domain-label', 'Lbl', '--blob-name', blob, file)
        .code,
    ).toBe(0);
    expect(chorus('akd', 'verify', '--configuration', 'experimental', '--blob-name', blob, file).code).toBe(1);
  });

  it('exits 2 for bad counts and for a folder that is not empty', () => {
    expect(chorus('akd', 'generate', '--out', join(dir, 'x'), '--epochs', 'many').code).toBe(2);
    expect(chorus('akd', 'generate', '--out', join(dir, 'x'), '--inserts', '0').code).toBe(2);
    const full = join(dir, 'full');
    rmSync(full, { recursive: true, force: true });
    expect(chorus('akd', 'generate', '--out', full, '--epochs', '1', '--inserts', '1').code).toBe(0);
    writeFileSync(join(full, 'note'), 'x');
    const again = chorus('akd', 'generate', '--out', full, '--epochs', '1', '--inserts', '1');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('not empty');
    expect(chorus('akd', 'generate', '--out', full, '--epochs', '1', '--inserts', '1', '--force').code).toBe(0);
  });
});
