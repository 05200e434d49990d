// Synthetic AKD logs on disk: lays out the proof blobs generated in memory (src/akd/generator.ts,
// src/akd/virtual-log.ts) as a proof directory ("{epoch}/{previous}/{current}" becomes nested
// folders, the last part the file), as `chorus akd generate`, the demo and the benchmarks need.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../util/bytes.js';
import type { AkdConfiguration } from '../akd/configuration.js';
import { SyntheticLog } from '../akd/generator.js';
import { encodeProofInChunks, type ProofElements } from '../akd/proof-codec.js';
import { VirtualLog, type VirtualLogOptions } from '../akd/virtual-log.js';

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
    ...(options.configuration.name === 'experimental'
      ? { domain_label: new TextDecoder().decode(log.tree.hashing.domainLabel) }
      : {}),
    seed,
    root: { epoch: '0', digest: toHex(log.tree.rootHash()) },
    head: { epoch: '0', digest: toHex(log.tree.rootHash()) },
    leaves: 0,
    epochs: [],
  };
  await mkdir(options.out, { recursive: true });
  const sizes =
    base > 0
      ? [base, ...Array<number>(options.epochs).fill(options.inserts)]
      : Array<number>(options.epochs).fill(options.inserts);
  for (const k of sizes) {
    const e = log.publish(k);
    await writeProofBlob(options.out, e.blobName, e.proof);
    summary.epochs.push({
      epoch: e.epoch.toString(),
      blob_name: e.blobName,
      inserted: e.inserted,
      unchanged: e.unchanged,
      bytes: e.proof.length,
    });
    summary.head = { epoch: e.epoch.toString(), digest: toHex(e.currentHash) };
  }
  summary.leaves = log.tree.leaves;
  return summary;
}

/** Write a proof as akd encodes it, 1 MiB at a time (a Messenger proof is hundreds of MB). Returns its size. */
export function writeProofFile(path: string, proof: ProofElements): number {
  const fd = openSync(path, 'w');
  try {
    return encodeProofInChunks(proof, new Uint8Array(1 << 20), (chunk, length) => {
      let done = 0;
      while (done < length) done += writeSync(fd, chunk, done, length - done);
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Generate a chain of virtual-tree epochs and write each proof under its blob name below `out`
 * ("{epoch}/{previous}/{current}" as nested folders). Returns the same summary as writeSyntheticLog.
 */
export function writeVirtualLog(
  options: VirtualLogOptions & { out: string },
): SyntheticLogSummary & { virtual_leaves: number } {
  const log = new VirtualLog(options);
  mkdirSync(options.out, { recursive: true });
  const summary: SyntheticLogSummary & { virtual_leaves: number } = {
    out: options.out,
    configuration: log.hashing.name,
    ...(log.hashing.name === 'experimental' ? { domain_label: new TextDecoder().decode(log.hashing.domainLabel) } : {}),
    seed: options.seed ?? 'chorus',
    root: { epoch: '', digest: '' },
    head: { epoch: '', digest: '' },
    leaves: options.leaves,
    virtual_leaves: options.leaves,
    epochs: [],
  };
  for (let e = log.next(); e !== null; e = log.next()) {
    if (summary.epochs.length === 0) summary.root = { epoch: (e.epoch - 1n).toString(), digest: toHex(e.previousHash) };
    const parts = e.blobName.split('/');
    const folder = join(options.out, ...parts.slice(0, -1));
    mkdirSync(folder, { recursive: true });
    const bytes = writeProofFile(join(folder, parts[parts.length - 1] as string), e.proof);
    summary.epochs.push({
      epoch: e.epoch.toString(),
      blob_name: e.blobName,
      inserted: e.inserted,
      unchanged: e.unchanged,
      bytes,
    });
    summary.head = { epoch: e.epoch.toString(), digest: toHex(e.currentHash) };
    summary.leaves += e.inserted;
  }
  return summary;
}
