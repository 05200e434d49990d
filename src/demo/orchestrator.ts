// `chorus demo`: the whole system on one machine with one command. The first run creates the
// nodes (chorus init), their roster and the demo log's targets under the data directory; every
// run starts the demo log and the nodes as separate processes, prints the dashboard and node URLs,
// and a progress line; Ctrl-C stops everything cleanly, and the next run resumes from the data.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJson } from '../util/json.js';

export const DEMO_NAMESPACE = 'demo.kt';
/** akd's whatsapp_v1 empty-tree root: the demo log starts from it. */
export const EMPTY_TREE_ROOT = 'f48ded419214732a2c610c1e280543744bab3c17aec33e444997fa2d8f79792a';

export interface DemoOptions {
  nodes: number;
  equivocateAt?: bigint;
  epochIntervalSeconds: number;
  dataDir: string;
  basePort: number;
  out: (line: string) => void;
  progress: (line: string, final?: boolean) => void;
}

interface DemoLayout {
  nodes: { name: string; config: string; http: number; p2p: number; token: string }[];
  roster: string;
  targets: string;
  logPort: number;
}

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`chorus ${args.slice(0, 2).join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Creates the demo network's files on the first run; reads them on later runs. */
export function prepareDemo(o: Pick<DemoOptions, 'nodes' | 'dataDir' | 'basePort'>): DemoLayout {
  const dir = resolve(o.dataDir);
  const layoutFile = join(dir, 'demo.json');
  if (existsSync(layoutFile)) {
    const layout = JSON.parse(readFileSync(layoutFile, 'utf8')) as DemoLayout;
    if (layout.nodes.length !== o.nodes) {
      throw new Error(`${dir} holds a demo of ${layout.nodes.length} nodes; use another --data-dir for ${o.nodes}`);
    }
    return layout;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logPort = o.basePort;
  const roster = join(dir, 'roster.json');
  const threshold = Math.max(1, Math.ceil((2 * o.nodes) / 3));
  cli(['roster', 'new', '--network', 'demo', '--threshold', String(threshold), '--out', roster, '--force']);
  cli([
    'roster',
    'namespace',
    roster,
    '--name',
    DEMO_NAMESPACE,
    '--root',
    `0/${EMPTY_TREE_ROOT}`,
    '--proof-directory',
    `http://127.0.0.1:${logPort}`,
  ]);
  const nodes: DemoLayout['nodes'] = [];
  for (let i = 1; i <= o.nodes; i++) {
    const name = `org${i}`;
    const http = o.basePort + i;
    const p2p = o.basePort + 100 + i;
    const out = JSON.parse(
      cli([
        'init',
        '--data-dir',
        join(dir, name),
        '--namespace',
        DEMO_NAMESPACE,
        '--http-port',
        String(http),
        '--p2p-port',
        String(p2p),
        '--proof-directory',
        `http://127.0.0.1:${logPort}`,
        '--root',
        `0/${EMPTY_TREE_ROOT}`,
        '--public-url',
        `http://127.0.0.1:${http}`,
        '--json',
      ]),
    ) as { config: string; tokens: Record<string, string> };
    cli(['roster', 'add', roster, '--name', name, '--config', out.config]);
    nodes.push({ name, config: out.config, http, p2p, token: out.tokens[DEMO_NAMESPACE] as string });
  }
  const targets = join(dir, 'targets.json');
  writeFileSync(
    targets,
    JSON.stringify(
      nodes.map((n) => ({ name: n.name, url: `http://127.0.0.1:${n.http}`, token: n.token })),
      null,
      2,
    ),
    { mode: 0o600 },
  );
  const layout: DemoLayout = { nodes, roster, targets, logPort };
  writeFileSync(layoutFile, JSON.stringify(layout, null, 2));
  return layout;
}

interface NodeStatus {
  signed?: bigint;
  verified?: bigint;
  equivocated: boolean;
}

async function getJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
    return parseJson(await res.text()) as Record<string, unknown>;
  } catch {
    return undefined; // a node still starting: shown as "-"
  }
}

/** Resolves to the ports (of those given) that something else already listens on at 127.0.0.1. */
export async function busyPorts(
  ports: { port: number; what: string }[],
): Promise<{ port: number; what: string; reason: string }[]> {
  const busy: { port: number; what: string; reason: string }[] = [];
  for (const p of ports) {
    const reason = await new Promise<string | undefined>((resolveProbe) => {
      const s = createServer();
      s.once('error', (err: NodeJS.ErrnoException) => resolveProbe(err.code ?? err.message));
      s.listen({ host: '127.0.0.1', port: p.port, exclusive: true }, () => s.close(() => resolveProbe(undefined)));
    });
    if (reason !== undefined) busy.push({ ...p, reason });
  }
  return busy;
}

/** The last lines of a child's log, for the message when it dies. */
function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${file}: ${(err as Error).message})`;
  }
}

/** Thrown when the demo cannot run: ports in use, or a process that died on its own. */
export class DemoFailure extends Error {}

export async function runDemo(o: DemoOptions): Promise<void> {
  const layout = prepareDemo(o);
  const dir = resolve(o.dataDir);
  // Fail before starting anything when a port is taken (an earlier demo still running, another
  // program): otherwise a node dies at once and the demo would go on without it.
  const busy = await busyPorts([
    { port: layout.logPort, what: 'the demo log' },
    ...layout.nodes.flatMap((n) => [
      { port: n.http, what: `${n.name} HTTP` },
      { port: n.p2p, what: `${n.name} libp2p` },
    ]),
  ]);
  if (busy.length) {
    throw new DemoFailure(
      `port${busy.length > 1 ? 's' : ''} in use: ` +
        `${busy.map((b) => `${b.port} (${b.what}: ${b.reason})`).join(', ')}; ` +
        'stop what uses them (another chorus demo?) or pass --base-port (with a new --data-dir)',
    );
  }
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const children: { name: string; proc: ChildProcess }[] = [];
  const logsWritten: Promise<void>[] = [];
  const startChild = (name: string, args: string[]) => {
    const log = createWriteStream(join(dir, 'logs', `${name}.log`), { flags: 'a' });
    logsWritten.push(new Promise((resolveLog) => log.once('close', () => resolveLog())));
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    proc.once('close', () => log.end());
    children.push({ name, proc });
    return proc;
  };

  o.out(`dashboard: http://127.0.0.1:${(layout.nodes[0] as { http: number }).http}/`);
  for (const n of layout.nodes) o.out(`node ${n.name}: http://127.0.0.1:${n.http}/`);
  o.out(`proof directory (S3): http://127.0.0.1:${layout.logPort}/`);
  o.out(`logs: ${join(dir, 'logs')}; roster: ${layout.roster}`);
  if (o.equivocateAt !== undefined)
    o.out(`the log will show a split view at epoch ${o.equivocateAt} (the last node sees another tree)`);

  for (const n of layout.nodes) startChild(n.name, ['start', '--config', n.config, '--roster', layout.roster]);
  const logArgs = [
    'demo-log',
    '--data-dir',
    join(dir, 'log'),
    '--namespace',
    DEMO_NAMESPACE,
    '--listen',
    `127.0.0.1:${layout.logPort}`,
    '--epoch-interval',
    String(o.epochIntervalSeconds),
    '--targets',
    layout.targets,
  ];
  if (o.equivocateAt !== undefined) logArgs.push('--equivocate-at', o.equivocateAt.toString(), '--minority', '1');
  startChild('demo-log', logArgs);

  let stopping = false;
  let failure: string | undefined;
  const exited = new Map<string, number | null>();
  const done = new Promise<void>((resolveDone) => {
    for (const c of children) {
      c.proc.on('exit', (code) => {
        exited.set(c.name, code);
        if (!stopping) {
          // One process gone means the demo is no longer what it shows: stop all and fail loudly.
          failure = c.name;
          stop();
        }
        if (exited.size === children.length) resolveDone();
      });
    }
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    o.progress('stopping…', true);
    for (const c of children) c.proc.kill('SIGTERM');
    setTimeout(() => children.forEach((c) => c.proc.kill('SIGKILL')), 15_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  let lastCosigned: bigint | undefined;
  const timer = setInterval(() => {
    void (async () => {
      const statuses: NodeStatus[] = await Promise.all(
        layout.nodes.map(async (n) => {
          const info = await getJson(`http://127.0.0.1:${n.http}/namespaces/${DEMO_NAMESPACE}`);
          const last = info?.last_signed as { epoch?: bigint } | null | undefined;
          const s: NodeStatus = { equivocated: info?.network_status === 'Equivocated' };
          if (last?.epoch !== undefined) s.signed = last.epoch;
          if (typeof info?.last_verified_epoch === 'bigint') s.verified = info.last_verified_epoch;
          return s;
        }),
      );
      const first = layout.nodes[0] as { http: number };
      const head = statuses[0]?.signed;
      // The newest epoch presented as co-signed (an equivocated epoch never is).
      for (const e of head !== undefined ? [head, head - 1n] : []) {
        if (lastCosigned !== undefined && e <= lastCosigned) break;
        const c = await getJson(`http://127.0.0.1:${first.http}/namespaces/${DEMO_NAMESPACE}/epochs/${e}/cosignatures`);
        if (c?.quorum === true) {
          lastCosigned = e;
          break;
        }
      }
      const cosigned = lastCosigned === undefined ? '-' : String(lastCosigned);
      const eq = await getJson(`http://127.0.0.1:${first.http}/equivocations?namespace=${DEMO_NAMESPACE}`);
      const nEq = Array.isArray(eq?.equivocations) ? eq.equivocations.length : 0;
      const parts = layout.nodes.map(
        (n, i) => `${n.name} ${statuses[i]?.signed ?? '-'}/${statuses[i]?.verified ?? '-'}`,
      );
      if (!stopping) {
        o.progress(
          `signed/verified: ${parts.join('  ')} | co-signed: ${cosigned} | equivocations: ` +
            `${nEq}${nEq ? ' — see the dashboard' : ''}`,
        );
      }
    })();
  }, 1000);
  timer.unref();
  await done;
  clearInterval(timer);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (failure !== undefined) {
    await Promise.all(logsWritten);
    const logFile = join(dir, 'logs', `${failure}.log`);
    throw new DemoFailure(
      `${failure} exited (${exited.get(failure)}) on its own; everything was stopped. The last lines of ` +
        `${logFile}:\n${tail(logFile)}`,
    );
  }
  o.progress(`stopped (${[...exited.entries()].map(([n, c]) => `${n}:${c}`).join(' ')}); run again to resume`, true);
}
