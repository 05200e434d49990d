// Renders the history panel: the auditor × epoch matrix (a split view is a column with two
// letters), the signing-lag timeline per auditor, the epoch history table and the paged list of
// equivocation proofs. Colour is never the only signal: each state has a letter or icon and words.
import type { EquivocationJson } from './api.js';
import { h, svg, type Child } from './dom.js';
import { formatTime, isoTime, shortKey } from './format.js';
import { jsonLink } from './json-view.js';
import {
  cellOf,
  epochVerdict,
  formatLag,
  lagSeries,
  type Matrix,
  type MatrixCell,
  type MatrixColumn,
} from './matrix.js';
import { checkBadge, proofItem } from './render.js';
import type { FormatView } from './format-view.js';
import type { CheckedEpoch, ProofResult } from './verify.js';

const CELL_WORDS: Record<MatrixCell['state'], string> = {
  agree: 'signed the majority digest',
  differs: 'signed another digest than the majority',
  conflict: 'signed two digests',
  failing: 'signature does not verify',
  missing: 'no signature seen',
};

function cellText(c: MatrixCell): string {
  if (c.state === 'missing') return '·';
  if (c.state === 'failing') return '✗';
  return c.letters.join('+') + (c.unchecked ? '?' : '');
}

function cellTitle(ns: string, col: MatrixColumn, who: string, c: MatrixCell): string {
  const parts = [`${who}, epoch ${col.epoch}: ${CELL_WORDS[c.state]}`];
  c.digests.forEach((d, i) => parts.push(`${c.letters[i] ?? '✗'} = ${d}`));
  if (c.timestamp !== undefined)
    parts.push(
      `signed ${formatTime(c.timestamp)}${c.lagMs !== undefined ? `, ${formatLag(c.lagMs)} after the first` : ''}`,
    );
  if (c.unchecked) parts.push('signature unchecked');
  if (c.reason) parts.push(c.reason);
  return `${parts.join('\n')}\n(${ns})`;
}

/**
 * The matrix: auditors down, epochs across (oldest left); a split view stands out as a red column.
 * Its caption names the namespace's log format, as the card does.
 */
export function renderMatrix(ns: string, m: Matrix, format?: FormatView): HTMLElement {
  if (m.columns.length === 0) return h('p', { class: 'muted', 'data-empty': 'matrix' }, 'No epoch observed yet.');
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col', class: 'corner' }, 'Auditor \\ epoch'),
    ...m.columns.map((col) =>
      h(
        'th',
        {
          scope: 'col',
          class: `epoch${col.equivocated ? ' split' : ''}`,
          'data-epoch': String(col.epoch),
          title: col.equivocated ? `epoch ${col.epoch}: equivocated` : `epoch ${col.epoch}`,
        },
        h(
          'a',
          {
            href: `/namespaces/${encodeURIComponent(ns)}/epochs/${col.epoch}`,
            'data-json': `/namespaces/${encodeURIComponent(ns)}/epochs/${col.epoch}`,
          },
          String(col.epoch),
        ),
      ),
    ),
  );
  const body = m.rows.map((row) =>
    h(
      'tr',
      { 'data-auditor': row.name },
      h(
        'th',
        { scope: 'row', title: row.inRoster ? `roster auditor ${row.name}` : 'not a roster auditor' },
        row.name,
        row.inRoster ? null : h('span', { class: 'muted' }, ' (not in roster)'),
      ),
      ...m.columns.map((col) => {
        const c = cellOf(m, col, row);
        const letterClass = c.letters[0] === undefined ? '' : ` l${Math.min(c.letters[0].charCodeAt(0) - 65, 3)}`;
        return h(
          'td',
          {
            class: `cell ${c.state}${letterClass}${col.equivocated ? ' split' : ''}${c.unchecked ? ' unchecked' : ''}`,
            'data-epoch': String(col.epoch),
            'data-cell': c.state,
            'data-letter': c.letters.join('+') || undefined,
            title: cellTitle(ns, col, row.name, c),
          },
          cellText(c),
        );
      }),
    ),
  );
  // A mark under each equivocated column, so a split view is seen before any cell is read.
  const flags = h(
    'tr',
    {},
    h('th', { scope: 'row', class: 'corner' }, ''),
    ...m.columns.map((col) => h('td', { class: 'flag', 'data-epoch': String(col.epoch) }, col.equivocated ? '⚠' : '')),
  );
  const splits = m.columns.filter((c) => c.equivocated).length;
  return h(
    'div',
    { class: 'matrix-block' },
    h(
      'p',
      { class: splits > 0 ? 'summary bad' : 'summary ok', 'data-field': 'matrix-summary' },
      splits > 0
        ? `⚠ ${splits} of these ${m.columns.length} epochs are equivocated: auditors were shown different digests.`
        : `✓ All auditors that signed these ${m.columns.length} epochs signed the same digest at each.`,
    ),
    h(
      'div',
      { class: 'scroll', role: 'region', 'aria-label': `auditor by epoch matrix of ${ns}`, tabindex: '0' },
      h(
        'table',
        { class: 'matrix' },
        format
          ? h(
              'caption',
              { 'data-field': 'matrix-format', 'data-format': format.id },
              `${ns} · ${format.label} · auditors × epochs`,
            )
          : null,
        h('thead', {}, head),
        h('tbody', {}, ...body),
        h('tfoot', {}, flags),
      ),
    ),
    h(
      'p',
      { class: 'legend muted' },
      'A = the digest most auditors signed at that epoch, B, C… = other digests (a split view), · = no signature ' +
        'seen, ✗ = a signature that does not verify, ? = unchecked. Hover a cell for its digest and time; click an ' +
        'epoch for its JSON.',
    ),
  );
}

const LAG_W = 12;
const LAG_H = 32;

/** Signing lag per auditor: how long after the first signature of each epoch its own came. */
export function renderLag(m: Matrix): HTMLElement {
  if (m.columns.length === 0) return h('p', { class: 'muted' }, 'No epoch observed yet.');
  const series = lagSeries(m);
  const top = series.reduce((mx, s) => (s.max !== undefined && s.max > mx ? s.max : mx), 0n);
  const scale = Math.log1p(Number(top));
  const rows = series.map((s) => {
    const bars = s.points.map((p, i) => {
      const col = m.columns[i] as MatrixColumn;
      if (p === undefined)
        return svg(
          'rect',
          { class: 'none', x: i * LAG_W + 2, y: LAG_H - 3, width: LAG_W - 4, height: 3 },
          svg('title', {}, `epoch ${col.epoch}: no signature`),
        );
      const hgt = scale === 0 ? 2 : Math.max(2, ((LAG_H - 2) * Math.log1p(Number(p))) / scale);
      return svg(
        'rect',
        { class: p === 0n ? 'first' : 'lag', x: i * LAG_W + 2, y: LAG_H - hgt, width: LAG_W - 4, height: hgt },
        svg(
          'title',
          {},
          `epoch ${col.epoch}: ${p === 0n ? 'first to sign' : `${formatLag(p)} after the first signature`}`,
        ),
      );
    });
    const stats =
      s.signed === 0
        ? 'no signature on this page'
        : `median ${formatLag(s.median as bigint)} · max ${formatLag(s.max as bigint)} · ` +
          `${s.signed}/${m.columns.length} epochs`;
    return h(
      'li',
      {
        'data-auditor': s.row.name,
        'data-signed': String(s.signed),
        'data-max-lag': s.max === undefined ? undefined : String(s.max),
      },
      h('span', { class: 'who' }, s.row.name),
      svg(
        'svg',
        {
          class: 'lag-chart',
          viewBox: `0 0 ${m.columns.length * LAG_W} ${LAG_H}`,
          width: m.columns.length * LAG_W * 1.5,
          height: LAG_H,
          preserveAspectRatio: 'none',
          role: 'img',
          'aria-label': `${s.row.name}: ${stats}`,
        },
        ...bars,
      ),
      h('span', { class: 'stats' }, stats),
    );
  });
  return h(
    'div',
    { class: 'lag-block' },
    h('ul', { class: 'lag' }, ...rows),
    h(
      'p',
      { class: 'legend muted' },
      `Bar height: time from the first signature of the epoch to this auditor’s (log scale, tallest = ` +
        `${formatLag(top)}), from the signed timestamps. A flat bar: signed first. A dash: no signature seen.`,
    ),
  );
}

function verdictCell(e: CheckedEpoch, col: MatrixColumn): HTMLElement {
  const v = epochVerdict(e, col);
  if (v.state === 'equivocated')
    return h('td', { class: 'verdict bad', 'data-verdict': 'equivocated' }, `⚠ equivocated (${v.digests} digests)`);
  if (v.state === 'cosigned')
    return h('td', { class: 'verdict ok', 'data-verdict': 'cosigned' }, `✓ co-signed ${v.signers}/${v.threshold}`);
  if (v.state === 'no-quorum')
    return h('td', { class: 'verdict warn', 'data-verdict': 'no-quorum' }, `… ${v.signers} of ${v.threshold} needed`);
  return h('td', { class: 'verdict unchecked', 'data-verdict': 'unchecked' }, '? unchecked');
}

/** The epoch history table, newest first. */
export function renderEpochTable(ns: string, epochs: CheckedEpoch[], m: Matrix): HTMLElement {
  if (epochs.length === 0) return h('p', { class: 'muted' }, 'No epoch observed yet.');
  const byEpoch = new Map(m.columns.map((c) => [c.epoch, c]));
  const path = (e: bigint): string => `/namespaces/${encodeURIComponent(ns)}/epochs/${e}`;
  const rows = epochs.map((e) => {
    const col = byEpoch.get(e.epoch) as MatrixColumn;
    const digests: Child[] = e.digests.map((d) => {
      const good = d.rows.filter((r) => r.check.state === 'verified').length;
      const failing = d.rows.filter((r) => r.check.state === 'failing').length;
      const letter = col.letters.get(d.digest) ?? '✗';
      return h(
        'div',
        { class: 'digest-line', 'data-letter': letter },
        h('strong', {}, letter),
        ' ',
        h('code', { title: d.digest }, shortKey(d.digest)),
        ` · ${d.rows.length} signer${d.rows.length === 1 ? '' : 's'}`,
        good < d.rows.length ? ` (${good} verified${failing ? `, ${failing} failing` : ''})` : '',
      );
    });
    const proofs = e.proofs.map((p) =>
      h(
        'div',
        { 'data-proof-id': p.id, 'data-check': p.result.check.state },
        h('a', { href: `/equivocations/${p.id}`, 'data-json': `/equivocations/${p.id}` }, shortKey(p.id)),
        ' ',
        checkBadge(p.result.check),
      ),
    );
    return h(
      'tr',
      { 'data-epoch': String(e.epoch) },
      h(
        'th',
        { scope: 'row' },
        String(e.epoch),
        e.incomplete
          ? h('span', { class: 'muted', title: 'more observations than one page reads' }, ' (partial)')
          : null,
      ),
      verdictCell(e, col),
      h('td', {}, ...digests),
      h(
        'td',
        { class: 'when' },
        col.first === undefined ? '—' : h('time', { datetime: isoTime(col.first) }, formatTime(col.first)),
      ),
      h('td', {}, ...(proofs.length ? proofs : ['—'])),
      h('td', {}, jsonLink(path(e.epoch), '{ }')),
    );
  });
  return h(
    'div',
    { class: 'scroll', role: 'region', 'aria-label': `epoch history of ${ns}`, tabindex: '0' },
    h(
      'table',
      { class: 'history' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Epoch', 'Verdict (checked here)', 'Digests', 'First signed', 'Proofs', 'JSON'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
  );
}

export interface ProofPage {
  items: { json: EquivocationJson; result: ProofResult }[];
  total: bigint;
  /** Index of the first item on this page (0-based). */
  offset: number;
}

export function renderProofPage(p: ProofPage): HTMLElement[] {
  if (p.total === 0n)
    return [
      h('p', { class: 'muted', 'data-field': 'proof-range' }, 'No equivocation: every auditor saw the same tree.'),
    ];
  const last = p.offset + p.items.length;
  return [
    h(
      'p',
      { 'data-field': 'proof-range' },
      `Showing ${p.items.length === 0 ? 0 : p.offset + 1}–${last} of ${p.total} (newest epoch first), each proof ` +
        `checked in this browser.`,
    ),
    h('ul', { class: 'equivocations' }, ...p.items.map((i) => proofItem(i.json, i.result))),
  ];
}

/** Older / newer buttons for one paged list (older to the left, as on the matrix's time axis). */
export function pager(
  name: string,
  opts: { newer: boolean; older: boolean; label: string },
  go: (dir: 'newest' | 'newer' | 'older') => void,
): HTMLElement {
  const button = (dir: 'newest' | 'newer' | 'older', text: string, enabled: boolean): HTMLButtonElement => {
    const b = h('button', { type: 'button', 'data-page': dir }, text);
    b.disabled = !enabled;
    b.addEventListener('click', () => go(dir));
    return b;
  };
  return h(
    'nav',
    { class: 'pager', 'aria-label': `${name} pages`, 'data-pager': name },
    button('older', '← Older', opts.older),
    h('span', { class: 'muted' }, opts.label),
    button('newer', 'Newer →', opts.newer),
    button('newest', 'Newest ⇥', opts.newer),
  );
}
