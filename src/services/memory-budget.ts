// Admission by a memory budget (docs/akd.md, "The node's memory"): one per-node budget shared by the
// proof downloads and verifications of every namespace. Each job reserves its estimated bytes and
// waits, first come first served, while the budget is exhausted. `BudgetLedger` is the pure rule
// (no timers, no promises); `MemoryBudget` puts promises around it for the services.
import { ChorusError } from '../util/errors.js';

export class MemoryBudgetError extends ChorusError {
  constructor(message: string) {
    super('memory-budget', message);
  }
}

export interface BudgetState {
  /** The budget (bytes). */
  capacity: number;
  /** Bytes reserved by running jobs (above `capacity` only while one oversize job runs alone). */
  inUse: number;
  running: number;
  waiting: number;
}

/**
 * The accounting rule. A job is admitted when it is the oldest waiting job and either fits
 * (`inUse + bytes ≤ capacity`) or nothing is running: a job larger than the whole budget runs
 * alone rather than never. Strict FIFO, no overtaking: a small job never passes a large one that
 * waits, so no namespace starves (every job waits only for the jobs ahead of it to be admitted).
 */
export class BudgetLedger {
  readonly capacity: number;
  #inUse = 0;
  readonly #running = new Map<number, number>();
  readonly #queue: { ticket: number; bytes: number }[] = [];
  #next = 1;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new MemoryBudgetError(`the memory budget must be a positive number of bytes, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Queues a job of `bytes`; returns its ticket and the tickets admitted now (possibly its own). */
  request(bytes: number): { ticket: number; admitted: number[] } {
    if (!Number.isSafeInteger(bytes) || bytes < 0)
      throw new MemoryBudgetError(`a job's reservation must be a non-negative number of bytes, got ${bytes}`);
    const ticket = this.#next++;
    this.#queue.push({ ticket, bytes });
    return { ticket, admitted: this.#admit() };
  }

  /** Ends a running job, or withdraws a waiting one; returns the tickets admitted now. */
  release(ticket: number): number[] {
    const bytes = this.#running.get(ticket);
    if (bytes !== undefined) {
      this.#running.delete(ticket);
      this.#inUse -= bytes;
    } else {
      const i = this.#queue.findIndex((q) => q.ticket === ticket);
      if (i < 0) throw new MemoryBudgetError(`unknown or already released ticket ${ticket}`);
      this.#queue.splice(i, 1);
    }
    return this.#admit();
  }

  isRunning(ticket: number): boolean {
    return this.#running.has(ticket);
  }

  state(): BudgetState {
    return { capacity: this.capacity, inUse: this.#inUse, running: this.#running.size, waiting: this.#queue.length };
  }

  #admit(): number[] {
    const admitted: number[] = [];
    for (;;) {
      const head = this.#queue[0];
      if (head === undefined) break;
      if (this.#running.size > 0 && this.#inUse + head.bytes > this.capacity) break;
      this.#queue.shift();
      this.#running.set(head.ticket, head.bytes);
      this.#inUse += head.bytes;
      admitted.push(head.ticket);
    }
    return admitted;
  }
}

/** A job's hold on the budget; release() once, when its memory is given back. */
export interface Reservation {
  release(): void;
}

export class MemoryBudget {
  readonly #ledger: BudgetLedger;
  readonly #wake = new Map<number, () => void>();

  constructor(capacityBytes: number) {
    this.#ledger = new BudgetLedger(capacityBytes);
  }

  state(): BudgetState {
    return this.#ledger.state();
  }

  /** Waits until `bytes` are admitted (FIFO). */
  async reserve(bytes: number): Promise<Reservation> {
    const { ticket, admitted } = this.#ledger.request(bytes);
    if (!admitted.includes(ticket)) {
      this.#wakeAll(admitted);
      await new Promise<void>((resolve) => this.#wake.set(ticket, resolve));
    }
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#wakeAll(this.#ledger.release(ticket));
      },
    };
  }

  /** Runs `job` holding `bytes` of the budget; the bytes are given back however it ends. */
  async run<T>(bytes: number, job: () => Promise<T>): Promise<T> {
    const r = await this.reserve(bytes);
    try {
      return await job();
    } finally {
      r.release();
    }
  }

  #wakeAll(tickets: number[]): void {
    for (const t of tickets) {
      const wake = this.#wake.get(t);
      this.#wake.delete(t);
      wake?.();
    }
  }
}

/**
 * What one proof download holds while its body streams into a file: undici's 64 KiB chunks are
 * garbage at once, but V8 frees ArrayBuffers only after ≈ 32 MB of them, plus the decoders and the
 * file stream's buffer; measured at 50–60 MB above the process's base (docs/akd.md).
 */
export const DOWNLOAD_RESERVATION_BYTES = 56 * 2 ** 20;
