// The CLI as operators script it: compiled entry point, exit codes, JSON output.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { statSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/node-process.js';
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
      const r = runCli(['init', '--data-dir', `${tmp.dir}/node`, '--namespace', 'a.example', '--namespace', 'b.example', '--http-port', '0', '--json']);
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
    const m = { ciphersuite: 1, namespace: 'ns', timestamp: U64_MAX, epoch: U64_MAX, digest: new Uint8Array(32).fill(1) };
    const good = stringifyJson(signatureResponseToJson({ ...m, signature: key.sign(signedBytes(m)), keyId: key.publicKey[31] as number }));
    const k = toHex(key.publicKey);

    it('exit 0 for a valid signature (u64 extremes)', () => {
      const r = runCli(['verify-signature', '--key', k], good);
      expect(r.status).toBe(0);
    });
    it('exit 1 with a reason for a tampered one or another key', () => {
      const r = runCli(['verify-signature', '--key', k], good.replace('"namespace":"ns"', '"namespace":"nt"'));
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/does not verify/);
      expect(runCli(['verify-signature', '--key', toHex(signingKeyFromSeed(new Uint8Array(32)).publicKey)], good).status).toBe(1);
    });
    it('exit 2 on bad input', () => {
      expect(runCli(['verify-signature', '--key', k], '{not json').status).toBe(2);
      expect(runCli(['verify-signature', '--key', 'abc'], good).status).toBe(2);
      expect(runCli(['verify-signature', '--key', k], good.replace(/"signature":"[0-9a-f]+"/, '"signature":"00"')).status).toBe(2);
    });
  });
});
