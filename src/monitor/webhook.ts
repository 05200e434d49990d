// Delivers alerts to a webhook: POST JSON, retried with exponential backoff on network errors
// and 5xx/429 answers, an Idempotency-Key per alert so a receiver can drop repeats.
import type { Logger } from 'pino';
import { errorMessage } from '../util/errors.js';
import { stringifyJson } from '../util/json.js';
import { httpRequest } from '../net/http-client.js';

export interface WebhookOptions {
  url: string;
  attempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  logger: Logger;
}

export class Webhook {
  readonly #o: Required<Omit<WebhookOptions, 'logger'>> & { logger: Logger };
  readonly #inFlight = new Set<Promise<void>>();
  delivered = 0;
  failed = 0;

  constructor(o: WebhookOptions) {
    this.#o = { attempts: 8, initialDelayMs: 500, maxDelayMs: 30_000, timeoutMs: 10_000, ...o };
  }

  /** Queues a delivery; returns at once (deliveries run in the background). */
  send(id: string, alert: Record<string, unknown>): void {
    const p = this.#deliver(id, alert).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  async #deliver(id: string, alert: Record<string, unknown>): Promise<void> {
    const body = stringifyJson(alert);
    let delay = this.#o.initialDelayMs;
    for (let attempt = 1; attempt <= this.#o.attempts; attempt++) {
      try {
        const res = await httpRequest(this.#o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': id, 'user-agent': 'chorus-monitor/1' },
          body,
          timeoutMs: this.#o.timeoutMs,
          maxBytes: 64 * 1024,
          maxRedirects: 0,
        });
        if (res.status >= 200 && res.status <= 299) {
          this.delivered++;
          return;
        }
        if (res.status < 500 && res.status !== 429) {
          this.failed++;
          this.#o.logger.error(
            { event: 'webhook-refused', id, status: res.status },
            'the webhook refused the alert; not retrying',
          );
          return;
        }
        this.#o.logger.warn(
          { event: 'webhook-retry', id, attempt, status: res.status },
          'webhook answered an error; retrying',
        );
      } catch (err) {
        this.#o.logger.warn(
          { event: 'webhook-retry', id, attempt, err: errorMessage(err) },
          'webhook unreachable; retrying',
        );
      }
      if (attempt < this.#o.attempts) await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, this.#o.maxDelayMs);
    }
    this.failed++;
    this.#o.logger.error({ event: 'webhook-failed', id }, 'could not deliver an alert to the webhook');
  }

  /** Waits for deliveries under way (at shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }
}
