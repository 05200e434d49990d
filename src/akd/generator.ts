// Synthetic AKD logs: deterministic pseudo-random leaves fed to the directory tree, one epoch at a
// time, in memory. Writing them out as a proof directory is src/akd-runtime/log-writer.ts's job.
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
