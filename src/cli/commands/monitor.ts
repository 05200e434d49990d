import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail } from '../output.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  program
    .command('monitor')
    .description(
      'join the auditor network as a non-signing peer and report every equivocation (verified here) and alert: one ' +
        'line each, runs until stopped',
    )
    .requiredOption('--roster <file>', "the network's roster (JSON)")
    .option(
      '--bootstrap <multiaddr>',
      "extra peer to dial: a multiaddr ending in /p2p/<peer id>, or a roster auditor's address without it (repeatable)",
      collect,
      [],
    )
    .option('--namespace <ns>', 'only these namespaces (repeatable)', collect, [])
    .option('--webhook <url>', 'POST each alert (JSON) to this URL, with retries')
    .option('--json', 'print one JSON object per line per alert')
    .option(
      '--data-dir <dir>',
      'keep a persistent peer id here, and the alerts already reported (not reported again after a restart)',
    )
    .option('--listen <multiaddr>', 'libp2p listen address', '/ip4/127.0.0.1/tcp/0')
    .option(
      '--http-listen <host:port>',
      'serve /metrics (Prometheus), /healthz and /readyz here (port 0 picks one; the URL is logged as monitor-http)',
    )
    .option('--log-level <level>', 'log level (logs go to stderr)', 'warn')
    .action(
      async (opts: {
        roster: string;
        bootstrap: string[];
        namespace: string[];
        webhook?: string;
        json?: boolean;
        dataDir?: string;
        listen: string;
        httpListen?: string;
        logLevel: string;
      }) => {
        const { pino } = await import('pino');
        const { loadRoster } = await import('../../config/roster-load.js');
        const { Monitor } = await import('../../monitor/monitor.js');
        const { Webhook } = await import('../../monitor/webhook.js');
        const { stringifyJson } = await import('../../util/json.js');
        const { generateKeyPair } = await import('@libp2p/crypto/keys');
        const { loadOrCreateIdentity } = await import('../../p2p/index.js');
        const logger = pino(
          { level: opts.logLevel, base: { service: 'chorus-monitor' }, timestamp: pino.stdTimeFunctions.isoTime },
          pino.destination(2),
        );
        let roster;
        let http: { host: string; port: number } | undefined;
        try {
          roster = loadRoster(opts.roster);
          if (opts.httpListen !== undefined) {
            const m = /^(.+):(\d{1,5})$/.exec(opts.httpListen);
            if (!m || Number(m[2]) > 65535) throw new Error(`--http-listen ${opts.httpListen}: expected HOST:PORT`);
            http = { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
          }
          if (opts.webhook) new URL(opts.webhook);
        } catch (err) {
          fail(EXIT_BAD_INPUT, `chorus monitor: ${(err as Error).message}`);
        }
        const privateKey = opts.dataDir
          ? (await loadOrCreateIdentity(opts.dataDir)).privateKey
          : await generateKeyPair('Ed25519');
        const print = (alert: Record<string, unknown>) => {
          if (opts.json) {
            process.stdout.write(`${stringifyJson(alert)}\n`);
          } else {
            const epoch = alert.epoch !== undefined ? ` epoch ${String(alert.epoch)}` : '';
            let what = String(alert.reason);
            if (alert.type === 'equivocation') {
              // One auditor convicted (whichever of its keys signed) is named once.
              const signers = alert.signers as string[];
              const who = alert.kind === 'split-view' ? `between ${signers.join(' and ')}` : `by ${String(signers[0])}`;
              what = `${String(alert.kind)} ${who} (proof ${String(alert.id)}, verified)`;
            }
            process.stdout.write(
              `${new Date().toISOString()} ${String(alert.type).toUpperCase()} ${String(alert.namespace)}${epoch}: ` +
                `${what}\n`,
            );
          }
        };
        const webhook = opts.webhook ? new Webhook({ url: opts.webhook, logger }) : undefined;
        const monitor = new Monitor({
          roster,
          privateKey,
          bootstrap: opts.bootstrap,
          namespaces: opts.namespace,
          listen: [opts.listen],
          logger,
          print,
          ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
          ...(webhook ? { webhook } : {}),
        });
        try {
          await monitor.start();
        } catch (err) {
          fail(EXIT_BAD_INPUT, `chorus monitor: ${(err as Error).message}`);
        }
        let httpServer: { close(cb: () => void): unknown } | undefined;
        if (http) {
          const { startMonitorHttp } = await import('../../monitor/monitor-http.js');
          const facts = {
            alertsByType: monitor.alertsByType,
            get proofsVerified() {
              return monitor.proofsVerified;
            },
            rosterPeersConnected: () => monitor.rosterPeersConnected(),
            webhookFailures: () => webhook?.failed ?? 0,
            gossipInternalErrors: () => monitor.gossipInternalErrors,
          };
          try {
            const started = await startMonitorHttp(facts, http.host, http.port);
            httpServer = started.server;
            logger.warn({ event: 'monitor-http', url: started.url }, 'serving /metrics, /healthz, /readyz');
          } catch (err) {
            await monitor.stop();
            fail(EXIT_BAD_INPUT, `chorus monitor: --http-listen: ${(err as Error).message}`);
          }
        }
        logger.info({ event: 'monitor-started', peer_id: monitor.host.peerId, network: roster.network }, 'monitoring');
        const stop = () => {
          httpServer?.close(() => undefined);
          monitor.stop().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      },
    );
}
