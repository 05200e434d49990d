// Pure rules behind the auditor × epoch matrix, the signing-lag timeline and the epoch history:
// what each auditor signed at each epoch, which digest the majority signed, and how long after
// the first signature of that epoch each auditor's came. They take what the page verified
// (verify.ts) and count only signatures that were not found failing: a forged signature never
// makes a digest look signed, and a split view shows as two letters in one column.
import type { CheckedEpoch } from './verify.js';

/** One row: a roster auditor (in roster order), or a signer the roster does not know. */
export interface MatrixRow {
  key: string;
  name: string;
  inRoster: boolean;
}

export type CellState = 'agree' | 'differs' | 'conflict' | 'failing' | 'missing';

export interface MatrixCell {
  state: CellState;
  /** The digest(s) this row signed at this epoch (several: it signed more than one). */
  digests: string[];
  letters: string[];
  /** Earliest timestamp among its signatures here. */
  timestamp?: bigint;
  /** Milliseconds after the epoch's first signature (0 for the first signer). */
  lagMs?: bigint;
  /** Every signature in the cell was only unchecked (no roster, or the browser could not verify). */
  unchecked: boolean;
  reason?: string;
}

export interface MatrixColumn {
  epoch: bigint;
  /** Letters by digest: A for the digest with the most (not failing) signatures, then B, C, … */
  letters: Map<string, string>;
  /** More than one digest carries a signature that did not fail. */
  split: boolean;
  equivocated: boolean;
  incomplete: boolean;
  first?: bigint;
  cells: Map<string, MatrixCell>;
}

export interface Matrix {
  rows: MatrixRow[];
  /** Oldest epoch first (left to right). */
  columns: MatrixColumn[];
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const letterOf = (i: number): string => LETTERS[i] ?? `#${i + 1}`;

/**
 * Builds the matrix from verified epochs. `rowOf` names the row of a signer key (lower-case hex):
 * the roster's auditor name, or undefined for a key the roster does not know (it gets its own row).
 */
export function buildMatrix(
  rosterRows: MatrixRow[],
  rowOf: (signerKey: string) => string | undefined,
  epochs: CheckedEpoch[],
): Matrix {
  const rows = [...rosterRows];
  const known = new Set(rows.map((r) => r.key));
  const columns = [...epochs]
    .sort((a, b) => (a.epoch < b.epoch ? -1 : a.epoch > b.epoch ? 1 : 0))
    .map((e) => {
      const counts = new Map<string, number>();
      for (const d of e.digests) counts.set(d.digest, d.rows.filter((r) => r.check.state !== 'failing').length);
      const ordered = [...counts.entries()]
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const letters = new Map(ordered.map(([d], i) => [d, letterOf(i)]));
      const perRow = new Map<string, { digest: string; timestamp: bigint; state: string; reason?: string }[]>();
      let first: bigint | undefined;
      for (const d of e.digests) {
        for (const r of d.rows) {
          const key = rowOf(r.signerKey.toLowerCase()) ?? `key:${r.signerKey.toLowerCase()}`;
          if (!known.has(key)) {
            known.add(key);
            rows.push({ key, name: r.name ?? `${r.signerKey.slice(0, 8)}…`, inRoster: false });
          }
          const list = perRow.get(key) ?? [];
          list.push({
            digest: d.digest,
            timestamp: r.timestamp,
            state: r.check.state,
            ...(r.check.state === 'verified' ? {} : { reason: r.check.reason }),
          });
          perRow.set(key, list);
          if (r.check.state !== 'failing' && (first === undefined || r.timestamp < first)) first = r.timestamp;
        }
      }
      const cells = new Map<string, MatrixCell>();
      for (const [key, sigs] of perRow) {
        const good = sigs.filter((s) => s.state !== 'failing');
        if (good.length === 0) {
          cells.set(key, {
            state: 'failing',
            digests: sigs.map((s) => s.digest),
            letters: [],
            unchecked: false,
            ...(sigs[0]?.reason ? { reason: sigs[0].reason } : {}),
          });
          continue;
        }
        const digests = [...new Set(good.map((s) => s.digest))];
        const ts = good.reduce((m, s) => (s.timestamp < m ? s.timestamp : m), good[0]!.timestamp);
        const cellLetters = digests.map((d) => letters.get(d) ?? '?');
        const state: CellState = digests.length > 1 ? 'conflict' : cellLetters[0] === 'A' ? 'agree' : 'differs';
        cells.set(key, {
          state,
          digests,
          letters: cellLetters,
          timestamp: ts,
          ...(first === undefined ? {} : { lagMs: ts - first }),
          unchecked: good.every((s) => s.state === 'unchecked'),
        });
      }
      return {
        epoch: e.epoch,
        letters,
        split: letters.size > 1,
        equivocated: letters.size > 1 || e.serverEquivocated || e.proofs.length > 0,
        incomplete: e.incomplete,
        ...(first === undefined ? {} : { first }),
        cells,
      } satisfies MatrixColumn;
    });
  return { rows, columns };
}

export function cellOf(m: Matrix, col: MatrixColumn, row: MatrixRow): MatrixCell {
  return col.cells.get(row.key) ?? { state: 'missing', digests: [], letters: [], unchecked: false };
}

export interface LagSeries {
  row: MatrixRow;
  /** One point per column (oldest first); undefined where the row has no good signature. */
  points: (bigint | undefined)[];
  median?: bigint;
  max?: bigint;
  signed: number;
}

/** Per row, its signing lag at each epoch of the page, with the median and maximum. */
export function lagSeries(m: Matrix): LagSeries[] {
  return m.rows.map((row) => {
    const points = m.columns.map((c) => cellOf(m, c, row).lagMs);
    const got = points.filter((p): p is bigint => p !== undefined).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const out: LagSeries = { row, points, signed: got.length };
    if (got.length > 0) {
      out.median = got[Math.floor((got.length - 1) / 2)] as bigint;
      out.max = got[got.length - 1] as bigint;
    }
    return out;
  });
}

export type EpochVerdict =
  | { state: 'cosigned'; signers: number; threshold: number }
  | { state: 'equivocated'; digests: number }
  | { state: 'no-quorum'; signers: number; threshold: number }
  | { state: 'unchecked' };

/**
 * An epoch's verdict from what the page verified. Equivocated whatever its signatures if the node
 * says so, a proof is listed, or two digests carry good signatures (docs/design-decisions.md, Dashboard: an
 * equivocated epoch is never co-signed); else co-signed when the verified quorum is reached.
 */
export function epochVerdict(e: CheckedEpoch, col: MatrixColumn): EpochVerdict {
  if (col.equivocated) return { state: 'equivocated', digests: Math.max(col.letters.size, e.digests.length) };
  const top = e.digests.find((d) => col.letters.get(d.digest) === 'A') ?? e.digests[0];
  if (!top?.quorum) return { state: 'unchecked' };
  return top.quorum.reached
    ? { state: 'cosigned', signers: top.quorum.signers, threshold: top.quorum.threshold }
    : { state: 'no-quorum', signers: top.quorum.signers, threshold: top.quorum.threshold };
}

/** A lag for people: "0 ms", "850 ms", "4.2 s", "3 min", "2.5 h" (exact digits beyond a day). */
export function formatLag(ms: bigint): string {
  if (ms < 1000n) return `${ms} ms`;
  if (ms < 60_000n) return `${(Number(ms) / 1000).toFixed(1)} s`;
  if (ms < 3_600_000n) return `${Math.round(Number(ms) / 60_000)} min`;
  if (ms < 86_400_000n) return `${(Number(ms) / 3_600_000).toFixed(1)} h`;
  return `${ms / 86_400_000n} d`;
}
