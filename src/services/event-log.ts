// The node's event stream (SSE at GET /events): every event gets a sequence number and is kept
// in LevelDB (the newest EVENT_RETENTION), so a client that reconnects with Last-Event-ID — even
// across a node restart — receives exactly what it missed.
import { EventEmitter } from 'node:events';
import { Batch, Table, type RootDb } from '../store/database.js';
import { epochKey } from '../store/keys.js';
import { parseJson, stringifyJson } from '../util/json.js';

export type EventType =
  | 'epoch-signed'
  | 'quorum-reached'
  | 'equivocation'
  | 'validation-failed'
  | 'validation-succeeded'
  | 'log-stalled'
  | 'quorum-missed'
  | 'auditor-silent'
  | 'signing-halted'
  | 'checkpoint-equivocation';

export interface NodeEvent {
  id: bigint;
  type: EventType;
  time: bigint;
  data: Record<string, unknown>;
}

export const EVENT_RETENTION = 10_000n;

export class EventLog extends EventEmitter<{ event: [NodeEvent] }> {
  readonly #table: Table<NodeEvent, string>;
  #next = 1n;
  #oldest = 1n;

  constructor(
    private readonly db: RootDb,
    private readonly now: () => bigint,
  ) {
    super();
    this.setMaxListeners(0);
    this.#table = new Table(
      db,
      'events',
      (e: NodeEvent) => stringifyJson({ id: e.id, type: e.type, time: e.time, data: e.data }),
      (s: string) => parseJson(s) as NodeEvent,
    );
  }

  async load(): Promise<void> {
    for await (const [, e] of this.#table.entries({ reverse: true, limit: 1 })) this.#next = e.id + 1n;
    for await (const [, e] of this.#table.entries({ limit: 1 })) this.#oldest = e.id;
  }

  async append(type: EventType, data: Record<string, unknown>): Promise<NodeEvent> {
    const e: NodeEvent = { id: this.#next++, type, time: this.now(), data };
    const batch = new Batch(this.db).put(this.#table, epochKey(e.id), e);
    if (e.id - this.#oldest >= EVENT_RETENTION) {
      batch.del(this.#table, epochKey(this.#oldest));
      this.#oldest++;
    }
    await batch.write(false);
    this.emit('event', e);
    return e;
  }

  /** Events after `afterId` (exclusive), oldest first. */
  async since(afterId: bigint, limit = 1000): Promise<NodeEvent[]> {
    const out: NodeEvent[] = [];
    for await (const [, e] of this.#table.entries({ gt: epochKey(afterId), limit })) out.push(e);
    return out;
  }

  get lastId(): bigint {
    return this.#next - 1n;
  }
}
