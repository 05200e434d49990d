// Bounded per-topic validation queue (the Lodestar/Lighthouse model): every incoming gossip
// message waits here for the topic's single validator, which says accept / ignore / reject.
// The queue never grows past `maxQueue`: overflow is reported `ignore` (reason `queue-full`, no
// penalty: the sender did nothing wrong, we are just busy), and oversize data is `reject`ed
// before the validator runs. The transport-specific part (reporting to gossipsub) is injected,
// so this module is testable without sockets.
import type { Logger } from 'pino';
import { ConfigError, errorMessage } from '../util/errors.js';

export type ValidationOutcome = 'accept' | 'ignore' | 'reject';

export interface ValidationResult {
  outcome: ValidationOutcome;
  /** Short stable code (`duplicate`, `bad-signature`…): it becomes a metric label. */
  reason: string;
}

export interface TopicHandler {
  /** Decide what to do with one message; `from` is the propagating peer's id. */
  validate(data: Uint8Array, from: string): Promise<ValidationResult>;
  /** Messages waiting for validation before new ones are dropped (default 1024). */
  maxQueue?: number;
  /** Largest accepted `data` in bytes (default: the host's max message size). */
  maxBytes?: number;
  /** Validations running at once for this topic (default 4). */
  concurrency?: number;
}

export interface PendingMessage {
  msgId: string;
  from: string;
  data: Uint8Array;
}

export const DEFAULT_MAX_QUEUE = 1024;
export const DEFAULT_CONCURRENCY = 4;
/** Distinct reasons kept per topic and outcome; more collapse into `other` (bounded metrics). */
export const MAX_REASONS_PER_OUTCOME = 32;

/** Reasons produced by this layer itself (the validator's own reasons are free-form). */
export const QueueReason = {
  queueFull: 'queue-full',
  oversize: 'oversize',
  validatorError: 'validator-error',
  badResult: 'bad-validator-result',
  shutdown: 'shutdown',
  notSubscribed: 'not-subscribed',
  other: 'other',
} as const;

export type OutcomeCounts = Record<ValidationOutcome, Record<string, number>>;

/** Counters per topic, per outcome, per reason. */
export class ValidationCounters {
  private readonly byTopic = new Map<string, Record<ValidationOutcome, Map<string, number>>>();

  record(topic: string, outcome: ValidationOutcome, reason: string): void {
    let t = this.byTopic.get(topic);
    if (t === undefined) {
      t = { accept: new Map(), ignore: new Map(), reject: new Map() };
      this.byTopic.set(topic, t);
    }
    const reasons = t[outcome];
    const key = reasons.has(reason) || reasons.size < MAX_REASONS_PER_OUTCOME ? reason : QueueReason.other;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }

  /** Count for one (topic, outcome, reason), or the outcome's total when reason is omitted. */
  get(topic: string, outcome: ValidationOutcome, reason?: string): number {
    const reasons = this.byTopic.get(topic)?.[outcome];
    if (reasons === undefined) return 0;
    if (reason !== undefined) return reasons.get(reason) ?? 0;
    let total = 0;
    for (const n of reasons.values()) total += n;
    return total;
  }

  snapshot(): Record<string, OutcomeCounts> {
    const out: Record<string, OutcomeCounts> = {};
    for (const [topic, t] of this.byTopic) {
      out[topic] = {
        accept: Object.fromEntries(t.accept),
        ignore: Object.fromEntries(t.ignore),
        reject: Object.fromEntries(t.reject),
      };
    }
    return out;
  }
}

/** FIFO over an array with a moving head: O(1) amortised push/shift without a linked list. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // release the reference for GC
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  drain(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}

export interface TopicQueueOptions {
  topic: string;
  handler: TopicHandler;
  /** Fallback for handler.maxBytes. */
  maxBytes: number;
  counters: ValidationCounters;
  /** Tell the transport the verdict (gossipsub: reportMessageValidationResult). */
  report: (msg: PendingMessage, result: ValidationResult) => void;
  logger: Logger;
}

const OUTCOMES: ReadonlySet<string> = new Set<ValidationOutcome>(['accept', 'ignore', 'reject']);

function isValidationResult(value: unknown): value is ValidationResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { outcome?: unknown; reason?: unknown };
  return typeof v.outcome === 'string' && OUTCOMES.has(v.outcome) && typeof v.reason === 'string';
}

export class TopicValidationQueue {
  readonly topic: string;
  readonly maxQueue: number;
  readonly maxBytes: number;
  readonly concurrency: number;
  private readonly handler: TopicHandler;
  private readonly counters: ValidationCounters;
  private readonly reportFn: TopicQueueOptions['report'];
  private readonly log: Logger;
  private readonly queue = new Fifo<PendingMessage>();
  private running = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: TopicQueueOptions) {
    this.topic = options.topic;
    this.handler = options.handler;
    this.maxQueue = positiveInt(options.handler.maxQueue, DEFAULT_MAX_QUEUE, 'maxQueue');
    this.maxBytes = positiveInt(options.handler.maxBytes, options.maxBytes, 'maxBytes');
    this.concurrency = positiveInt(options.handler.concurrency, DEFAULT_CONCURRENCY, 'concurrency');
    this.counters = options.counters;
    this.reportFn = options.report;
    this.log = options.logger;
  }

  /** Messages waiting (not counting the ones being validated). */
  get length(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Accept a message from the transport. Never throws, never blocks. */
  push(msg: PendingMessage): void {
    if (this.closed) {
      this.finish(msg, { outcome: 'ignore', reason: QueueReason.shutdown });
      return;
    }
    if (msg.data.byteLength > this.maxBytes) {
      this.finish(msg, { outcome: 'reject', reason: QueueReason.oversize });
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      this.finish(msg, { outcome: 'ignore', reason: QueueReason.queueFull });
      return;
    }
    this.queue.push(msg);
    this.pump();
  }

  /** Resolves once nothing is queued or running (tests, graceful shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Drop what is queued (reported `ignore`/`shutdown`) and wait for running validations, so the
   * node can close its store after the host stops. The queue stays usable (host restart).
   */
  async drain(): Promise<void> {
    for (const msg of this.queue.drain()) this.finish(msg, { outcome: 'ignore', reason: QueueReason.shutdown });
    await this.idle();
  }

  /** Drop everything still queued (reported `ignore`/`shutdown`); running validations finish. */
  close(): void {
    this.closed = true;
    for (const msg of this.queue.drain()) this.finish(msg, { outcome: 'ignore', reason: QueueReason.shutdown });
    this.maybeIdle();
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const msg = this.queue.shift();
      if (msg === undefined) break;
      this.running++;
      void this.run(msg).finally(() => {
        this.running--;
        this.pump();
        this.maybeIdle();
      });
    }
  }

  private async run(msg: PendingMessage): Promise<void> {
    let result: ValidationResult;
    try {
      const value: unknown = await this.handler.validate(msg.data, msg.from);
      if (isValidationResult(value)) {
        result = { outcome: value.outcome, reason: value.reason };
      } else {
        // Our own bug, not the peer's: ignore (no penalty) and say so loudly.
        this.log.error({ topic: this.topic, value }, 'validator returned a malformed result');
        result = { outcome: 'ignore', reason: QueueReason.badResult };
      }
    } catch (err) {
      this.log.error({ topic: this.topic, from: msg.from, err: errorMessage(err) }, 'validator threw; message ignored');
      result = { outcome: 'ignore', reason: QueueReason.validatorError };
    }
    this.finish(msg, result);
  }

  private finish(msg: PendingMessage, result: ValidationResult): void {
    this.counters.record(this.topic, result.outcome, result.reason);
    try {
      this.reportFn(msg, result);
    } catch (err) {
      this.log.error({ topic: this.topic, err: errorMessage(err) }, 'reporting a validation result failed');
    }
  }

  private maybeIdle(): void {
    if (this.running !== 0 || this.queue.length !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function positiveInt(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new ConfigError(what, `must be a positive integer, got ${v}`);
  return v;
}
