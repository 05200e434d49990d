// A real full filesystem for the disk-full tests (issue 12 §1): a small tmpfs mounted for the
// test (needs root, as CI and this machine run; the injected-failure variants that need no root
// are test/unit/signing-store-failures.test.ts), filled up to a chosen margin, and one node's
// life on it: push epochs (with conflicting racers) until the disk is full, check the halt, free
// the space, restart, repair if the store fell behind its journal, and check every signature.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { http } from './http.js';
import { NodeProcess, runCli } from './node-process.js';

export class Tmpfs {
  mounted = false;
  constructor(
    readonly dir: string,
    readonly sizeBytes: number,
  ) {}

  /** Mounts it; fails with a clear message where that is impossible (not root). */
  mount(): void {
    if (process.getuid?.() !== 0) {
      throw new Error(
        'the disk-full test mounts a tmpfs and needs root (CI runs as root); without root, run ' +
          'test/unit/signing-store-failures.test.ts, which injects the same failures',
      );
    }
    mkdirSync(this.dir, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${this.sizeBytes},mode=0700`, 'tmpfs', this.dir], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`mount -t tmpfs ${this.dir} failed (${r.status}): ${r.stderr}`);
    this.mounted = true;
  }

  unmount(): void {
    if (!this.mounted) return;
    const r = spawnSync('umount', [this.dir], { encoding: 'utf8' });
    if (r.status !== 0) spawnSync('umount', ['-l', this.dir]);
    this.mounted = false;
  }

  get freeBytes(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Fills the filesystem until only about `marginBytes` are free. */
  fill(marginBytes: number): void {
    const fd = openSync(join(this.dir, 'filler'), 'a');
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    try {
      for (;;) {
        const room = this.freeBytes - marginBytes;
        if (room <= 0) break;
        writeSync(fd, chunk, 0, Math.min(chunk.length, room));
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      closeSync(fd);
    }
  }

  free(): void {
    rmSync(join(this.dir, 'filler'), { force: true });
  }
}

/** What the log was answered, across every life of the node. */
export class Ledger {
  /** epoch -> exact text of the first 200 response. */
  readonly returned = new Map<bigint, string>();
  /** epoch -> the one digest answered 200 for it. */
  readonly digest = new Map<bigint, string>();
  next = 1n;
  pending = randomBytes(32).toString('hex');
  violations: string[] = [];

  record(epoch: bigint, text: string, digest: string): void {
    const d = this.digest.get(epoch);
    if (d !== undefined && d !== digest)
      this.violations.push(`epoch ${epoch}: answered with two digests ${d} and ${digest}`);
    const t = this.returned.get(epoch);
    if (t !== undefined && t !== text)
      this.violations.push(`epoch ${epoch}: a second 200 differs from the first:\n  ${t}\n  ${text}`);
    if (d === undefined) this.digest.set(epoch, digest);
    if (t === undefined) this.returned.set(epoch, text);
  }

  advance(): void {
    this.next++;
    this.pending = randomBytes(32).toString('hex');
  }
}

export interface Target {
  url: string;
  ns: string;
  token: string;
}

/**
 * Pushes epochs (each raced by a conflicting digest with probability `race`) until the node
 * answers 503 signing-halted or `max` epochs were signed; returns how it stopped.
 */
export async function pushUntilHalt(
  t: Target,
  ledger: Ledger,
  race: number,
  max: number,
): Promise<{ halted: boolean; body?: Record<string, unknown>; signed: number }> {
  let signed = 0;
  while (signed < max) {
    const epoch = ledger.next;
    const submit = (digest: string) =>
      http(`${t.url}/namespaces/${t.ns}/audits`, { body: { epoch, digest }, token: t.token });
    // allSettled: a response that arrived counts even if the other request died with the node.
    const settled = await Promise.allSettled([
      submit(ledger.pending),
      Math.random() < race ? submit(randomBytes(32).toString('hex')) : undefined,
    ]);
    const [main, racer] = settled.map((x) => (x.status === 'fulfilled' ? x.value : undefined));
    for (const r of [main, racer]) if (r?.status === 200) ledger.record(epoch, r.text, String(r.body.digest));
    if (!main) throw (settled[0] as PromiseRejectedResult).reason;
    if (
      racer &&
      racer.status !== 200 &&
      racer.status !== 409 &&
      !(racer.status === 503 && racer.body.error === 'signing-halted')
    ) {
      ledger.violations.push(`epoch ${epoch}: racer answered ${racer.status} ${racer.text}`);
    }
    if (main.status === 200) {
      signed++;
      ledger.advance();
    } else if (main.status === 409 && main.body.error === 'epoch-conflict') {
      const got = await http(`${t.url}/namespaces/${t.ns}/audits/${epoch}`);
      if (got.status !== 200)
        ledger.violations.push(`epoch ${epoch}: refused as conflicting but not served (${got.status})`);
      else ledger.record(epoch, got.text, String(got.body.digest));
      signed++;
      ledger.advance();
    } else if (main.status === 503 && main.body.error === 'signing-halted') {
      return { halted: true, body: main.body, signed };
    } else {
      ledger.violations.push(`epoch ${epoch}: answered ${main.status} ${main.text}`);
      return { halted: false, signed };
    }
  }
  return { halted: false, signed };
}

/** Every signature ever returned is served byte-identical; a different digest is refused. */
export async function checkLedger(
  t: Target,
  ledger: Ledger,
  epochs: Iterable<bigint> = ledger.returned.keys(),
): Promise<void> {
  for (const e of epochs) {
    const r = await http(`${t.url}/namespaces/${t.ns}/audits/${e}`);
    if (r.status !== 200 || r.text !== ledger.returned.get(e))
      ledger.violations.push(`epoch ${e}: served ${r.status} ${r.text}, returned before: ${ledger.returned.get(e)}`);
    const other = await http(`${t.url}/namespaces/${t.ns}/audits`, {
      body: { epoch: e, digest: randomBytes(32).toString('hex') },
      token: t.token,
    });
    const refused = other.status === 409 && other.body.error === 'epoch-conflict';
    if (!refused) ledger.violations.push(`epoch ${e}: a different digest was answered ${other.status} ${other.text}`);
  }
}

/**
 * Starts the node; when it refuses a namespace because the store is behind its journal, checks
 * that the refusal is said (readyz 503, 503 on the next epoch), stops it, runs `chorus repair`,
 * and starts it again. Returns the running node and whether a repair was needed.
 */
export async function startRepairing(
  config: string,
  t: Omit<Target, 'url'>,
  ledger: Ledger,
): Promise<{ node: NodeProcess; repaired: boolean }> {
  let node = await NodeProcess.start(['start', '--config', config]);
  const ready = await http(`${node.url}/readyz`);
  if (ready.status === 200) return { node, repaired: false };
  const problems = JSON.stringify(ready.body.problems);
  if (!/behind the signing journal/.test(problems)) {
    ledger.violations.push(`readyz ${ready.status} after restart, not for a store behind its journal: ${ready.text}`);
    return { node, repaired: false };
  }
  const next = await http(`${node.url}/namespaces/${t.ns}/audits`, {
    body: { epoch: ledger.next, digest: randomBytes(32).toString('hex') },
    token: t.token,
  });
  if (next.status !== 503 || next.body.error !== 'signing-halted')
    ledger.violations.push(`store behind journal, yet epoch ${ledger.next} answered ${next.status} ${next.text}`);
  await node.kill('SIGTERM');
  const r = runCli(['repair', '--config', config]);
  if (r.status !== 0) ledger.violations.push(`chorus repair failed (${r.status}): ${r.stderr}`);
  node = await NodeProcess.start(['start', '--config', config]);
  const again = await http(`${node.url}/readyz`);
  if (again.status !== 200) ledger.violations.push(`readyz ${again.status} after chorus repair: ${again.text}`);
  return { node, repaired: true };
}
