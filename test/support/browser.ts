// Real headless Chromium for browser tests (Debian's `chromium`, driven by playwright-core), and
// a test network whose nodes audit two namespaces, so the dashboard has several cards to show.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { http, type JsonResponse } from './http.js';
import { freePort, TestNetwork } from './network.js';
import { runCli } from './node-process.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium with a fresh profile (Playwright's temporary one); fails, never skips, without Chromium. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the browser tests need it (apt-get install -y chromium, or set CHROMIUM_PATH)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

function must(r: { status: number; stdout: string; stderr: string }): {
  status: number;
  stdout: string;
  stderr: string;
} {
  if (r.status !== 0) throw new Error(`command failed (${r.status}): ${r.stderr}`);
  return r;
}

/** TestNetwork whose nodes also audit `others` (set up the operators' way: chorus init / roster). */
export class MultiNamespaceNetwork extends TestNetwork {
  readonly tokens = new Map<string, Record<string, string>>();

  constructor(
    dir: string,
    namespace: string,
    readonly others: string[],
  ) {
    super(dir, namespace);
  }

  override async setup(count: number, threshold = 2): Promise<void> {
    this.roster = join(this.dir, 'roster.json');
    const all = [this.namespace, ...this.others];
    must(runCli(['roster', 'new', '--network', this.network, '--threshold', String(threshold), '--out', this.roster]));
    for (const ns of all) must(runCli(['roster', 'namespace', this.roster, '--name', ns]));
    for (let i = 1; i <= count; i++) {
      const name = `org${i}`;
      const dir = join(this.dir, name);
      const p2pPort = await freePort();
      const r = must(
        runCli([
          'init',
          '--data-dir',
          dir,
          ...all.flatMap((ns) => ['--namespace', ns]),
          '--http-port',
          '0',
          '--p2p-port',
          String(p2pPort),
          '--json',
        ]),
      );
      const out = JSON.parse(r.stdout) as {
        public_key: string;
        config: string;
        tokens: Record<string, string>;
        peer_id: string;
        admin_token: string;
      };
      must(runCli(['roster', 'add', this.roster, '--name', name, '--config', out.config]));
      this.tokens.set(name, out.tokens);
      this.nodes.push({
        name,
        dir,
        config: out.config,
        token: out.tokens[this.namespace] as string,
        adminToken: out.admin_token,
        publicKey: out.public_key,
        peerId: out.peer_id,
        p2pPort,
      });
    }
  }

  url(name: string): string {
    return this.proc(name).url;
  }

  submitTo(ns: string, name: string, epoch: bigint, digest: string, previous?: string): Promise<JsonResponse> {
    const token = this.tokens.get(name)?.[ns];
    if (!token) throw new Error(`${name} has no token for ${ns}`);
    return http(`${this.url(name)}/namespaces/${ns}/audits`, {
      body: previous ? { epoch, digest, previous } : { epoch, digest },
      token,
    });
  }
}
