// Bounded per-topic validation queue (the Lodestar/Lighthouse model): every incoming gossip
// message waits here for the topic's single validator, which says accept / ignore / reject.
// The queue is fair between peers (docs/p2p.md, "Flood protection"): each propagating peer has its
// own FIFO of at most `maxQueuePerPeer` messages, the validator takes one message from each waiting
// peer in turn, and when the whole queue holds `maxQueue` messages a newcomer displaces the newest
// message of the peer holding the most. So one peer's flood fills only its own share and cannot
// starve another peer's messages. Overflow is reported `ignore` (reasons `peer-queue-full`,
// `queue-full`; no penalty: being busy proves nothing against the sender), and oversize data is
// `reject`ed before the validator runs. The transport-specific part (reporting to gossipsub) is
// injected, so this module is testable without sockets.
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
  /** Messages waiting for validation, all peers together, before new ones are dropped (default 1024). */
  maxQueue?: number;
  /** Messages of one propagating peer waiting for validation (default 64). */
  maxQueuePerPeer?: number;
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
export const DEFAULT_MAX_QUEUE_PER_PEER = 64;
export const DEFAULT_CONCURRENCY = 4;
/** Distinct reasons kept per topic and outcome; more collapse into `other` (bounded metrics). */
export const MAX_REASONS_PER_OUTCOME = 32;

/** Reasons produced by this layer itself (the validator's own reasons are free-form). */
export const QueueReason = {
  queueFull: 'queue-full',
  peerQueueFull: 'peer-queue-full',
  rateLimited: 'rate-limited',
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

  /** Removes the newest item (a displaced message). */
  pop(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    return this.items.pop();
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
  readonly maxQueuePerPeer: number;
  readonly maxBytes: number;
  readonly concurrency: number;
  private readonly handler: TopicHandler;
  private readonly counters: ValidationCounters;
  private readonly reportFn: TopicQueueOptions['report'];
  private readonly log: Logger;
  /** One FIFO per propagating peer with messages waiting. */
  private readonly perPeer = new Map<string, Fifo<PendingMessage>>();
  /** Peers with messages waiting, in the order they are served (round robin). */
  private readonly turn = new Fifo<string>();
  private waiting = 0;
  private running = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: TopicQueueOptions) {
    this.topic = options.topic;
    this.handler = options.handler;
    this.maxQueue = positiveInt(options.handler.maxQueue, DEFAULT_MAX_QUEUE, 'maxQueue');
    this.maxQueuePerPeer = Math.min(
      this.maxQueue,
      positiveInt(options.handler.maxQueuePerPeer, DEFAULT_MAX_QUEUE_PER_PEER, 'maxQueuePerPeer'),
    );
    this.maxBytes = positiveInt(options.handler.maxBytes, options.maxBytes, 'maxBytes');
    this.concurrency = positiveInt(options.handler.concurrency, DEFAULT_CONCURRENCY, 'concurrency');
    this.counters = options.counters;
    this.reportFn = options.report;
    this.log = options.logger;
  }

  /** Messages waiting (not counting the ones being validated). */
  get length(): number {
    return this.waiting;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Messages of one peer waiting for validation. */
  peerLength(peer: string): number {
    return this.perPeer.get(peer)?.length ?? 0;
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
    const own = this.perPeer.get(msg.from);
    const ownLength = own?.length ?? 0;
    if (ownLength >= this.maxQueuePerPeer) {
      this.finish(msg, { outcome: 'ignore', reason: QueueReason.peerQueueFull });
      return;
    }
    if (this.waiting >= this.maxQueue && !this.displaceFor(msg.from, ownLength)) {
      this.finish(msg, { outcome: 'ignore', reason: QueueReason.queueFull });
      return;
    }
    let q = own;
    if (q === undefined) {
      q = new Fifo<PendingMessage>();
      this.perPeer.set(msg.from, q);
      this.turn.push(msg.from);
    }
    q.push(msg);
    this.waiting++;
    this.pump();
  }

  /** Resolves once nothing is queued or running (tests, graceful shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Drop what is queued (reported `ignore`/`shutdown`) and wait for running validations, so the
   * node can close its store after the host stops. The queue stays usable (host restart).
   */
  async drain(): Promise<void> {
    for (const msg of this.takeAll()) this.finish(msg, { outcome: 'ignore', reason: QueueReason.shutdown });
    await this.idle();
  }

  /** Drop everything still queued (reported `ignore`/`shutdown`); running validations finish. */
  close(): void {
    this.closed = true;
    for (const msg of this.takeAll()) this.finish(msg, { outcome: 'ignore', reason: QueueReason.shutdown });
    this.maybeIdle();
  }

  /**
   * The whole queue is full: make room for a message of `peer` (holding `ownLength`) by dropping
   * the newest message of the peer holding the most, if that peer holds more than `peer` would
   * after the push. False when `peer` itself holds (one of) the most: its message is the one to drop.
   */
  private displaceFor(peer: string, ownLength: number): boolean {
    let victim: string | undefined;
    let most = ownLength + 1;
    for (const [p, q] of this.perPeer) {
      if (p !== peer && q.length > most) {
        victim = p;
        most = q.length;
      }
    }
    if (victim === undefined) return false;
    const dropped = this.perPeer.get(victim)?.pop();
    if (dropped === undefined) return false;
    this.waiting--;
    this.finish(dropped, { outcome: 'ignore', reason: QueueReason.queueFull });
    return true;
  }

  /** The next message, one peer after another; peers left empty leave the rotation. */
  private next(): PendingMessage | undefined {
    for (;;) {
      const peer = this.turn.shift();
      if (peer === undefined) return undefined;
      const q = this.perPeer.get(peer);
      const msg = q?.shift();
      if (q === undefined || msg === undefined) {
        this.perPeer.delete(peer);
        continue;
      }
      if (q.length > 0) this.turn.push(peer);
      else this.perPeer.delete(peer);
      this.waiting--;
      return msg;
    }
  }

  private takeAll(): PendingMessage[] {
    const out: PendingMessage[] = [];
    for (const q of this.perPeer.values()) out.push(...q.drain());
    this.perPeer.clear();
    this.turn.drain();
    this.waiting = 0;
    return out;
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const msg = this.next();
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
    if (this.running !== 0 || this.waiting !== 0) return;
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
