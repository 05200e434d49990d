// Alerts raised by this node (validation failures, liveness), newest first, each raised once per
// condition (a dedup key), kept across restarts.
import type { Alert } from '../consensus/alerts.js';
import { parseJson, stringifyJson } from '../util/json.js';
import { Batch, Table, type RootDb } from './database.js';
import { epochKey, SEP } from './keys.js';
import { KeyedMutex } from '../util/keyed-mutex.js';

export class AlertStore {
  readonly #alerts: Table<Alert, string>;
  readonly #keys: Table<string, string>;
  readonly #mutex = new KeyedMutex();
  #seq = 0;

  constructor(private readonly db: RootDb) {
    this.#alerts = new Table(
      db,
      'alerts',
      (a: Alert) => stringifyJson(a),
      (s: string) => parseJson(s) as Alert,
    );
    this.#keys = new Table(
      db,
      'alert-keys',
      (v: string) => v,
      (v: string) => v,
    );
  }

  /** Stores the alert unless one with the same dedup key was raised before; true when new. */
  async raise(alert: Alert, dedupKey: string): Promise<boolean> {
    return this.#mutex.run(dedupKey, async () => {
      if ((await this.#keys.get(dedupKey)) !== undefined) return false;
      const key = `${epochKey(alert.timestamp)}${SEP}${String(this.#seq++).padStart(10, '0')}`;
      await new Batch(this.db).put(this.#alerts, key, alert).put(this.#keys, dedupKey, key).write(true);
      return true;
    });
  }

  async list(opts: { namespace?: string; type?: string; limit?: number } = {}): Promise<Alert[]> {
    const out: Alert[] = [];
    const limit = opts.limit ?? 100;
    for await (const [, a] of this.#alerts.entries({ reverse: true })) {
      if (opts.namespace !== undefined && a.namespace !== opts.namespace) continue;
      if (opts.type !== undefined && a.type !== opts.type) continue;
      out.push(a);
      if (out.length >= limit) break;
    }
    return out;
  }
}
