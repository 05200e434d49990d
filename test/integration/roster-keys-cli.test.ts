// Issue 12 §3 through the compiled CLI: `chorus roster` and `chorus start` refuse inconsistent
// rosters with a clear error; `chorus key rotate` validates before writing and writes atomically.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/node-process.js';
import { tempDir } from '../support/tmp.js';
import { stringifyJson } from '../../src/util/json.js';
import { toHex } from '../../src/util/bytes.js';

const key = (b: number) => toHex(new Uint8Array(32).fill(b));

describe('roster and key CLI checks', () => {
  const tmp = tempDir();
  let config = '';
  beforeAll(() => {
    const r = runCli([
      'init',
      '--data-dir',
      join(tmp.dir, 'node'),
      '--namespace',
      'a.example',
      '--http-port',
      '0',
      '--p2p-port',
      '0',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    config = (JSON.parse(r.stdout) as { config: string }).config;
  });
  afterAll(() => tmp.cleanup());

  const rosterFile = (name: string, doc: Record<string, unknown>) => {
    const f = join(tmp.dir, `${name}.json`);
    writeFileSync(f, stringifyJson(doc));
    return f;
  };

  it('a threshold above the auditors: a draft while it is built, refused by roster check and by start', () => {
    const f = join(tmp.dir, 'draft.json');
    const made = runCli(['roster', 'new', '--network', 'n', '--threshold', '2', '--out', f]);
    expect(made.status).toBe(0);
    expect(made.stderr).toContain('threshold 2 needs at least 2 auditors');
    const check = runCli(['roster', 'check', f]);
    expect(check.status).toBe(2);
    expect(check.stderr).toContain('roster.threshold: threshold 2 is greater than the number of auditors (0)');
    const start = runCli(['start', '--config', config, '--roster', f]);
    expect(start.status).toBe(2);
    expect(start.stderr).toContain('threshold 2 is greater than the number of auditors');
  });

  it('one peer id or one key under two names is refused by every roster command and by start', () => {
    const peer = rosterFile('peer', {
      network: 'n',
      threshold: 1n,
      auditors: [
        { name: 'a', public_key: key(1), peer_id: '12D3KooWSame' },
        { name: 'b', public_key: key(2), peer_id: '12D3KooWSame' },
      ],
    });
    const dupKey = rosterFile('key', {
      network: 'n',
      threshold: 1n,
      auditors: [
        { name: 'a', public_key: key(1) },
        { name: 'b', keys: [{ public_key: key(1) }] },
      ],
    });
    for (const [f, msg] of [
      [peer, 'peer id 12D3KooWSame is already listed for "a"'],
      [dupKey, `key ${key(1)} is already listed for "a"`],
    ] as const) {
      const before = readFileSync(f, 'utf8');
      for (const args of [
        ['roster', 'check', f],
        ['roster', 'namespace', f, '--name', 'x.example'],
        ['start', '--config', config, '--roster', f],
      ]) {
        const r = runCli(args);
        expect(r.status, args.join(' ')).toBe(2);
        expect(r.stderr).toContain(msg);
      }
      expect(readFileSync(f, 'utf8')).toBe(before); // nothing written
    }
  });

  it('key rotate refuses a not_before that is not after the current key, leaving config and data dir as they were', () => {
    const before = readFileSync(config, 'utf8');
    const files = readdirSync(join(tmp.dir, 'node')).sort();
    for (const nb of ['0', 'yesterday']) {
      const r = runCli(['key', 'rotate', '--config', config, '--not-before', nb]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/not-before/);
    }
    expect(readFileSync(config, 'utf8')).toBe(before);
    expect(readdirSync(join(tmp.dir, 'node')).sort()).toEqual(files);
  });

  it('key rotate adds the key and replaces the config atomically; a failed write changes nothing', () => {
    // After the key init made (its not_before is now).
    const t1 = String(Date.now() + 3_600_000);
    const t2 = String(Date.now() + 7_200_000);
    const ok = runCli(['key', 'rotate', '--config', config, '--not-before', t1]);
    expect(ok.status, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout) as { file: string; not_before: string };
    expect(out.not_before).toBe(t1);
    const doc = readFileSync(config, 'utf8');
    expect(doc).toContain(`node-${t1}.key`);
    expect(readdirSync(join(tmp.dir, 'node')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // A key file in the way (never overwritten): refused before the config is touched.
    const dir = join(tmp.dir, 'node');
    writeFileSync(join(dir, `node-${t2}.key`), 'not a key', { mode: 0o600 });
    const r = runCli(['key', 'rotate', '--config', config, '--not-before', t2]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`node-${t2}.key`);
    expect(readFileSync(config, 'utf8')).toBe(doc);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    rmSync(join(dir, `node-${t2}.key`));
    expect(runCli(['key', 'rotate', '--config', config, '--not-before', t2]).status).toBe(0);
    expect(readFileSync(config, 'utf8')).toContain(`node-${t2}.key`);
  });
});
