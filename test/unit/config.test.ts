import { describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configFromObject, loadConfig } from '../../src/config/config.js';
import { initDataDir } from '../../src/operator/init.js';
import { loadKeyFile, KeyFileError } from '../../src/config/key-file.js';
import { ConfigError } from '../../src/util/errors.js';
import { tempDir } from '../support/tmp.js';

const token = 'ab'.repeat(32);

function expectConfigError(doc: unknown, path: string, re: RegExp): void {
  try {
    configFromObject(doc, '/etc/chorus/chorus.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).path).toBe(path);
    expect((err as Error).message).toMatch(re);
    return;
  }
  throw new Error('expected a ConfigError');
}

describe('node configuration', () => {
  it('the file written by init loads, with defaults and resolved paths', async () => {
    const tmp = tempDir();
    try {
      const r = await initDataDir({ dataDir: tmp.dir, namespaces: ['a.example', 'b.example'], httpPort: 9000 });
      const c = loadConfig(r.config);
      expect(c.dataDir).toBe(tmp.dir);
      expect(c.keys[0]?.file).toBe(join(tmp.dir, 'node.key'));
      expect(c.http).toMatchObject({ host: '127.0.0.1', port: 9000 });
      expect(c.namespaces.map((n) => n.name)).toEqual(['a.example', 'b.example']);
      expect(c.namespaces[0]?.status).toBe('Initialization');
      // Only the token's hash is stored.
      const text = readFileSync(r.config, 'utf8');
      expect(parseYaml(text)).toBeTruthy();
      expect(text).not.toContain(r.tokens['a.example']);
      await expect(initDataDir({ dataDir: tmp.dir, namespaces: [], httpPort: 1 })).rejects.toThrow(
        /already holds a Chorus node/,
      );
    } finally {
      tmp.cleanup();
    }
  });

  it.each([
    [{ http: { port: 70000 } }, 'http.port', /65535|less than or equal/i],
    [{ namespaces: [{ name: 'bad name', token_sha256: token }] }, 'namespaces.0.name', /letters/],
    [{ namespaces: [{ name: 'a', token_sha256: 'xyz' }] }, 'namespaces.0.token_sha256', /SHA-256/],
    [{ namespaces: [{ name: 'a', token_sha256: token, status: 'Online' }] }, 'namespaces.0.root', /needs a root/],
    [{ namespaces: [{ name: 'a', token_sha256: token, root: '1/zz' }] }, 'namespaces.0.root', /EPOCH\/DIGEST/],
    [
      { namespaces: [{ name: 'a', token_sha256: token, root: `18446744073709551616/${'00'.repeat(32)}` }] },
      'namespaces.0.root',
      /2\^64-1/,
    ],
    // Found by the decoder fuzzing: a non-decimal epoch reached BigInt() and threw a SyntaxError.
    [
      { namespaces: [{ name: 'a', token_sha256: token, root: `x/${'00'.repeat(32)}` }] },
      'namespaces.0.root',
      /EPOCH\/DIGEST/,
    ],
    [{ namespaces: [{ name: 'a', token_sha256: token, root: 'b46592b5' }] }, 'namespaces.0.root', /EPOCH\/DIGEST/],
    [
      { namespaces: [{ name: 'a', token_sha256: token, configuration: 'experimental' }] },
      'namespaces.0.domain_label',
      /domain label/,
    ],
    // Found by the decoder fuzzing: zod ran the format's cross-field check on an empty label that had
    // already failed its own schema, and the check's parse threw an untyped ZodError.
    [
      { namespaces: [{ name: 'a', token_sha256: token, configuration: 'experimental', domain_label: '' }] },
      'namespaces.0.domain_label',
      />=1 character/,
    ],
    [
      {
        namespaces: [
          { name: 'a', token_sha256: token },
          { name: 'a', token_sha256: token },
        ],
      },
      'namespaces.1.name',
      /duplicate/,
    ],
    [{ typo_field: 1 }, '', /typo_field/],
  ])('names the field of an invalid config (%j)', (doc, path, re) => {
    expectConfigError(doc, path, re);
  });

  it('reports YAML syntax errors and unreadable files', () => {
    const tmp = tempDir();
    try {
      const f = join(tmp.dir, 'c.yaml');
      writeFileSync(f, 'http: [unclosed');
      expect(() => loadConfig(f)).toThrow(/not valid YAML/);
      expect(() => loadConfig(join(tmp.dir, 'missing.yaml'))).toThrow(/cannot read config file/);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses a key file that group or others can read', async () => {
    const tmp = tempDir();
    try {
      const r = await initDataDir({ dataDir: tmp.dir, namespaces: [], httpPort: 1 });
      expect(loadKeyFile(r.keyFile).publicKey).toHaveLength(32);
      chmodSync(r.keyFile, 0o644);
      expect(() => loadKeyFile(r.keyFile)).toThrow(KeyFileError);
      expect(() => loadKeyFile(r.keyFile)).toThrow(/chmod 600/);
      chmodSync(r.keyFile, 0o600);
      writeFileSync(r.keyFile, 'not a key', { mode: 0o600 });
      expect(() => loadKeyFile(r.keyFile)).toThrow(/Ed25519 private key/);
    } finally {
      tmp.cleanup();
    }
  });
});
