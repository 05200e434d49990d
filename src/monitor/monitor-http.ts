// The monitor's HTTP side: Prometheus `/metrics`, `/healthz` (the process answers) and `/readyz`
// (connected to at least one roster peer), so it runs as a service (docs/design-decisions.md, "Monitor as a service").
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';

export interface MonitorFacts {
  alertsByType: ReadonlyMap<string, number>;
  proofsVerified: number;
  rosterPeersConnected(): number;
  webhookFailures(): number;
  /** Gossip validations that failed on the monitor's own error (message ignored, sender not penalised). */
  gossipInternalErrors?(): number;
}

/** A registry whose values are read from the monitor at scrape time. */
export function monitorRegistry(facts: MonitorFacts): Registry {
  const registry = new Registry();
  new Counter({
    name: 'chorus_monitor_alerts_total',
    help: 'Alerts reported (printed and sent), by type',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [type, n] of facts.alertsByType) this.inc({ type }, n);
    },
  });
  new Counter({
    name: 'chorus_monitor_proofs_verified_total',
    help: 'Equivocation proofs that passed verification',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(facts.proofsVerified);
    },
  });
  new Counter({
    name: 'chorus_monitor_gossip_internal_errors_total',
    help: "Gossip validations that failed on the monitor's own error (message ignored, sender not penalised)",
    registers: [registry],
    collect() {
      this.reset();
      const n = facts.gossipInternalErrors?.() ?? 0;
      if (n > 0) this.inc(n);
    },
  });
  new Gauge({
    name: 'chorus_monitor_peers_connected',
    help: 'Roster peers connected now',
    registers: [registry],
    collect() {
      this.set(facts.rosterPeersConnected());
    },
  });
  new Counter({
    name: 'chorus_monitor_webhook_failures_total',
    help: 'Alerts the webhook refused or could not be delivered after retries',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(facts.webhookFailures());
    },
  });
  return registry;
}

/** Serves the endpoints on host:port (port 0 picks one); resolves with the server and its URL. */
export async function startMonitorHttp(
  facts: MonitorFacts,
  host: string,
  port: number,
): Promise<{ server: Server; url: string }> {
  const registry = monitorRegistry(facts);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}\n');
    if (path === '/readyz') {
      const peers = facts.rosterPeersConnected();
      return send(
        peers > 0 ? 200 : 503,
        'application/json',
        `{"ready":${peers > 0},"roster_peers_connected":${peers}}\n`,
      );
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => send(200, registry.contentType, text),
        (err: unknown) => send(500, 'text/plain', `metrics failed: ${String(err)}\n`),
      );
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { server, url: `http://${h}:${addr.port}` };
}
