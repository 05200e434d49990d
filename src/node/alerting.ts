// The node's events and alerts: every event is appended to the event log (and counted when it is
// an alert type); an alert is raised once per condition and, with a network, signed and gossiped.
import type { Logger } from 'pino';
import { alertBody, alertSignedBytes, type Alert } from '../consensus/alerts.js';
import type { ChorusHost } from '../p2p/index.js';
import type { EventLog, EventType } from '../services/event-log.js';
import type { NetworkService } from '../services/network-service.js';
import type { Keyring } from '../services/signing-service.js';
import type { AlertStore } from '../store/alert-store.js';
import type { Metrics } from './metrics.js';

export const ALERT_TYPES = new Set<EventType>([
  'equivocation',
  'validation-failed',
  'log-stalled',
  'quorum-missed',
  'auditor-silent',
  'signing-halted',
]);

export interface AlertingDependencies {
  alerts: AlertStore;
  events: EventLog;
  metrics: Metrics;
  logger: Logger;
  keyring: Keyring;
  network: NetworkService;
  host: ChorusHost | undefined;
}

export class Alerting {
  constructor(private readonly d: AlertingDependencies) {}

  /** Records an event for GET /events; a failed write is logged, never thrown at the caller. */
  event(type: EventType, data: Record<string, unknown>): void {
    if (ALERT_TYPES.has(type)) this.d.metrics.alerts.inc({ type });
    this.d.events
      .append(type, data)
      .catch((err: unknown) =>
        this.d.logger.error({ event: 'event-log-failed', type, err }, 'could not record an event'),
      );
  }

  /**
   * Raises an alert once per condition: stored (GET /alerts), on the event stream, counted, logged,
   * and — with a network — signed with the node's key and gossiped so monitors receive it.
   */
  async raise(alert: Alert, dedupKey: string): Promise<void> {
    const { alerts, logger, network, host, keyring } = this.d;
    try {
      if (!(await alerts.raise(alert, dedupKey))) return;
      const { type, ...data } = alert;
      if (type !== 'equivocation') this.event(type, data);
      logger.warn(
        { event: 'alert', type, namespace: alert.namespace, epoch: alert.epoch?.toString(), reason: alert.reason },
        `alert: ${alert.reason}`,
      );
      // Equivocations travel as proofs that monitors verify themselves; gossiping every node's
      // word about the same proof would only multiply traffic at the worst moment.
      if (host && type !== 'equivocation') {
        const body = alertBody(alert, network.networkName);
        const key = keyring.active(alert.timestamp);
        await network.publishAlert({ body, signerKey: key.publicKey, signature: key.sign(alertSignedBytes(body)) });
      }
    } catch (err) {
      logger.error({ event: 'alert-failed', type: alert.type, err }, 'could not raise an alert');
    }
  }
}
