// `chorus directory check`: a cheap history check of a proof directory from listing metadata only
// (docs/design-decisions.md, "Directory source"): every place where names do not chain
// (`previous` of e+1 ≠ `current` of e), gaps, two blobs for one epoch, malformed keys — without
// downloading a proof. Keys come in byte order ("10/…" before "9/…"), so each key is kept as
// 24 bytes (epoch, 8-byte prefixes of both digests) and sorted at the end; the few examples
// reported are listed again by `prefix={epoch}/` to name them in full.
import { akdProofNames } from '../formats/akd/index.js';
import type { ProofNaming } from '../formats/log-format.js';
import { classifyEpochKeys, listEpoch } from '../services/directory-listing.js';
import { listPages, type ProofDirectory } from '../services/proof-directory.js';

export interface CheckOptions {
  from?: bigint;
  to?: bigint;
  /** Called after each listing page. */
  onProgress?: (p: { pages: number; keys: number; lastKey?: string }) => void;
  /** Examples named per kind of problem. */
  maxExamples?: number;
  /** How the log's format names its proofs (default: AKD's blob names, as WhatsApp's bucket has). */
  proofNames?: ProofNaming;
}

export interface CheckReport {
  keys: number;
  blobs: number;
  epochs: number;
  first?: bigint;
  last?: bigint;
  /** `previous` of e+1 differs from `current` of e: conclusive. */
  breaks: { count: number; examples: { epoch: bigint; current: string[]; next: string[] }[] };
  /** Epochs missing between the first and last (could be "not yet" or deleted: not evidence). */
  gaps: { count: number; missingEpochs: bigint; examples: { from: bigint; to: bigint }[] };
  /** Two different blobs for one epoch: a fork in the log's own directory. */
  duplicates: { count: number; examples: { epoch: bigint; names: string[] }[] };
  malformed: { count: number; examples: string[] };
  consistent: boolean;
}

const fp = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);

/** Growable columns: epoch and digest prefixes per blob. */
class Columns {
  epoch = new BigUint64Array(1024);
  prev = new BigUint64Array(1024);
  cur = new BigUint64Array(1024);
  n = 0;
  push(e: bigint, p: bigint, c: bigint): void {
    if (this.n === this.epoch.length) {
      const grow = (a: BigUint64Array) => {
        const b = new BigUint64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.epoch = grow(this.epoch);
      this.prev = grow(this.prev);
      this.cur = grow(this.cur);
    }
    this.epoch[this.n] = e;
    this.prev[this.n] = p;
    this.cur[this.n] = c;
    this.n++;
  }
}

export async function checkDirectory(dir: ProofDirectory, o: CheckOptions = {}): Promise<CheckReport> {
  const max = o.maxExamples ?? 5;
  const naming = o.proofNames ?? akdProofNames;
  const cols = new Columns();
  const report: CheckReport = {
    keys: 0,
    blobs: 0,
    epochs: 0,
    breaks: { count: 0, examples: [] },
    gaps: { count: 0, missingEpochs: 0n, examples: [] },
    duplicates: { count: 0, examples: [] },
    malformed: { count: 0, examples: [] },
    consistent: true,
  };
  let pages = 0;
  let previousKey: string | undefined;
  for await (const page of listPages(dir, '')) {
    pages++;
    for (const key of page.keys) {
      // Pages follow start-after, so a repeated key can only be a listing's own repeat.
      if (key === previousKey) continue;
      previousKey = key;
      report.keys++;
      const m = /^([0-9]{1,20})\//.exec(key);
      const epoch = m ? BigInt(m[1] as string) : undefined;
      if (epoch !== undefined && ((o.from !== undefined && epoch < o.from) || (o.to !== undefined && epoch > o.to)))
        continue;
      const c = classifyEpochKeys(epoch ?? -1n, [key], naming);
      const blob = c.blobs[0];
      if (!blob) {
        report.malformed.count++;
        if (report.malformed.examples.length < max) report.malformed.examples.push(c.malformed[0] as string);
        continue;
      }
      report.blobs++;
      cols.push(blob.epoch, fp(blob.previous), fp(blob.current));
    }
    o.onProgress?.({ pages, keys: report.keys, ...(previousKey !== undefined ? { lastKey: previousKey } : {}) });
  }
  const order = new Uint32Array(cols.n);
  for (let i = 0; i < cols.n; i++) order[i] = i;
  order.sort((a, b) => {
    const d = (cols.epoch[a] as bigint) - (cols.epoch[b] as bigint);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  });
  const breakEpochs: bigint[] = [];
  const dupEpochs: bigint[] = [];
  let i = 0;
  let prev: { epoch: bigint; cur: bigint; single: boolean } | undefined;
  while (i < cols.n) {
    const at = order[i] as number;
    const e = cols.epoch[at] as bigint;
    let j = i + 1;
    let forked = false;
    while (j < cols.n && cols.epoch[order[j] as number] === e) {
      const o2 = order[j] as number;
      if (cols.prev[o2] !== cols.prev[at] || cols.cur[o2] !== cols.cur[at]) forked = true;
      j++;
    }
    report.epochs++;
    if (report.first === undefined) report.first = e;
    report.last = e;
    if (forked) {
      report.duplicates.count++;
      if (dupEpochs.length < max) dupEpochs.push(e);
    }
    if (prev !== undefined) {
      if (e > prev.epoch + 1n) {
        report.gaps.count++;
        report.gaps.missingEpochs += e - prev.epoch - 1n;
        if (report.gaps.examples.length < max) report.gaps.examples.push({ from: prev.epoch + 1n, to: e - 1n });
      } else if (prev.single && !forked && cols.prev[at] !== prev.cur) {
        report.breaks.count++;
        if (breakEpochs.length < max) breakEpochs.push(prev.epoch);
      }
    }
    prev = { epoch: e, cur: cols.cur[at] as bigint, single: !forked };
    i = j;
  }
  // Name the examples in full (a handful of small listings).
  const names = async (e: bigint) => (await listEpoch(dir, e, naming)).blobs.map((b) => b.name);
  for (const e of breakEpochs)
    report.breaks.examples.push({ epoch: e, current: await names(e), next: await names(e + 1n) });
  for (const e of dupEpochs) report.duplicates.examples.push({ epoch: e, names: await names(e) });
  report.consistent = report.breaks.count === 0 && report.duplicates.count === 0 && report.malformed.count === 0;
  return report;
}
