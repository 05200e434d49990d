// A network of real Chorus node processes (each its own OS process, real TCP on 127.0.0.1, its
// own LevelDB), set up the way operators do it: chorus init, chorus roster new/add/namespace,
// chorus start --roster.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { NodeProcess, runCli } from './node-process.js';
import { http, type JsonResponse } from './http.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface NodeSetup {
  name: string;
  dir: string;
  config: string;
  token: string;
  adminToken: string;
  publicKey: string;
  peerId: string;
  p2pPort: number;
}

export class TestNetwork {
  readonly nodes: NodeSetup[] = [];
  readonly procs = new Map<string, NodeProcess>();
  roster = '';
  /** Extra environment for every node process (e.g. NODE_OPTIONS). */
  env: NodeJS.ProcessEnv = {};

  constructor(
    readonly dir: string,
    readonly namespace: string,
    readonly network = 'testnet',
  ) {}

  /** chorus init for each node, then a roster listing them all and the namespace. */
  async setup(count: number, threshold = 2): Promise<void> {
    this.roster = join(this.dir, 'roster.json');
    must(runCli(['roster', 'new', '--network', this.network, '--threshold', String(threshold), '--out', this.roster]));
    must(runCli(['roster', 'namespace', this.roster, '--name', this.namespace]));
    for (let i = 1; i <= count; i++) {
      const name = `org${i}`;
      const dir = join(this.dir, name);
      const p2pPort = await freePort();
      const r = must(
        runCli([
          'init',
          '--data-dir',
          dir,
          '--namespace',
          this.namespace,
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

  /** Rewrites a node's YAML config (comments are lost; fine for tests). */
  editConfig(name: string, edit: (doc: Record<string, unknown>) => void): void {
    const file = this.node(name).config;
    const doc = parseYaml(readFileSync(file, 'utf8'), { intAsBigInt: true }) as Record<string, unknown>;
    edit(doc);
    writeFileSync(file, stringifyYaml(doc), { mode: 0o600 });
  }

  node(name: string): NodeSetup {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  proc(name: string): NodeProcess {
    const p = this.procs.get(name);
    if (!p) throw new Error(`node ${name} is not running`);
    return p;
  }

  async start(name: string, extra: string[] = []): Promise<NodeProcess> {
    const n = this.node(name);
    const p = await NodeProcess.start(['start', '--config', n.config, '--roster', this.roster, ...extra], {
      env: this.env,
    });
    this.procs.set(name, p);
    return p;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.start(n.name)));
  }

  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.procs.get(name);
    if (p) await p.kill(signal);
    this.procs.delete(name);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((n) => this.stop(n, 'SIGKILL')));
  }

  submit(name: string, epoch: bigint, digest: string, previous?: string): Promise<JsonResponse> {
    const n = this.node(name);
    return http(`${this.proc(name).url}/namespaces/${this.namespace}/audits`, {
      body: previous ? { epoch, digest, previous } : { epoch, digest },
      token: n.token,
    });
  }

  get(name: string, path: string): Promise<JsonResponse> {
    return http(`${this.proc(name).url}${path}`);
  }

  admin(name: string, path: string): Promise<JsonResponse> {
    return http(`${this.proc(name).url}${path}`, { method: 'POST', token: this.node(name).adminToken });
  }

  /** Cuts `name` off from every other node (both directions), as a network partition would. */
  async isolate(name: string): Promise<void> {
    for (const other of this.nodes) {
      if (other.name === name) continue;
      await this.admin(name, `/admin/peers/${other.peerId}/block`);
      if (this.procs.has(other.name)) await this.admin(other.name, `/admin/peers/${this.node(name).peerId}/block`);
    }
  }

  async heal(name: string): Promise<void> {
    for (const other of this.nodes) {
      if (other.name === name) continue;
      await this.admin(name, `/admin/peers/${other.peerId}/unblock`);
      if (this.procs.has(other.name)) await this.admin(other.name, `/admin/peers/${this.node(name).peerId}/unblock`);
    }
  }

  async proofs(name: string): Promise<{ id: string; namespace: string; epoch: bigint; kind: string }[]> {
    const r = await this.get(name, '/equivocations');
    return r.body.equivocations as { id: string; namespace: string; epoch: bigint; kind: string }[];
  }
}

function must(r: { status: number; stdout: string; stderr: string }): {
  status: number;
  stdout: string;
  stderr: string;
} {
  if (r.status !== 0) throw new Error(`command failed (${r.status}): ${r.stderr}`);
  return r;
}

/** Polls until `check` returns a truthy value (never a fixed sleep). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
