import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { IDENTITY_FILE, loadIdentity, loadOrCreateIdentity } from '../../src/p2p/identity.js';
import { IdentityError } from '../../src/p2p/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chorus-id-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('p2p identity', () => {
  test('is created once with mode 0600 and reloaded with the same peer id', async () => {
    const a = await loadOrCreateIdentity(dir);
    expect(a.created).toBe(true);
    expect(a.peerId).toMatch(/^12D3KooW/); // Ed25519 peer ids are identity multihashes
    expect(a.privateKey.type).toBe('Ed25519');
    expect((await stat(join(dir, IDENTITY_FILE))).mode & 0o777).toBe(0o600);
    const b = await loadOrCreateIdentity(dir);
    expect(b.created).toBe(false);
    expect(b.peerId).toBe(a.peerId);
    expect((await loadIdentity(dir)).peerId).toBe(a.peerId);
  });

  test('creates the data directory if needed', async () => {
    const nested = join(dir, 'a', 'b');
    const id = await loadOrCreateIdentity(nested);
    expect((await loadIdentity(nested)).peerId).toBe(id.peerId);
  });

  test('an absolute file name is used as is (a key mounted outside the data directory)', async () => {
    const elsewhere = join(dir, 'secrets', 'p2p-identity.key');
    const a = await loadOrCreateIdentity(join(dir, 'data'), elsewhere);
    expect(a.path).toBe(elsewhere);
    expect((await stat(elsewhere)).mode & 0o777).toBe(0o600);
    expect((await loadIdentity(join(dir, 'other-data'), elsewhere)).peerId).toBe(a.peerId);
    await expect(stat(join(dir, 'data', elsewhere))).rejects.toThrow(/ENOENT/);
  });

  test('concurrent creators agree on one key', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => loadOrCreateIdentity(dir)));
    expect(new Set(ids.map((i) => i.peerId)).size).toBe(1);
    expect(ids.filter((i) => i.created)).toHaveLength(1);
  });

  test('a group- or world-readable key is refused with a clear error', async () => {
    await loadOrCreateIdentity(dir);
    const file = join(dir, IDENTITY_FILE);
    await chmod(file, 0o644);
    await expect(loadOrCreateIdentity(dir)).rejects.toThrow(IdentityError);
    await expect(loadIdentity(dir)).rejects.toThrow(/chmod 600/);
    await chmod(file, 0o640);
    await expect(loadIdentity(dir)).rejects.toThrow(/group or others/);
    // the key was not replaced
    await chmod(file, 0o600);
    await expect(loadIdentity(dir)).resolves.toBeTruthy();
  });

  test('loadIdentity does not create; a missing file is an IdentityError', async () => {
    await expect(loadIdentity(dir)).rejects.toThrow(IdentityError);
    await expect(loadIdentity(dir)).rejects.toThrow(/no libp2p identity/);
  });

  test('a corrupt key file is refused, not overwritten', async () => {
    const file = join(dir, IDENTITY_FILE);
    await writeFile(file, Buffer.from('not a key'), { mode: 0o600 });
    await expect(loadOrCreateIdentity(dir)).rejects.toThrow(/not a libp2p private key/);
    expect((await readFile(file)).toString()).toBe('not a key');
  });
});
