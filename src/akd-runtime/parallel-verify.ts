// Two-thread verification of one large whatsapp_v1 proof, for `chorus akd verify`: a helper thread
// (started before the blob is read, so its start-up overlaps decoding) takes part of the
// independent hashing and the start tree while this thread takes the rest and the end tree. The
// threads share the decoded arrays (SharedArrayBuffer) and meet twice through Atomics; this
// thread blocks meanwhile, which suits a one-shot command (the node uses the pool instead).
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AkdHashing } from '../akd/configuration.js';
import { CTRL_DONE, CTRL_PHASE_A, CTRL_WORDS, splitPhaseA, type HashJob } from '../akd/hash-split.js';
import type { ProofElements } from '../akd/proof-codec.js';
import { WhatsAppTrieHasher } from '../akd/trie-hash.js';
import { hasherFor, serialHashStage, type HashStage, type TreeShape } from '../akd/verifier.js';

/**
 * Below this many elements a second thread costs more than it saves: it compiles its own copy of
 * the hashing code (cold JIT) and its start-up competes with decoding.
 */
export const PARALLEL_MIN_ELEMENTS = 100_000;
/** The same threshold on the blob's size (an akd element takes about 75 bytes). */
export const PARALLEL_MIN_BYTES = PARALLEL_MIN_ELEMENTS * 70;

/**
 * Above this size the CLI keeps to one thread: the two-thread stage needs about 170 bytes per
 * element (shared copies and per-node digest arrays) where the single-thread lean path needs 72,
 * and the memory bound (docs/akd.md "Where the bytes go") comes first.
 */
export const PARALLEL_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Whether a helper thread can pay off for a blob of `sizeBytes`: it must be large but not too
 * large, and a core must be idle (1-minute load average below cores − 1); on a busy machine two
 * threads of one proof only compete with each other.
 */
export function helperWorthIt(sizeBytes: number): boolean {
  return (
    sizeBytes >= PARALLEL_MIN_BYTES && sizeBytes <= PARALLEL_MAX_BYTES && loadavg()[0]! < availableParallelism() - 1
  );
}
const WAIT_MS = 120_000;

function workerUrl(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return pathToFileURL(join(dirname(here), 'hash-worker.js'));
  return pathToFileURL(join(dirname(here), '..', '..', 'dist', 'src', 'akd-runtime', 'hash-worker.js'));
}

function shared<T extends Uint8Array | Uint16Array | Uint32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

export class ParallelHashStage implements HashStage {
  private readonly worker: Worker;
  private readonly minElements: number;
  private failure: string | null = null;
  private splits = 0;

  private constructor(worker: Worker, minElements: number) {
    this.worker = worker;
    this.minElements = minElements;
    worker.on('message', (m: { error?: string }) => {
      if (m.error !== undefined) this.failure = m.error;
    });
    worker.on('error', (err) => {
      this.failure = err.message;
    });
    worker.unref();
  }

  /**
   * Start the helper thread now (null if its compiled entry is missing). Proofs smaller than
   * `minElements` are hashed in this thread alone.
   */
  static start(options: { minElements?: number } = {}): ParallelHashStage | null {
    const url = workerUrl();
    if (!existsSync(fileURLToPath(url))) return null;
    return new ParallelHashStage(new Worker(url), options.minElements ?? PARALLEL_MIN_ELEMENTS);
  }

  /** How many proofs were hashed by both threads. */
  get parallelRuns(): number {
    return this.splits;
  }

  /** Why the helper stopped being used, if it failed (the work was then done in this thread). */
  get lastFailure(): string | null {
    return this.failure;
  }

  roots(
    proof: ProofElements,
    shape: TreeShape,
    endEpoch: bigint,
    hashing: AkdHashing,
    previous: Uint8Array,
  ): { start: Uint8Array; end: Uint8Array | null } {
    const hasher = hasherFor(hashing);
    if (!(hasher instanceof WhatsAppTrieHasher) || proof.count < this.minElements || this.failure !== null) {
      return serialHashStage.roots(proof, shape, endEpoch, hashing, previous);
    }
    const n = proof.count;
    const pairs = Math.max(0, n - 1);
    const job: HashJob = {
      control: new Int32Array(new SharedArrayBuffer(CTRL_WORDS * 4)),
      labels: shared(proof.labels),
      lens: shared(proof.lens),
      values: shared(proof.values),
      count: n,
      unchangedCount: proof.unchangedCount,
      endEpoch,
      order: shared(shape.order),
      lcps: shared(shape.lcps),
      startSeq: shared(shape.start.seq),
      startLcps: shared(shape.start.lcps),
      startPairs: shared(shape.start.pairs),
      leafC: new Uint32Array(new SharedArrayBuffer(n * 32)),
      interiorLabelHash: new Uint32Array(new SharedArrayBuffer(pairs * 32)),
      startRoot: new Uint32Array(new SharedArrayBuffer(32)),
      split: splitPhaseA(n, proof.unchangedCount),
    };
    this.worker.ref();
    this.worker.postMessage(job);
    try {
      return this.split(hasher, proof, job, endEpoch);
    } catch (err) {
      // The helper failed: this thread can still do all the work.
      this.failure ??= err instanceof Error ? err.message : String(err);
      return serialHashStage.roots(proof, shape, endEpoch, hashing, previous);
    } finally {
      this.worker.unref();
      hasher.release();
    }
  }

  private split(
    hasher: WhatsAppTrieHasher,
    proof: ProofElements,
    job: HashJob,
    endEpoch: bigint,
  ): { start: Uint8Array; end: Uint8Array } {
    const n = job.count;
    const pairs = Math.max(0, n - 1);
    const elements = { ...proof, labels: job.labels, lens: job.lens, values: job.values };
    const input = {
      elements,
      labelWords: new Uint32Array(job.labels.buffer, job.labels.byteOffset, n * 8),
      valueWords: new Uint32Array(job.values.buffer, job.values.byteOffset, n * 8),
      endEpoch,
      order: job.order,
      lcps: job.lcps,
    };
    hasher.attach(input, job.leafC, job.interiorLabelHash);
    hasher.prepareLeaves(input, job.split.leaves, n);
    hasher.prepareInteriors(input, job.split.pairs, pairs);
    Atomics.add(job.control, CTRL_PHASE_A, 1);
    Atomics.notify(job.control, CTRL_PHASE_A);
    this.await(job.control, CTRL_PHASE_A, (v) => v >= 2, 'the helper thread did not finish its hashing');
    const end = hasher.root(job.order, n, job.lcps, null);
    this.await(job.control, CTRL_DONE, (v) => v !== 0, 'the helper thread did not hash the start tree');
    this.splits++;
    return { start: new Uint8Array(job.startRoot.slice().buffer), end };
  }

  /** Block until `control[index]` satisfies `done` (the helper never needs this thread's loop). */
  private await(control: Int32Array, index: number, done: (v: number) => boolean, message: string): void {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      if (Atomics.load(control, CTRL_DONE) === 2) throw new Error('the AKD hash helper failed');
      const v = Atomics.load(control, index);
      if (done(v)) return;
      if (Date.now() > deadline) throw new Error(message);
      Atomics.wait(control, index, v, 50);
    }
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
