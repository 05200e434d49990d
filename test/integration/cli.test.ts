// The CLI as operators script it: compiled entry point, exit codes, JSON output.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { statSync, existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLI, runCli } from '../support/node-process.js';
import { tempDir } from '../support/tmp.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { signatureResponseToJson } from '../../src/plexi/signature-response.js';
import { stringifyJson } from '../../src/util/json.js';
import { toHex } from '../../src/util/bytes.js';
import { U64_MAX } from '../../src/util/u64.js';

const BIN = fileURLToPath(new URL('../../bin/chorus', import.meta.url));

describe('chorus CLI', () => {
  it('./bin/chorus --help lists the commands, and every command has --help', () => {
    const r = spawnSync(BIN, ['--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const c of ['init', 'start', 'verify-signature', 'audit']) expect(r.stdout).toContain(c);
    for (const c of ['init', 'start', 'verify-signature', 'audit']) {
      const h = runCli([c, '--help']);
      expect(h.status).toBe(0);
      expect(h.stdout).toContain(`Usage: chorus ${c}`);
    }
  });

  it('init --json prints the key, config path and tokens; the key file is 0600', () => {
    const tmp = tempDir();
    try {
      const r = runCli([
        'init',
        '--data-dir',
        `${tmp.dir}/node`,
        '--namespace',
        'a.example',
        '--namespace',
        'b.example',
        '--http-port',
        '0',
        '--json',
      ]);
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as { public_key: string; config: string; tokens: Record<string, string> };
      expect(out.public_key).toMatch(/^[0-9a-f]{64}$/);
      expect(existsSync(out.config)).toBe(true);
      expect(Object.keys(out.tokens)).toEqual(['a.example', 'b.example']);
      expect(statSync(`${tmp.dir}/node/node.key`).mode & 0o777).toBe(0o600);
      const again = runCli(['init', '--data-dir', `${tmp.dir}/node`, '--json']);
      expect(again.status).toBe(2);
      expect(again.stderr).toMatch(/already holds/);
      expect(runCli(['init', '--data-dir', `${tmp.dir}/x`, '--namespace', 'bad name']).status).toBe(2);
    } finally {
      tmp.cleanup();
    }
  });

  describe('verify-signature', () => {
    const key = signingKeyFromSeed(new Uint8Array(32).fill(9));
    const m = {
      ciphersuite: 1,
      namespace: 'ns',
      timestamp: U64_MAX,
      epoch: U64_MAX,
      digest: new Uint8Array(32).fill(1),
    };
    const good = stringifyJson(
      signatureResponseToJson({ ...m, signature: key.sign(signedBytes(m)), keyId: key.publicKey[31] as number }),
    );
    const k = toHex(key.publicKey);

    it('exit 0 for a valid signature (u64 extremes), the verdict on stdout; --json; a file or - for stdin', () => {
      const r = runCli(['verify-signature', '--key', k], good);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^valid: epoch 18446744073709551615 of ns signed by /);
      const j = runCli(['verify-signature', '--key', k, '--json', '-'], good);
      expect(j.status).toBe(0);
      expect(JSON.parse(j.stdout)).toMatchObject({ valid: true, namespace: 'ns', key: k });
      // u64 stays exact in the JSON verdict.
      expect(j.stdout).toContain('"epoch":18446744073709551615');
      const tmp = tempDir();
      try {
        writeFileSync(`${tmp.dir}/sig.json`, good);
        expect(runCli(['verify-signature', '--key', k, `${tmp.dir}/sig.json`]).status).toBe(0);
        expect(runCli(['verify-signature', '--key', k, `${tmp.dir}/missing.json`]).status).toBe(2);
      } finally {
        tmp.cleanup();
      }
    });
    it('exit 1 with the verdict on stdout for a tampered one or another key', () => {
      const r = runCli(['verify-signature', '--key', k], good.replace('"namespace":"ns"', '"namespace":"nt"'));
      expect(r.status).toBe(1);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toMatch(/^invalid: .*does not verify/);
      expect(r.stderr).toBe('');
      expect(
        runCli(['verify-signature', '--key', toHex(signingKeyFromSeed(new Uint8Array(32)).publicKey)], good).status,
      ).toBe(1);
    });
    it('exit 2 on bad input', () => {
      expect(runCli(['verify-signature', '--key', k], '{not json').status).toBe(2);
      expect(runCli(['verify-signature', '--key', 'abc'], good).status).toBe(2);
      expect(
        runCli(['verify-signature', '--key', k], good.replace(/"signature":"[0-9a-f]+"/, '"signature":"00"')).status,
      ).toBe(2);
    });
  });

  it('--version prints the package version; usage errors exit 2, never 1', () => {
    const v = runCli(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(runCli(['no-such-command']).status).toBe(2);
    expect(runCli(['verify-proof', 'x.json']).status).toBe(2); // missing --roster
    expect(runCli(['init', '--no-such-flag']).status).toBe(2);
    expect(runCli([]).status).toBe(2); // no command: help on stderr
    expect(runCli(['config']).status).toBe(2);
    expect(runCli(['verify-signature', '--help']).status).toBe(0);
  });

  describe('config check', () => {
    it('exit 0 for a valid config (file or -), 1 with every problem for an invalid one, 2 when unreadable', () => {
      const tmp = tempDir();
      try {
        const init = runCli(['init', '--data-dir', `${tmp.dir}/node`, '--namespace', 'a.example', '--json']);
        const config = (JSON.parse(init.stdout) as { config: string }).config;
        const ok = runCli(['config', 'check', config]);
        expect(ok.status).toBe(0);
        expect(ok.stdout).toMatch(/^valid: .*1 namespace\(s\) \(a\.example\)/);
        const j = runCli(['config', 'check', '--json', '-'], 'http:\n  port: 8080\n');
        expect(j.status).toBe(0);
        expect(JSON.parse(j.stdout)).toMatchObject({ valid: true, namespaces: [] });
        const two = runCli(['config', 'check', '-'], 'http:\n  port: 99999\nlog_level: loud\n');
        expect(two.status).toBe(1);
        expect(two.stdout).toMatch(/^invalid: /);
        expect(two.stdout).toContain('http.port');
        expect(two.stdout).toContain('log_level');
        expect(runCli(['config', 'check', `${tmp.dir}/missing.yaml`]).status).toBe(2);
      } finally {
        tmp.cleanup();
      }
    });

    it('refuses an empty config (check and start), and shows a YAML error whole', () => {
      const tmp = tempDir();
      try {
        writeFileSync(`${tmp.dir}/empty.yaml`, '# nothing here\n');
        const check = runCli(['config', 'check', `${tmp.dir}/empty.yaml`]);
        expect(check.status).toBe(1);
        expect(check.stdout).toContain('is empty');
        const start = runCli(['start', '--config', `${tmp.dir}/empty.yaml`]);
        expect(start.status).toBe(2);
        expect(start.stderr).toContain('is empty');
        writeFileSync(`${tmp.dir}/bad.yaml`, 'http:\n  port: 8080\n   host: x\n');
        const bad = runCli(['start', '--config', `${tmp.dir}/bad.yaml`]);
        expect(bad.status).toBe(2);
        // The yaml library's message: the reason, then the line and a caret under the column.
        expect(bad.stderr).toContain('not valid YAML');
        expect(bad.stderr.trim().split('\n').length).toBeGreaterThan(2);
        expect(bad.stderr).toContain('^');
      } finally {
        tmp.cleanup();
      }
    });
  });

  it('start refuses a bad --log-level or CHORUS_LOG_LEVEL with exit 2', () => {
    const tmp = tempDir();
    try {
      const init = runCli(['init', '--data-dir', `${tmp.dir}/node`, '--json']);
      const config = (JSON.parse(init.stdout) as { config: string }).config;
      const r = runCli(['start', '--config', config, '--log-level', 'loud']);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('--log-level must be one of');
      const env = spawnSync(process.execPath, [CLI, 'start', '--config', config], {
        encoding: 'utf8',
        env: { ...process.env, CHORUS_LOG_LEVEL: 'chatty' },
      });
      expect(env.status).toBe(2);
      expect(env.stderr).toContain('CHORUS_LOG_LEVEL must be one of');
    } finally {
      tmp.cleanup();
    }
  });
});
