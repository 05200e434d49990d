// Realistic synthetic logs (virtual-log.ts): chained epochs of a virtual dense tree verify, link
// (each starts where the previous ended), are reproducible from the seed, have the issue's
// element counts (at a smaller scale: the counts depend on leaves / inserts), and any single-bit
// change of a proof is rejected; the same through `chorus akd generate` / `chorus akd verify`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSingleAppendOnlyProof, encodeSingleAppendOnlyProof } from '../../src/akd/proof-codec.js';
import { verifyAuditBlob, verifyConsecutiveAppendOnly } from '../../src/akd/verifier.js';
import { AKD_SHAPES, VirtualLog, VirtualLogError, type VirtualEpoch } from '../../src/akd/virtual-log.js';
import { writeProofFile } from '../../src/akd-runtime/log-writer.js';
import { toHex } from '../../src/util/bytes.js';
import { CLI, ensureAkdBuild } from './akd-build.js';

const dir = mkdtempSync(join(tmpdir(), 'chorus-akd-virtual-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chain(options: { leaves: number; inserts: number; epochs: number; seed?: string }): VirtualEpoch[] {
  const log = new VirtualLog({ configuration: { name: 'whatsapp_v1' }, ...options });
  const out: VirtualEpoch[] = [];
  for (let e = log.next(); e !== null; e = log.next()) out.push(e);
  return out;
}

/** Deterministic bit positions: every bit of the first and last 80 bytes, and `n` spread over the rest. */
function bitsToFlip(bytes: number, n: number): number[] {
  const bits: number[] = [];
  for (let b = 0; b < Math.min(bytes, 80) * 8; b++) bits.push(b);
  for (let b = Math.max(0, bytes - 80) * 8; b < bytes * 8; b++) bits.push(b);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    bits.push(x % (bytes * 8));
  }
  return bits;
}

describe('virtual dense-tree logs', () => {
  it('chains: every epoch verifies and starts where the previous one ended; the seed fixes the log', () => {
    const epochs = chain({ leaves: 50_000, inserts: 300, epochs: 4 });
    expect(epochs.map((e) => e.epoch)).toEqual([1n, 2n, 3n, 4n]);
    for (const [i, e] of epochs.entries()) {
      expect(e.inserted).toBe(300);
      expect(e.unchanged).toBeGreaterThan(300 * 5);
      const bytes = encodeSingleAppendOnlyProof(e.proof);
      const r = verifyAuditBlob(bytes, e.blobName, 'whatsapp_v1');
      expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
      if (i > 0) expect(toHex(e.previousHash)).toBe(toHex(epochs[i - 1]!.currentHash));
      // The proof of one epoch does not verify as the transition of another.
      if (i > 0)
        expect(
          verifyConsecutiveAppendOnly(e.proof, epochs[i - 1]!.previousHash, e.currentHash, e.epoch, 'whatsapp_v1').ok,
        ).toBe(false);
    }
    const again = chain({ leaves: 50_000, inserts: 300, epochs: 4 });
    expect(again.map((e) => e.blobName)).toEqual(epochs.map((e) => e.blobName));
    const other = chain({ leaves: 50_000, inserts: 300, epochs: 1, seed: 'other' });
    expect(other[0]?.blobName).not.toBe(epochs[0]?.blobName);
  });

  it('rejects the proof after any single-bit change', () => {
    const [e] = chain({ leaves: 20_000, inserts: 60, epochs: 1 });
    if (e === undefined) throw new Error('no epoch');
    const bytes = encodeSingleAppendOnlyProof(e.proof);
    expect(verifyAuditBlob(bytes, e.blobName, 'whatsapp_v1').ok).toBe(true);
    const bits = bitsToFlip(bytes.length, 600);
    for (const bit of bits) {
      const bad = bytes.slice();
      bad[bit >>> 3] = (bad[bit >>> 3] as number) ^ (0x80 >>> (bit & 7));
      expect(verifyAuditBlob(bad, e.blobName, 'whatsapp_v1').ok, `bit ${bit}`).toBe(false);
    }
  });

  it('rejects a small proof after every single-bit change, exhaustively', () => {
    const [e] = chain({ leaves: 3_000, inserts: 4, epochs: 1, seed: 'every bit' });
    if (e === undefined) throw new Error('no epoch');
    const bytes = encodeSingleAppendOnlyProof(e.proof);
    expect(e.unchanged).toBeGreaterThan(20);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const bad = bytes.slice();
      bad[bit >>> 3] = (bad[bit >>> 3] as number) ^ (0x80 >>> (bit & 7));
      if (verifyAuditBlob(bad, e.blobName, 'whatsapp_v1').ok) throw new Error(`bit ${bit} flipped still verifies`);
    }
  });

  it("has the issue's element counts and bytes per element, scaled down (same leaves per insert)", () => {
    // The epochs: unchanged per inserted and bytes per element (docs/akd.md).
    const targets = {
      whatsapp: [835_000 / 55_000, 44e6 / 890_000],
      messenger: [4_030_000 / 350_000, 224e6 / 4_380_000],
      'messenger-max': [4_900_000 / 565_000, 284e6 / 5_465_000],
    } as const;
    for (const [name, shape] of Object.entries(AKD_SHAPES)) {
      const inserts = 4_000;
      const [e] = chain({ leaves: Math.round((shape.leaves / shape.inserts) * inserts), inserts, epochs: 1 });
      if (e === undefined) throw new Error('no epoch');
      const [ratio, perElement] = targets[name as keyof typeof targets];
      const bytes = encodeSingleAppendOnlyProof(e.proof).length;
      expect(e.unchanged / e.inserted, name).toBeGreaterThan(ratio * 0.85);
      expect(e.unchanged / e.inserted, name).toBeLessThan(ratio * 1.15);
      expect(bytes / (e.inserted + e.unchanged), name).toBeGreaterThan(perElement * 0.85);
      expect(bytes / (e.inserted + e.unchanged), name).toBeLessThan(perElement * 1.15);
    }
  });

  it('starts from the empty tree with no virtual leaves, and refuses bad options', () => {
    const epochs = chain({ leaves: 0, inserts: 10, epochs: 2 });
    expect(epochs[0]?.unchanged).toBe(0);
    for (const e of epochs)
      expect(verifyConsecutiveAppendOnly(e.proof, e.previousHash, e.currentHash, e.epoch, 'whatsapp_v1').ok).toBe(true);
    expect(() => new VirtualLog({ configuration: { name: 'whatsapp_v1' }, leaves: 10, inserts: 0, epochs: 1 })).toThrow(
      VirtualLogError,
    );
    expect(() => new VirtualLog({ configuration: { name: 'whatsapp_v1' }, leaves: -1, inserts: 1, epochs: 1 })).toThrow(
      VirtualLogError,
    );
    expect(
      () =>
        new VirtualLog({ configuration: { name: 'whatsapp_v1' }, leaves: 10, inserts: 1, epochs: 1, firstEpoch: 0n }),
    ).toThrow(VirtualLogError);
  });

  it('works for the experimental configuration too', () => {
    const log = new VirtualLog({ configuration: { name: 'experimental' }, leaves: 5_000, inserts: 40, epochs: 2 });
    let previous: Uint8Array | null = null;
    for (let e = log.next(); e !== null; e = log.next()) {
      const r = verifyConsecutiveAppendOnly(e.proof, e.previousHash, e.currentHash, e.epoch, { name: 'experimental' });
      expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
      if (previous !== null) expect(toHex(e.previousHash)).toBe(toHex(previous));
      previous = e.currentHash;
    }
  });

  it('writes proofs in chunks exactly as the in-memory encoder does', () => {
    const [e] = chain({ leaves: 200_000, inserts: 3_000, epochs: 1 });
    if (e === undefined) throw new Error('no epoch');
    const path = join(dir, 'chunked.bin');
    const size = writeProofFile(path, e.proof);
    const expected = encodeSingleAppendOnlyProof(e.proof);
    expect(size).toBe(expected.length);
    expect(size).toBeGreaterThan(1 << 20); // more than one chunk
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(expected))).toBe(true);
    expect(decodeSingleAppendOnlyProof(expected).count).toBe(e.proof.count);
  });
});

describe('chorus akd generate --leaves / --shape, then chorus akd verify', () => {
  beforeAll(() => ensureAkdBuild(), 120_000);

  const chorus = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('generates a chain that the CLI verifies, and rejects a flipped bit', () => {
    const out = join(dir, 'cli');
    const g = chorus(
      'akd',
      'generate',
      '--out',
      out,
      '--leaves',
      '30000',
      '--inserts',
      '200',
      '--epochs',
      '2',
      '--seed',
      'smoke',
    );
    expect(g.code, g.stderr).toBe(0);
    const summary = JSON.parse(g.stdout) as {
      epochs: Array<{ blob_name: string; inserted: number; unchanged: number; bytes: number }>;
      head: { epoch: string };
    };
    expect(summary.epochs).toHaveLength(2);
    expect(summary.head.epoch).toBe('2');
    expect(summary.epochs[1]!.blob_name.split('/')[1]).toBe(summary.epochs[0]!.blob_name.split('/')[2]);
    for (const e of summary.epochs) {
      const file = join(out, e.blob_name);
      const v = chorus('akd', 'verify', '--configuration', 'whatsapp_v1', '--blob-name', e.blob_name, '--json', file);
      expect(v.code, v.stderr).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, inserted: e.inserted, unchanged: e.unchanged });
      const bad = readFileSync(file);
      bad[Math.floor(bad.length / 2)] = (bad[Math.floor(bad.length / 2)] as number) ^ 0x10;
      const badFile = join(dir, 'bad.bin');
      writeFileSync(badFile, bad);
      expect(chorus('akd', 'verify', '--configuration', 'whatsapp_v1', '--blob-name', e.blob_name, badFile).code).toBe(
        1,
      );
    }
    expect(readdirSync(out)).toEqual(['1', '2']);
  });

  it('refuses --shape with --leaves, and --base with a virtual tree', () => {
    expect(chorus('akd', 'generate', '--out', join(dir, 'x'), '--shape', 'whatsapp', '--leaves', '10').code).toBe(2);
    expect(chorus('akd', 'generate', '--out', join(dir, 'y'), '--leaves', '10', '--base', '5').code).toBe(2);
    expect(chorus('akd', 'generate', '--out', join(dir, 'z'), '--shape', 'tiny').code).toBe(2);
  });
});
