// Shared pieces of the reliability suite (issue 7 item 4): invariant bookkeeping, the per-part
// result files the summary is built from, partitions between arbitrary groups of node processes,
// and process memory readings.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestNetwork } from '../support/network.js';
import type { LogLine } from '../support/node-process.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');
/** Each part writes `<part>.json` here; the global teardown turns them into the summary. */
export const PARTS_DIR = join(ARTIFACTS, 'reliability-parts');
export const SUMMARY_FILE = join(ARTIFACTS, 'reliability-summary.json');
/** `RELIABILITY_MODE=full` runs the longer variant of the parts that have one. */
export const FULL_MODE = process.env.RELIABILITY_MODE === 'full';
/** The mode's name, recorded in every part's results and in the summary. */
export const MODE: 'full' | 'ci' = FULL_MODE ? 'full' : 'ci';

/**
 * A count or duration of a part: the environment variable `name` when set (it overrides both
 * modes), else the part's default for the mode that runs (CI's short one, or full's).
 */
export function setting(name: string, ci: number, full: number): number {
  const env = process.env[name];
  if (env === undefined || env === '') return FULL_MODE ? full : ci;
  const n = Number(env);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(env)}`);
  return n;
}

/**
 * A part's timeout in full mode (about 3x its time on an idle machine, as the machine may be
 * shared); in CI mode undefined, so vitest.reliability.config.ts's testTimeout applies unchanged.
 * It only catches a hang: each part bounds its own work by counts and durations.
 */
export function partTimeout(fullMs: number): number | undefined {
  return FULL_MODE ? fullMs : undefined;
}

/**
 * Collects invariant violations instead of stopping at the first one, so a run reports how many
 * there were; each test ends with `expect(inv.list).toEqual([])`.
 */
export class Invariants {
  count = 0;
  readonly list: string[] = [];
  /** Records a violation when `ok` is false; returns `ok`. */
  check(ok: boolean, message: string | (() => string)): boolean {
    if (!ok) this.fail(typeof message === 'string' ? message : message());
    return ok;
  }
  fail(message: string): void {
    this.count++;
    if (this.list.length < 40) this.list.push(message);
  }
}

export interface PartResult {
  part: string;
  violations: number;
  /** First violations, for the report. */
  examples: string[];
  wallMs: number;
  [count: string]: unknown;
}

export function writePart(result: PartResult): void {
  mkdirSync(PARTS_DIR, { recursive: true });
  const withMode = { ...result, mode: MODE };
  writeFileSync(join(PARTS_DIR, `${result.part}.json`), `${JSON.stringify(withMode, null, 2)}\n`);
}

/** A failed part's test errors, beside its results (test/reliability/record-failures.ts). */
export function writePartFailure(part: string, errors: string[]): void {
  mkdirSync(PARTS_DIR, { recursive: true });
  writeFileSync(join(PARTS_DIR, `${part}.failed.json`), `${JSON.stringify({ part, errors }, null, 2)}\n`);
}

/** The errors of a part whose test failed, or undefined when it did not fail. */
export function readPartFailure(part: string): string[] | undefined {
  const file = join(PARTS_DIR, `${part}.failed.json`);
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { errors: string[] }).errors;
}

export function readPart(part: string): PartResult | undefined {
  try {
    return JSON.parse(readFileSync(join(PARTS_DIR, `${part}.json`), 'utf8')) as PartResult;
  } catch {
    return undefined;
  }
}

/** Cuts every node of `a` off from every node of `b`, both directions (admin block endpoint). */
export async function partition(net: TestNetwork, a: string[], b: string[]): Promise<void> {
  await blockPairs(net, a, b, 'block');
}

/** Undoes `partition`. */
export async function heal(net: TestNetwork, a: string[], b: string[]): Promise<void> {
  await blockPairs(net, a, b, 'unblock');
}

async function blockPairs(net: TestNetwork, a: string[], b: string[], action: 'block' | 'unblock'): Promise<void> {
  const calls: Promise<void>[] = [];
  for (const x of a) {
    for (const y of b) {
      for (const [from, to] of [
        [x, y],
        [y, x],
      ] as const) {
        calls.push(
          net.admin(from, `/admin/peers/${net.node(to).peerId}/${action}`).then((r) => {
            if (r.status !== 200) throw new Error(`${action} ${to} on ${from}: ${r.status} ${r.text}`);
          }),
        );
      }
    }
  }
  await Promise.all(calls);
}

/** Resident set size of a process in bytes (VmRSS), or undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The value of an unlabelled Prometheus sample in a /metrics text. */
export function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Log lines that show a node broke, whatever the test was doing: a 500, a fatal error, a failure
 * in evidence handling, a doppelgänger halt (an honest node never sees its own key elsewhere).
 */
export function alarmingLogs(logs: LogLine[]): LogLine[] {
  const alarming = new Set([
    'doppelganger',
    'evidence-failed',
    'quorum-check-failed',
    'alert-failed',
    'event-log-failed',
  ]);
  return logs.filter(
    (l) =>
      l.level >= 60 ||
      (typeof l.event === 'string' && alarming.has(l.event)) ||
      l.msg === 'request failed' ||
      (l.level >= 50 && l.event !== 'equivocation'),
  );
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A random permutation (Fisher-Yates). */
export function shuffle<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** One signer of an epoch view (`GET /namespaces/{ns}/epochs/{e}`). */
export interface ViewSigner {
  signer_key: string;
  name: string;
  timestamp: bigint;
  signature: string;
  ciphersuite: bigint;
}

export interface EpochView {
  status: number;
  equivocated: boolean;
  digests: { digest: string; signers: ViewSigner[] }[];
  proofs: string[];
}

/** A node's epoch view; `status` 404 (nothing observed) gives empty lists. */
export async function epochView(net: TestNetwork, name: string, epoch: bigint): Promise<EpochView> {
  const r = await net.get(name, `/namespaces/${net.namespace}/epochs/${epoch}`);
  return {
    status: r.status,
    equivocated: r.body.equivocated === true,
    digests: (r.body.digests ?? []) as EpochView['digests'],
    proofs: (r.body.proofs ?? []) as string[],
  };
}

/** signer name -> digest, and the names found under more than one digest. */
export function signersByDigest(view: EpochView): { byName: Map<string, string>; twice: string[] } {
  const byName = new Map<string, string>();
  const twice: string[] = [];
  for (const d of view.digests) {
    for (const s of d.signers) {
      if (byName.has(s.name) && byName.get(s.name) !== d.digest) twice.push(s.name);
      byName.set(s.name, d.digest);
    }
  }
  return { byName, twice };
}

/** The peers a node is connected to (`/network/status`). */
export async function connectedPeers(net: TestNetwork, name: string): Promise<string[]> {
  const r = await net.get(name, '/network/status');
  return (r.body.connectedPeers ?? []) as string[];
}

/** Linear-regression slope of ys over xs (per unit of x). */
export function slope(xs: number[], ys: number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return NaN;
  const mx = xs.slice(0, n).reduce((s, x) => s + x, 0) / n;
  const my = ys.slice(0, n).reduce((s, y) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}
