// The directory tree and synthetic logs: akd's 12-epoch chain replayed from the empty tree gives
// akd's root at every epoch and akd's proofs (as sets: akd's element order depends on its threads),
// and everything the generator writes verifies.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfiguration } from '../../src/akd/configuration.js';
import { AkdDirectoryTree, DirectoryTreeError } from '../../src/akd/directory-tree.js';
import { LeafSource, SyntheticLog } from '../../src/akd/generator.js';
import { writeSyntheticLog } from '../../src/akd-runtime/log-writer.js';
import { decodeSingleAppendOnlyProof, type ProofElements } from '../../src/akd/proof-codec.js';
import { verifyAuditBlob } from '../../src/akd/verifier.js';
import { toHex } from '../../src/util/bytes.js';
import { AKD_VECTORS, configurationOf, loadIndex, loadProof } from './akd-fixtures.js';

/** A proof's elements as a sorted list of "label/len/value" strings, per list. */
function elementSet(p: ProofElements): { inserted: string[]; unchanged: string[] } {
  const item = (i: number): string =>
    `${toHex(p.labels.subarray(i * 32, i * 32 + 32))}/${p.lens[i]}/${toHex(p.values.subarray(i * 32, i * 32 + 32))}`;
  const unchanged: string[] = [];
  const inserted: string[] = [];
  for (let i = 0; i < p.count; i++) (i < p.unchangedCount ? unchanged : inserted).push(item(i));
  return { inserted: inserted.sort(), unchanged: unchanged.sort() };
}

function insertedOf(p: ProofElements): { labels: Uint8Array; values: Uint8Array } {
  return { labels: p.labels.slice(p.unchangedCount * 32), values: p.values.slice(p.unchangedCount * 32) };
}

describe('directory tree: akd chain replay', () => {
  const index = loadIndex(AKD_VECTORS);
  for (const [name, pattern] of [
    ['whatsapp_v1 chain', /^chain-e\d\d-/],
    ['experimental chain', /^experimental-e\d\d-/],
  ] as const) {
    it(`${name}: every root, every proof (as a set) and every verdict`, () => {
      const cases = index.filter((c) => pattern.test(c.name)).sort((a, b) => a.epoch - b.epoch);
      expect(cases.length).toBeGreaterThan(1);
      const first = cases[0];
      if (first === undefined) throw new Error('no cases');
      const tree = new AkdDirectoryTree(configurationOf(first));
      for (const c of cases) {
        expect(toHex(tree.rootHash()), `${c.name} previous`).toBe(c.previous_hash);
        const akdProof = decodeSingleAppendOnlyProof(loadProof(AKD_VECTORS, c));
        const published = tree.publish(insertedOf(akdProof));
        expect(published.epoch).toBe(BigInt(c.epoch));
        expect(toHex(published.currentHash), `${c.name} current`).toBe(c.current_hash);
        expect(published.blobName).toBe(c.blob_name);
        expect(elementSet(decodeSingleAppendOnlyProof(published.proof))).toEqual(elementSet(akdProof));
        expect(verifyAuditBlob(published.proof, published.blobName, configurationOf(c)).ok).toBe(true);
      }
      if (name === 'whatsapp_v1 chain') {
        // Proofs of old transitions asked after epoch 12, as akd's chain-later vectors.
        for (const c of index.filter((x) => x.name.startsWith('chain-later-'))) {
          const later = decodeSingleAppendOnlyProof(tree.appendOnlyProof(BigInt(c.epoch - 1)));
          expect(elementSet(later), c.name).toEqual(elementSet(decodeSingleAppendOnlyProof(loadProof(AKD_VECTORS, c))));
        }
      }
    });
  }
});

describe('directory tree: rules', () => {
  const h = resolveConfiguration('whatsapp_v1');

  it("starts at akd's empty-tree root", () => {
    const chain1 = loadIndex(AKD_VECTORS).find((c) => c.name === 'chain-e01-k3');
    expect(toHex(new AkdDirectoryTree(h).rootHash())).toBe(chain1?.previous_hash);
    expect(toHex(new AkdDirectoryTree({ name: 'experimental' }).rootHash())).toBe('00'.repeat(32));
  });

  it('refuses a label twice in a batch, a label already in the tree, and an empty batch', () => {
    const tree = new AkdDirectoryTree(h);
    const leaves = new LeafSource('rules').next(3);
    tree.insert(leaves);
    const root = toHex(tree.rootHash());
    const twice = { labels: new Uint8Array(64), values: new Uint8Array(64) };
    expect(() => tree.insert(twice)).toThrow(DirectoryTreeError);
    const again = { labels: leaves.labels.slice(32, 64), values: new Uint8Array(32) };
    expect(() => tree.insert(again)).toThrow(/already in the tree/);
    expect(() => tree.insert({ labels: new Uint8Array(0), values: new Uint8Array(0) })).toThrow(/at least one leaf/);
    // Refused batches change nothing.
    expect(toHex(tree.rootHash())).toBe(root);
    expect(tree.latestEpoch).toBe(1n);
    expect(tree.leaves).toBe(3);
    expect(tree.publish(new LeafSource('rules-2').next(2)).epoch).toBe(2n);
  });

  it('proves every earlier transition from the latest tree', () => {
    for (const configuration of [
      { name: 'whatsapp_v1' as const },
      { name: 'experimental' as const, domainLabel: 'x' },
    ]) {
      const log = new SyntheticLog(configuration, 'later');
      const epochs = [40, 1, 7, 25, 3, 60].map((k) => log.publish(k));
      for (const e of epochs) {
        const proof = log.tree.appendOnlyProof(e.epoch - 1n);
        const r = verifyAuditBlob(proof, e.blobName, configuration);
        expect(r.ok, `${configuration.name} epoch ${e.epoch}`).toBe(true);
      }
    }
  });
});

describe('synthetic log on disk', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chorus-akd-log-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each proof under its blob name; the chain links and every blob verifies', async () => {
    const out = join(dir, 'log');
    const configuration = { name: 'experimental' as const, domainLabel: 'ExampleLabel' };
    const summary = await writeSyntheticLog({ out, configuration, base: 500, epochs: 4, inserts: 20, seed: 's1' });
    expect(summary.epochs.map((e) => e.epoch)).toEqual(['1', '2', '3', '4', '5']);
    expect(summary.epochs.map((e) => e.inserted)).toEqual([500, 20, 20, 20, 20]);
    expect(summary.leaves).toBe(580);
    expect(summary.domain_label).toBe('ExampleLabel');
    const files: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const entry of await readdir(d, { withFileTypes: true })) {
        const p = join(d, entry.name);
        if (entry.isDirectory()) await walk(p);
        else files.push(p);
      }
    };
    await walk(out);
    const names = files.map((f) => relative(out, f).split(/[\\/]/).join('/')).sort();
    expect(names).toEqual(summary.epochs.map((e) => e.blob_name).sort());
    let previous = summary.root.digest;
    for (const e of summary.epochs) {
      const [, prev, cur] = e.blob_name.split('/');
      expect(prev).toBe(previous);
      previous = cur ?? '';
      const bytes = await readFile(join(out, ...e.blob_name.split('/')));
      expect(bytes.length).toBe(e.bytes);
      const r = verifyAuditBlob(bytes, e.blob_name, configuration);
      expect(r.ok).toBe(true);
      expect(r.unchanged).toBe(e.unchanged);
    }
    expect(previous).toBe(summary.head.digest);
  });

  it('is reproducible from its seed and differs with another seed', async () => {
    const configuration = { name: 'whatsapp_v1' as const };
    const a = await writeSyntheticLog({ out: join(dir, 'a'), configuration, epochs: 3, inserts: 10, seed: 'same' });
    const b = await writeSyntheticLog({ out: join(dir, 'b'), configuration, epochs: 3, inserts: 10, seed: 'same' });
    const c = await writeSyntheticLog({ out: join(dir, 'c'), configuration, epochs: 3, inserts: 10, seed: 'other' });
    expect(b.epochs.map((e) => e.blob_name)).toEqual(a.epochs.map((e) => e.blob_name));
    expect(c.head.digest).not.toBe(a.head.digest);
  });
});
