// /metrics on a live two-node network, as Prometheus sees it: `promtool check metrics` passes,
// the admin listener (admin_http) serves /metrics and /admin/* and the public one refuses them,
// labelled counters start at 0, peers carry roster names, libp2p's metrics are there.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, TestNetwork, waitFor } from '../support/network.js';
import { http } from '../support/http.js';
import { tempDir } from '../support/tmp.js';

const NS = 'metrics.kt';
const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

/** Metric names a PromQL text uses (histogram series named by their family). */
function metricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\b((?:chorus|process|nodejs|libp2p|gossipsub)_[a-z0-9_]+)/g))
    names.add((m[1] as string).replace(/_bucket$/, ''));
  return names;
}

/** The families of an exposition, and each histogram's family name. */
function families(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
}

/** promtool is required (Debian's prometheus package; .ci/run installs it): a missing one fails. */
function promtoolCheck(exposition: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is needed for this test (apt-get install prometheus): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('metrics on a live node', () => {
  const tmp = tempDir();
  const net = new TestNetwork(tmp.dir, NS);
  let adminUrl = '';

  beforeAll(async () => {
    await net.setup(2);
    const adminPort = await freePort();
    net.editConfig('org1', (doc) => {
      doc.admin_http = { host: '127.0.0.1', port: adminPort };
    });
    adminUrl = `http://127.0.0.1:${adminPort}`;
    await net.startAll();
    const listening = net.proc('org1').logs.find((l) => l.event === 'listening');
    expect(listening?.admin_url).toBe(adminUrl);
    await waitFor('org1 connected to org2', async () =>
      (await scrape(adminUrl)).includes('chorus_roster_peer_connected{peer="org2"} 1'),
    );
  }, 60_000);

  afterAll(async () => {
    await net.stopAll();
    tmp.cleanup();
  });

  it('passes promtool check metrics, with the standard default names and libp2p metrics', async () => {
    expect((await net.submit('org1', 1n, 'aa'.repeat(32))).status).toBe(200);
    const text = await scrape(adminUrl);
    const check = promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
    expect(text).not.toMatch(/chorus_process_/);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^# TYPE libp2p_/m);
    expect(text).toMatch(/^# TYPE gossipsub_/m);
    // No gauge named like a counter.
    const gaugesNamedTotal = [...text.matchAll(/^# TYPE (\S+) gauge$/gm)]
      .map((m) => m[1])
      .filter((n) => n?.endsWith('_total'));
    expect(gaugesNamedTotal).toEqual([]);
    expect(text).toMatch(/^# TYPE chorus_gossip_messages_total counter$/m);
  });

  it('carries the version, zeroed counters for known labels, roster names and the new series', async () => {
    const text = await scrape(adminUrl);
    expect(text).toMatch(/^chorus_build_info\{version="\d+\.\d+\.\d+[^"]*",node_version="v\d+\.\d+\.\d+"\} 1$/m);
    expect(text).toContain(`chorus_equivocations_total{namespace="${NS}",kind="split-view"} 0`);
    expect(text).toContain(`chorus_validation_failures_total{namespace="${NS}"} 0`);
    expect(text).toContain('chorus_alerts_total{type="equivocation"} 0');
    expect(text).toContain(`chorus_epochs_signed_total{namespace="${NS}"} 1`);
    expect(text).toMatch(
      new RegExp(
        `^chorus_last_signed_timestamp_seconds\\{namespace="${NS.replace('.', '\\.')}"\\} \\d+(\\.\\d+)?(e\\+\\d+)?$`,
        'm',
      ),
    );
    expect(text).toMatch(/^chorus_auditor_last_seen_timestamp_seconds\{auditor="org2"\} \d/m);
    expect(text).toMatch(/^chorus_peer_score\{peer="org2"\} /m);
    expect(text).not.toMatch(/12D3Koo/); // peers by roster name, never by peer id
    expect(text).toMatch(/^chorus_http_requests_total\{method="GET",route="\/metrics",status="200"\} \d+$/m);
    expect(text).toMatch(/^# TYPE chorus_directory_lag_epochs gauge$/m);
  });

  it('the Grafana dashboards and the alert rules use only metrics a live node exports', async () => {
    await net.submit('org2', 1n, 'aa'.repeat(32));
    const live = families(await scrape(adminUrl));
    const sources: [string, string][] = [
      ...readdirSync(join(DEPLOY, 'grafana'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => [`grafana/${f}`, readFileSync(join(DEPLOY, 'grafana', f), 'utf8')] as [string, string]),
      ['prometheus/chorus-rules.yaml', readFileSync(join(DEPLOY, 'prometheus', 'chorus-rules.yaml'), 'utf8')],
    ];
    expect(sources.length).toBeGreaterThanOrEqual(3);
    for (const [file, text] of sources) {
      if (file.endsWith('.json')) {
        const d = JSON.parse(text) as { uid: string; panels: { type: string; targets?: { expr: string }[] }[] };
        expect(d.uid).toMatch(/^chorus-/);
        expect(d.panels.filter((p) => p.type !== 'row').every((p) => (p.targets ?? []).length > 0)).toBe(true);
      }
      const used = metricNames(text);
      expect(used.size, file).toBeGreaterThan(3);
      expect(
        [...used].filter((n) => !live.has(n)),
        `${file} uses metrics the node does not export`,
      ).toEqual([]);
    }
  });

  it('serves /metrics and /admin only on the admin listener; probes on both', async () => {
    const pub = net.proc('org1').url;
    expect((await fetch(`${pub}/metrics`)).status).toBe(404);
    const admin = await http(`${pub}/admin/resume-signing`, { method: 'POST', token: net.node('org1').adminToken });
    expect(admin.status).toBe(404);
    expect(
      (await http(`${adminUrl}/admin/resume-signing`, { method: 'POST', token: net.node('org1').adminToken })).status,
    ).toBe(200);
    expect((await fetch(`${adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${pub}/healthz`)).status).toBe(200);
    expect((await fetch(`${adminUrl}/info`)).status).toBe(404);
    // Without admin_http (org2) everything stays on the one port, as before.
    expect((await fetch(`${net.proc('org2').url}/metrics`)).status).toBe(200);
  });

  it('/info names the version; probes and scrapes log at debug, other requests one info line', async () => {
    const info = await net.get('org1', '/info');
    expect(info.body.version).toMatch(/^\d+\.\d+\.\d+/);
    const logs = net.proc('org1').logs;
    const requests = logs.filter((l) => l.event === 'request');
    // log_level is info: the scrapes above left no line, /info left exactly one.
    expect(requests.some((l) => l.url === '/metrics' || l.url === '/healthz')).toBe(false);
    await waitFor('the /info request line', async () => logs.some((l) => l.event === 'request' && l.url === '/info'));
    expect(logs.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed')).toEqual([]);
  });
});
