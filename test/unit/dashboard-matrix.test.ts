// The dashboard's pure matrix rules (src/api/dashboard/matrix.ts): letters per digest, cell states,
// signing lag and epoch verdicts from what the page verified. A failing signature never counts.
import { describe, expect, it } from 'vitest';
import {
  buildMatrix,
  cellOf,
  epochVerdict,
  formatLag,
  lagSeries,
  type MatrixRow,
} from '../../src/api/dashboard/matrix.js';
import type { Check, CheckedEpoch, CosignerRow } from '../../src/api/dashboard/verify.js';
import { U64_MAX } from '../../src/util/u64.js';

const rows: MatrixRow[] = ['org1', 'org2', 'org3'].map((n) => ({ key: n, name: n, inRoster: true }));
const keyOf = (n: string): string => n.padEnd(64, '0').replace(/[^0-9a-f]/g, 'f');
const byKey = new Map(rows.map((r) => [keyOf(r.name), r.name]));
const rowOf = (k: string): string | undefined => byKey.get(k);
const ok: Check = { state: 'verified' };
const bad: Check = { state: 'failing', reason: 'signature does not verify' };
const unchecked: Check = { state: 'unchecked', reason: 'no roster' };
const D = (b: number): string => b.toString(16).padStart(2, '0').repeat(32);

function sig(name: string, timestamp: bigint, check: Check = ok): CosignerRow {
  return { signerKey: keyOf(name), name, timestamp, check };
}

function epoch(
  e: bigint,
  digests: [string, CosignerRow[]][],
  opts: Partial<Pick<CheckedEpoch, 'serverEquivocated' | 'proofs'>> = {},
  threshold = 2,
): CheckedEpoch {
  return {
    epoch: e,
    serverEquivocated: opts.serverEquivocated ?? false,
    incomplete: false,
    proofs: opts.proofs ?? [],
    digests: digests.map(([digest, list]) => {
      const good = list.filter((r) => r.check.state === 'verified').length;
      return {
        digest,
        rows: list,
        quorum: list.every((r) => r.check.state === 'unchecked')
          ? null
          : { signers: good, threshold, reached: good >= threshold },
      };
    }),
  };
}

describe('auditor × epoch matrix', () => {
  const epochs = [
    epoch(3n, [[D(3), [sig('org1', 3_000n), sig('org2', 3_500n, bad)]]]),
    epoch(1n, [[D(1), [sig('org1', 1_000n), sig('org2', 1_200n), sig('org3', 1_900n)]]]),
    epoch(2n, [
      [D(2), [sig('org1', 2_100n), sig('org2', 2_000n)]],
      [D(0x22), [sig('org3', 2_050n)]],
    ]),
  ];
  const m = buildMatrix(rows, rowOf, epochs);

  it('puts epochs oldest first and roster rows in roster order', () => {
    expect(m.columns.map((c) => c.epoch)).toEqual([1n, 2n, 3n]);
    expect(m.rows.map((r) => r.name)).toEqual(['org1', 'org2', 'org3']);
  });

  it('letters digests by how many good signatures they carry; a split view is a column with two letters', () => {
    const [c1, c2] = m.columns;
    expect(c1!.split).toBe(false);
    expect(c2!.split).toBe(true);
    expect(c2!.equivocated).toBe(true);
    expect([...c2!.letters.entries()]).toEqual([
      [D(2), 'A'],
      [D(0x22), 'B'],
    ]);
    expect(cellOf(m, c2!, rows[2]!)).toMatchObject({ state: 'differs', letters: ['B'], digests: [D(0x22)] });
    expect(cellOf(m, c2!, rows[0]!)).toMatchObject({ state: 'agree', letters: ['A'] });
  });

  it('shows a failing signature as failing and a missing one as missing, never as signed', () => {
    const c3 = m.columns[2]!;
    expect(cellOf(m, c3, rows[1]!)).toMatchObject({
      state: 'failing',
      letters: [],
      reason: 'signature does not verify',
    });
    expect(cellOf(m, c3, rows[2]!)).toMatchObject({ state: 'missing' });
    // The forged signature's digest is no second letter: no split from a forgery.
    const forged = buildMatrix(rows, rowOf, [
      epoch(9n, [
        [D(9), [sig('org1', 1n), sig('org2', 2n)]],
        [D(0x99), [sig('org3', 3n, bad)]],
      ]),
    ]);
    expect(forged.columns[0]!.split).toBe(false);
    expect(forged.columns[0]!.letters.size).toBe(1);
  });

  it('marks an auditor that signed two digests at one epoch, and gives unknown signers their own row', () => {
    const x = buildMatrix(rows, rowOf, [
      epoch(5n, [
        [
          D(5),
          [sig('org1', 10n), sig('org2', 11n), { signerKey: 'ab'.repeat(32), name: null, timestamp: 12n, check: ok }],
        ],
        [D(6), [sig('org1', 13n)]],
      ]),
    ]);
    const col = x.columns[0]!;
    expect(cellOf(x, col, rows[0]!)).toMatchObject({ state: 'conflict', letters: ['A', 'B'] });
    expect(x.rows).toHaveLength(4);
    expect(x.rows[3]).toMatchObject({ key: `key:${'ab'.repeat(32)}`, inRoster: false });
    expect(cellOf(x, col, x.rows[3]!).state).toBe('agree');
  });

  it('flags cells whose signatures were only unchecked', () => {
    const x = buildMatrix([], () => undefined, [epoch(1n, [[D(1), [sig('org1', 1n, unchecked)]]])]);
    expect(x.rows.map((r) => r.inRoster)).toEqual([false]);
    expect(cellOf(x, x.columns[0]!, x.rows[0]!)).toMatchObject({ state: 'agree', unchecked: true });
  });

  it('measures signing lag from the epoch’s first good signature, exact for u64 timestamps', () => {
    const c1 = m.columns[0]!;
    expect(c1.first).toBe(1_000n);
    expect([0, 1, 2].map((i) => cellOf(m, c1, rows[i]!).lagMs)).toEqual([0n, 200n, 900n]);
    // Epoch 3: org2's (failing) signature is neither first nor measured.
    expect(cellOf(m, m.columns[2]!, rows[1]!).lagMs).toBeUndefined();
    const series = lagSeries(m);
    expect(series.map((s) => [s.row.name, s.signed, s.median, s.max])).toEqual([
      ['org1', 3, 0n, 100n],
      ['org2', 2, 0n, 200n],
      ['org3', 2, 50n, 900n],
    ]);
    expect(series[2]!.points).toEqual([900n, 50n, undefined]);
    const huge = buildMatrix(rows, rowOf, [epoch(U64_MAX, [[D(1), [sig('org1', 0n), sig('org2', U64_MAX)]]])]);
    expect(cellOf(huge, huge.columns[0]!, rows[1]!).lagMs).toBe(U64_MAX);
  });

  it('gives each epoch a verdict: equivocated beats any quorum', () => {
    const v = (e: CheckedEpoch) => epochVerdict(e, buildMatrix(rows, rowOf, [e]).columns[0]!);
    const full = epoch(1n, [[D(1), [sig('org1', 1n), sig('org2', 2n)]]]);
    expect(v(full)).toEqual({ state: 'cosigned', signers: 2, threshold: 2 });
    expect(v({ ...full, serverEquivocated: true })).toMatchObject({ state: 'equivocated' });
    expect(v({ ...full, proofs: [{ id: 'a'.repeat(64), result: { check: ok } }] })).toMatchObject({
      state: 'equivocated',
    });
    expect(v(epochs[2]!)).toEqual({ state: 'equivocated', digests: 2 });
    expect(v(epochs[0]!)).toEqual({ state: 'no-quorum', signers: 1, threshold: 2 });
    expect(v(epoch(1n, [[D(1), [sig('org1', 1n, unchecked)]]]))).toEqual({ state: 'unchecked' });
  });

  it('formats lags for people', () => {
    expect([0n, 999n, 1_000n, 4_250n, 180_000n, 9_000_000n, 3n * 86_400_000n].map(formatLag)).toEqual([
      '0 ms',
      '999 ms',
      '1.0 s',
      '4.3 s',
      '3 min',
      '2.5 h',
      '3 d',
    ]);
  });
});
