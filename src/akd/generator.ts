// Synthetic AKD logs: deterministic pseudo-random leaves fed to the directory tree, one epoch at a
// time, and a writer that lays out the proof blobs as a proof directory on disk
// ("{epoch}/{previous}/{current}" becomes nested folders, the last part the file).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../util/bytes.js';
import { BLAKE3_IV, ONE_BLOCK, blake3, compress } from './blake3.js';
import type { AkdConfiguration } from './configuration.js';
import { AkdDirectoryTree, type LeafBatch, type PublishedEpoch } from './directory-tree.js';

/**
 * Deterministic leaves: leaf n has label BLAKE3(seed key || 1 || n) and commitment
 * BLAKE3(seed key || 2 || n), so a log is reproducible from its seed (labels look like akd's VRF
 * outputs: uniformly random 256-bit strings).
 */
export class LeafSource {
  private readonly key: Uint32Array;
  private counter = 0;
  private readonly block = new Uint32Array(16);

  constructor(seed: string) {
    this.key = new Uint32Array(blake3(new TextEncoder().encode(`chorus synthetic akd log: ${seed}`)).buffer);
  }

  /** How many leaves have been drawn. */
  get drawn(): number {
    return this.counter;
  }

  private derive(kind: number, n: number, out: Uint32Array, off: number): void {
    const b = this.block;
    b.set(this.key, 0);
    b[8] = kind;
    b[9] = n >>> 0;
    b[10] = Math.floor(n / 2 ** 32);
    for (let k = 11; k < 16; k++) b[k] = 0;
    compress(BLAKE3_IV, 0, b, 0, 44, ONE_BLOCK, out, off);
  }

  /** The next `count` leaves. */
  next(count: number): LeafBatch {
    const labels = new Uint8Array(count * 32);
    const values = new Uint8Array(count * 32);
    const lw = new Uint32Array(labels.buffer);
    const vw = new Uint32Array(values.buffer);
    for (let i = 0; i < count; i++) {
      const n = this.counter++;
      this.derive(1, n, lw, i * 8);
      this.derive(2, n, vw, i * 8);
    }
    return { labels, values };
  }
}

/** A directory tree plus its leaf source: publish one synthetic epoch per call. */
export class SyntheticLog {
  readonly tree: AkdDirectoryTree;
  readonly leaves: LeafSource;

  constructor(configuration: AkdConfiguration, seed: string, options: { expectedLeaves?: number } = {}) {
    this.tree = new AkdDirectoryTree(configuration, options);
    this.leaves = new LeafSource(seed);
  }

  /** Publish the next epoch with `inserts` new leaves. */
  publish(inserts: number): PublishedEpoch {
    return this.tree.publish(this.leaves.next(inserts));
  }
}

/** Write a proof blob under its blob name below `dir`. Returns the file's path. */
export async function writeProofBlob(dir: string, blobName: string, proof: Uint8Array): Promise<string> {
  const parts = blobName.split('/');
  const folder = join(dir, ...parts.slice(0, -1));
  await mkdir(folder, { recursive: true });
  const file = join(folder, parts[parts.length - 1] as string);
  await writeFile(file, proof);
  return file;
}

export interface SyntheticLogOptions {
  /** Folder to write the proof directory into (created if missing). */
  out: string;
  configuration: AkdConfiguration;
  /** Leaves inserted by the first epoch (0: none, the first epoch has `inserts` like the rest). */
  base?: number;
  /** Epochs after the base epoch. */
  epochs: number;
  /** Leaves inserted per epoch. */
  inserts: number;
  seed?: string;
}

export interface SyntheticLogEpoch {
  epoch: string;
  blob_name: string;
  inserted: number;
  unchanged: number;
  bytes: number;
}

export interface SyntheticLogSummary {
  out: string;
  configuration: string;
  domain_label?: string;
  seed: string;
  /** The start of the chain: epoch 0 and the empty tree's root. */
  root: { epoch: string; digest: string };
  head: { epoch: string; digest: string };
  leaves: number;
  epochs: SyntheticLogEpoch[];
}

/** Generate a synthetic log from the empty tree and write every epoch's proof blob. */
export async function writeSyntheticLog(options: SyntheticLogOptions): Promise<SyntheticLogSummary> {
  const seed = options.seed ?? 'chorus';
  const base = options.base ?? 0;
  const expectedLeaves = base + options.epochs * options.inserts;
  const log = new SyntheticLog(options.configuration, seed, { expectedLeaves });
  const summary: SyntheticLogSummary = {
    out: options.out,
    configuration: options.configuration.name,
    ...(options.configuration.name === 'experimental' ? { domain_label: new TextDecoder().decode(log.tree.hashing.domainLabel) } : {}),
    seed,
    root: { epoch: '0', digest: toHex(log.tree.rootHash()) },
    head: { epoch: '0', digest: toHex(log.tree.rootHash()) },
    leaves: 0,
    epochs: [],
  };
  await mkdir(options.out, { recursive: true });
  const sizes = base > 0 ? [base, ...Array<number>(options.epochs).fill(options.inserts)] : Array<number>(options.epochs).fill(options.inserts);
  for (const k of sizes) {
    const e = log.publish(k);
    await writeProofBlob(options.out, e.blobName, e.proof);
    summary.epochs.push({ epoch: e.epoch.toString(), blob_name: e.blobName, inserted: e.inserted, unchanged: e.unchanged, bytes: e.proof.length });
    summary.head = { epoch: e.epoch.toString(), digest: toHex(e.currentHash) };
  }
  summary.leaves = log.tree.leaves;
  return summary;
}
