// A pool of worker threads that verify AKD proofs off the event loop (a WhatsApp epoch takes a few
// hundred milliseconds of CPU; libp2p drops connections if the loop stalls). Jobs queue when every
// worker is busy; the proof's buffer is transferred, not copied, when it can be.
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ChorusError } from '../util/errors.js';
import { parseBlobName, type AuditBlobName } from '../akd/blob-name.js';
import type { AkdConfiguration } from '../akd/configuration.js';
import { AkdInputError } from '../akd/errors.js';
import type { AkdVerdict, AkdVerifyRequest, AkdVerifyResponse } from '../akd/verdict.js';

export interface AkdVerifyJob {
  proof: Uint8Array;
  previous: Uint8Array;
  current: Uint8Array;
  /** The blob's epoch: the transition's end epoch. */
  endEpoch: bigint;
  configuration: AkdConfiguration;
}

/** A proof in a file: the worker reads and decodes it itself, streaming (docs/akd.md). */
export interface AkdVerifyFileJob {
  path: string;
  previous: Uint8Array;
  current: Uint8Array;
  /** The blob's epoch: the transition's end epoch. */
  endEpoch: bigint;
  configuration: AkdConfiguration;
}

export interface AkdVerifyOutcome extends AkdVerdict {
  /** Time spent waiting for a free worker, and from submission to answer (ms). */
  queuedMs: number;
  totalMs: number;
}

export interface AkdVerifyPoolOptions {
  /** Worker threads (default: the number of cores). */
  size?: number;
  /** The compiled worker entry (default: verify-worker.js next to this module, or in dist/). */
  workerUrl?: URL;
  /**
   * A worker idle this long is stopped (default IDLE_WORKER_MS): an idle isolate never collects
   * its garbage, so a proof's arrays would stay resident until the next job (docs/akd.md, "The
   * node's memory"); stopping the thread hands them back to the system at once.
   */
  idleMs?: number;
  /**
   * A worker whose element arena is larger than this after a job is stopped at once (default
   * RETIRE_ABOVE_BYTES): a Messenger proof's arrays must not stay resident while the same worker
   * verifies the small WhatsApp proofs that follow (docs/akd.md, "The node's memory").
   */
  retireAboveBytes?: number;
}

/** A worker's answer: the verdict, and the bytes its element arena holds now. */
export type WorkerResponse = AkdVerifyResponse & { arenaBytes?: number };

/** Arena size above which a worker is stopped after its job (a W proof's arena is ≈ 59 MB). */
export const RETIRE_ABOVE_BYTES = 128 * 2 ** 20;

/** How long an idle worker is kept for the next job before it is stopped. */
export const IDLE_WORKER_MS = 2_000;

export class AkdPoolError extends ChorusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('akd-pool', message, options);
  }
}

interface Pending {
  req: AkdVerifyRequest;
  /** The proof's size (bytes): decides whether an idle worker's arena can take it. */
  bytes: number;
  transfer: ArrayBuffer[];
  submitted: number;
  started: number;
  resolve: (outcome: AkdVerifyOutcome) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Pending | null;
  idleTimer: NodeJS.Timeout | null;
  /** The largest proof this worker has decoded (its arena is sized for it). */
  largestBytes: number;
}

/**
 * A proof this much larger than the largest one an idle worker has decoded goes to a fresh worker:
 * growing the arena would leave the old buffers as garbage the busy isolate does not collect
 * (docs/akd.md, "Both logs in one node within 512 MB"). Equal-sized W proofs keep their worker.
 */
const FRESH_WORKER_GROWTH = 1.5;

/**
 * Where the compiled worker is: next to this module when it runs compiled; from the TypeScript
 * sources (vitest), the same file under dist/ (`npm run build` makes it).
 */
export function defaultWorkerUrl(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return pathToFileURL(join(dirname(here), 'verify-worker.js'));
  const root = join(dirname(here), '..', '..');
  return pathToFileURL(join(root, 'dist', 'src', 'akd-runtime', 'verify-worker.js'));
}

export class AkdVerifyPool {
  readonly size: number;
  private readonly workerUrl: URL;
  private readonly idleMs: number;
  private readonly retireAboveBytes: number;
  private readonly slots: Slot[] = [];
  private readonly stopping = new Set<Promise<number>>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private started = 0;
  private closed = false;
  private drained: (() => void) | null = null;

  constructor(options: AkdVerifyPoolOptions = {}) {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1)
      throw new AkdPoolError(`pool size must be a positive integer, got ${size}`);
    this.size = size;
    this.workerUrl = options.workerUrl ?? defaultWorkerUrl();
    this.idleMs = options.idleMs ?? IDLE_WORKER_MS;
    this.retireAboveBytes = options.retireAboveBytes ?? RETIRE_ABOVE_BYTES;
    if (!(this.idleMs >= 0)) throw new AkdPoolError(`idleMs must be a non-negative number, got ${this.idleMs}`);
    if (!(this.retireAboveBytes >= 0))
      throw new AkdPoolError(`retireAboveBytes must be a non-negative number, got ${this.retireAboveBytes}`);
    if (this.workerUrl.protocol === 'file:' && !existsSync(fileURLToPath(this.workerUrl))) {
      throw new AkdPoolError(`AKD verify worker not found at ${fileURLToPath(this.workerUrl)} (run \`npm run build\`)`);
    }
  }

  /** Jobs waiting for a worker, and jobs running. */
  get queued(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.slots.filter((s) => s.job !== null).length;
  }

  /** Worker threads started since the pool was made (a stopped worker is replaced by a new one). */
  get workersStarted(): number {
    return this.started;
  }

  /** Worker threads alive (idle ones are stopped after `idleMs`). */
  get workers(): number {
    return this.slots.length;
  }

  /**
   * Verify one proof in a worker. With `transfer` (the default) a proof that spans its whole
   * ArrayBuffer is moved to the worker and is detached here afterwards; otherwise it is copied.
   */
  verify(job: AkdVerifyJob, options: { transfer?: boolean } = {}): Promise<AkdVerifyOutcome> {
    if (this.closed) return Promise.reject(new AkdPoolError('the AKD verify pool is closed'));
    if (job.previous.length !== 32 || job.current.length !== 32) {
      return Promise.reject(new AkdInputError('root digests must be 32 bytes'));
    }
    let proof = job.proof;
    const movable =
      options.transfer !== false &&
      proof.buffer instanceof ArrayBuffer &&
      proof.byteOffset === 0 &&
      proof.byteLength === proof.buffer.byteLength;
    if (!movable) proof = proof.slice(); // one copy, then moved: never copied twice
    const req: AkdVerifyRequest = {
      id: this.nextId++,
      proof,
      previous: job.previous,
      current: job.current,
      endEpoch: job.endEpoch,
      configuration: job.configuration,
    };
    return new Promise<AkdVerifyOutcome>((resolve, reject) => {
      this.queue.push({
        req,
        bytes: proof.byteLength,
        transfer: [proof.buffer as ArrayBuffer],
        submitted: performance.now(),
        started: 0,
        resolve,
        reject,
      });
      this.dispatch();
    });
  }

  /**
   * Verify the proof stored in the file at `path`. The worker reads it in chunks and decodes while
   * the bytes arrive, so the whole file is never held in memory. An unreadable file is a verdict
   * with `failure.code` 'akd-bad-input' (reason 'unreadable'): "could not check", not invalid.
   */
  verifyFile(job: AkdVerifyFileJob): Promise<AkdVerifyOutcome> {
    if (this.closed) return Promise.reject(new AkdPoolError('the AKD verify pool is closed'));
    if (job.previous.length !== 32 || job.current.length !== 32) {
      return Promise.reject(new AkdInputError('root digests must be 32 bytes'));
    }
    const req: AkdVerifyRequest = {
      id: this.nextId++,
      path: job.path,
      previous: job.previous,
      current: job.current,
      endEpoch: job.endEpoch,
      configuration: job.configuration,
    };
    // Unreadable here: 0, and the worker reports the file as "could not check" itself.
    const bytes = statSync(job.path, { throwIfNoEntry: false })?.size ?? 0;
    return new Promise<AkdVerifyOutcome>((resolve, reject) => {
      this.queue.push({ req, bytes, transfer: [], submitted: performance.now(), started: 0, resolve, reject });
      this.dispatch();
    });
  }

  /** Verify a proof blob against the transition its blob name states. Rejects a malformed name. */
  verifyBlob(
    proof: Uint8Array,
    blobName: string | AuditBlobName,
    configuration: AkdConfiguration,
  ): Promise<AkdVerifyOutcome> {
    let name: AuditBlobName;
    try {
      name = typeof blobName === 'string' ? parseBlobName(blobName) : blobName;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.verify({
      proof,
      previous: name.previousHash,
      current: name.currentHash,
      endEpoch: name.epoch,
      configuration,
    });
  }

  /** Finish every queued and running job, then stop the workers. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.queue.length > 0 || this.running > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    await this.terminateAll();
  }

  /** Stop now: queued and running jobs are rejected. */
  async destroy(): Promise<void> {
    this.closed = true;
    const err = new AkdPoolError('the AKD verify pool was destroyed');
    for (const p of this.queue.splice(0)) p.reject(err);
    for (const s of this.slots) {
      s.job?.reject(err);
      s.job = null;
    }
    await this.terminateAll();
  }

  private async terminateAll(): Promise<void> {
    const slots = this.slots.splice(0);
    for (const s of slots) this.clearIdle(s);
    await Promise.all([...slots.map((s) => s.worker.terminate()), ...this.stopping]);
  }

  private clearIdle(slot: Slot): void {
    if (slot.idleTimer !== null) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
  }

  /** Stop an idle worker: forgotten first, so its exit is not a failure. */
  private retire(slot: Slot): void {
    slot.idleTimer = null;
    const i = this.slots.indexOf(slot);
    if (i < 0 || slot.job !== null) return;
    this.slots.splice(i, 1);
    const stopped = slot.worker.terminate();
    this.stopping.add(stopped);
    void stopped.finally(() => this.stopping.delete(stopped));
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl);
    const slot: Slot = { worker, job: null, idleTimer: null, largestBytes: 0 };
    this.started++;
    worker.on('message', (msg: WorkerResponse) => this.onMessage(slot, msg));
    worker.on('error', (err: Error) =>
      this.onFailure(slot, new AkdPoolError(`AKD verify worker failed: ${err.message}`, { cause: err })),
    );
    worker.on('exit', (code) => this.onFailure(slot, new AkdPoolError(`AKD verify worker exited (code ${code})`)));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.job === null);
      const next = this.queue[0] as Pending;
      if (slot !== undefined && slot.largestBytes > 0 && next.bytes > slot.largestBytes * FRESH_WORKER_GROWTH) {
        this.clearIdle(slot);
        this.retire(slot);
        slot = undefined;
      }
      if (slot === undefined) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const job = this.queue.shift() as Pending;
      slot.largestBytes = Math.max(slot.largestBytes, job.bytes);
      this.clearIdle(slot);
      job.started = performance.now();
      slot.job = job;
      slot.worker.ref(); // a running job keeps the process alive; an idle pool does not
      slot.worker.postMessage(job.req, job.transfer);
    }
    this.checkDrained();
  }

  private onMessage(slot: Slot, msg: WorkerResponse): void {
    const job = slot.job;
    if (job === null || job.req.id !== msg.id) return;
    slot.job = null;
    slot.worker.unref();
    if ((msg.arenaBytes ?? 0) > this.retireAboveBytes) this.retire(slot);
    const now = performance.now();
    if ('crash' in msg) job.reject(new AkdPoolError(`AKD verify worker crashed: ${msg.crash}`));
    else job.resolve({ ...msg.verdict, queuedMs: job.started - job.submitted, totalMs: now - job.submitted });
    this.dispatch();
    if (slot.job === null && this.slots.includes(slot)) {
      slot.idleTimer = setTimeout(() => this.retire(slot), this.idleMs);
      slot.idleTimer.unref();
    }
  }

  /** A worker died (error or exit): fail its job, forget it, and let a new one take the queue. */
  private onFailure(slot: Slot, err: AkdPoolError): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return; // already removed (terminate, or error followed by exit)
    this.slots.splice(i, 1);
    this.clearIdle(slot);
    slot.job?.reject(err);
    slot.job = null;
    this.dispatch();
  }

  private checkDrained(): void {
    if (this.drained !== null && this.queue.length === 0 && this.running === 0) {
      const done = this.drained;
      this.drained = null;
      done();
    }
  }
}
