// Renders one namespace card from what was fetched and what the page verified. Colour is never the
// only signal: every state also has an icon and words.
import type { AlertJson, EquivocationJson, LastVerified, NamespaceInfo } from './api.js';
import { h, type Child } from './dom.js';
import { formatTime, isoTime, shortKey } from './format.js';
import { formatView, proofOf } from './format-view.js';
import { jsonLink } from './json-view.js';
import type { Check, CosignatureResult, ProofResult } from './verify.js';

export interface CardModel {
  info: NamespaceInfo;
  lastVerified: LastVerified | null;
  cosig:
    | {
        epoch: bigint;
        digest: string;
        serverQuorum: boolean | undefined;
        serverEquivocated: boolean | undefined;
        result: CosignatureResult;
      }
    | { error: string }
    | null;
  proofs: { json: EquivocationJson; result: ProofResult }[];
  /** Every proof the node holds for the namespace (the card lists the newest few). */
  proofTotal: bigint;
  alerts: AlertJson[];
  errors: string[];
}

const KIND: Record<string, string> = {
  'split-view': 'split view (the log showed auditors different trees)',
  'auditor-equivocation': 'an auditor signed two digests',
  'log-equivocation': 'the log signed two digests',
};

export function checkBadge(c: Check): HTMLElement {
  if (c.state === 'verified') return h('span', { class: 'check ok', 'data-check': 'verified' }, '✓ verified');
  if (c.state === 'failing')
    return h('span', { class: 'check bad', 'data-check': 'failing' }, `✗ failing: ${c.reason}`);
  return h(
    'span',
    { class: 'check unchecked', 'data-check': 'unchecked', title: c.reason },
    `? unchecked: ${c.reason}`,
  );
}

function time(ms: bigint | undefined): Child {
  if (ms === undefined) return null;
  return h('time', { datetime: isoTime(ms) }, formatTime(ms));
}

function row(label: string, field: string, ...value: Child[]): Child[] {
  return jsonRow(label, field, undefined, ...value);
}

/** A field with the endpoint that serves it one click away (json-view.ts). */
function jsonRow(label: string, field: string, json: string | undefined, ...value: Child[]): Child[] {
  const shown = value.some((v) => v !== null && v !== undefined && v !== false);
  return [
    h('dt', {}, label),
    h(
      'dd',
      {},
      h('span', { 'data-field': field }, ...(shown ? value : ['—'])),
      shown && json ? ' ' : null,
      shown && json ? jsonLink(json, '{ }') : null,
    ),
  ];
}

function cardState(m: CardModel): { state: string; label: string } {
  if (m.info.network_status === 'Equivocated' || m.proofTotal > 0n)
    return { state: 'equivocated', label: '⚠ Equivocated' };
  if (m.info.signing_halted) return { state: 'halted', label: '⏹ Signing halted' };
  const failing =
    (m.cosig && ('error' in m.cosig || m.cosig.result.rows.some((r) => r.check.state === 'failing'))) ||
    m.errors.length > 0;
  if (failing) return { state: 'suspect', label: '⚠ Check failures' };
  if (m.info.status !== 'Online')
    return { state: 'idle', label: m.info.status === 'Disabled' ? '⏸ Disabled' : `… ${m.info.status}` };
  return { state: 'ok', label: '✓ Consistent' };
}

function rootEpoch(r: string | null | undefined): string | undefined {
  const epoch = r?.split('/')[0];
  return epoch && /^\d{1,20}$/.test(epoch) ? epoch : undefined;
}

function root(r: string | null | undefined): Child {
  if (!r) return null;
  const [epoch, digest] = r.split('/');
  return h('span', {}, `epoch ${epoch ?? '?'} `, h('code', { title: digest }, shortKey(digest ?? '')));
}

function cosigners(m: CardModel): HTMLElement {
  const c = m.cosig;
  const title = c && 'result' in c ? `Co-signers of epoch ${c.epoch}` : 'Co-signers';
  const body: Child[] = [];
  if (!c) body.push(h('p', { class: 'muted' }, 'No epoch signed yet.'));
  else if ('error' in c) body.push(h('p', { class: 'error', role: 'alert' }, `✗ ${c.error}`));
  else {
    const q = c.result.quorum;
    const claimed = c.serverQuorum === undefined ? '' : ` (node claims: ${c.serverQuorum ? 'reached' : 'not reached'})`;
    // Design §4.5: no digest of an equivocated epoch counts as co-signed, whatever its signatures.
    const equivocated = c.serverEquivocated === true || m.proofs.some((p) => p.json.epoch === c.epoch);
    const valid = q
      ? `${q.signers} valid signature${q.signers === 1 ? '' : 's'} on this digest, ${q.threshold} required`
      : 'signatures unchecked';
    if (equivocated)
      body.push(
        h(
          'p',
          { class: 'quorum bad', 'data-quorum': 'equivocated' },
          `⚠ Epoch ${c.epoch} is equivocated: not co-signed (${valid})`,
        ),
      );
    else if (!q)
      body.push(h('p', { class: 'quorum unchecked', 'data-quorum': 'unchecked' }, `? Quorum unchecked${claimed}`));
    else if (q.reached)
      body.push(
        h(
          'p',
          { class: 'quorum ok', 'data-quorum': 'verified' },
          `✓ Quorum verified: ${q.signers} valid signature${q.signers === 1 ? '' : 's'}, ${q.threshold} required`,
        ),
      );
    else
      body.push(
        h(
          'p',
          { class: 'quorum bad', 'data-quorum': 'missing' },
          `✗ No quorum: ${q.signers} valid signature${q.signers === 1 ? '' : 's'}, ${q.threshold} required${claimed}`,
        ),
      );
    if (c.result.bundleProblem) body.push(h('p', { class: 'error', role: 'alert' }, `✗ ${c.result.bundleProblem}`));
    body.push(
      h(
        'ul',
        { class: 'signers' },
        ...c.result.rows.map((r) =>
          h(
            'li',
            { 'data-signer': r.name ?? r.signerKey, 'data-check': r.check.state },
            h(
              'span',
              { class: 'who' },
              r.name ?? 'unknown signer',
              ' ',
              h('code', { title: r.signerKey }, shortKey(r.signerKey)),
            ),
            ' ',
            h('span', { class: 'when' }, time(r.timestamp)),
            ' ',
            checkBadge(r.check),
          ),
        ),
      ),
    );
  }
  return h('section', { class: 'cosigners' }, h('h3', {}, title), ...body);
}

/** One equivocation proof: what it proves (from its verified bytes when checked), its JSON, its check. */
export function proofItem(json: EquivocationJson, result: ProofResult): HTMLElement {
  // The verified kind and signer names come from the proof bytes, not the server's JSON.
  const kind = result.kind ?? json.kind;
  const signers = result.signers ?? json.signers;
  return h(
    'li',
    { 'data-proof-id': json.id, 'data-check': result.check.state, 'data-epoch': String(json.epoch) },
    h(
      'a',
      { href: `/equivocations/${json.id}`, 'data-json': `/equivocations/${json.id}`, title: `proof ${json.id}` },
      `Epoch ${json.epoch}: ${KIND[kind] ?? kind}`,
    ),
    h(
      'span',
      { class: 'detail' },
      ` between ${signers.join(' and ')}; digests `,
      h('code', {}, shortKey(json.first.digest)),
      ' ≠ ',
      h('code', {}, shortKey(json.second.digest)),
    ),
    ' ',
    checkBadge(result.check),
  );
}

function equivocations(m: CardModel): HTMLElement | null {
  if (m.proofs.length === 0) return null;
  const more = m.proofTotal > BigInt(m.proofs.length);
  return h(
    'section',
    { class: 'equivocations' },
    h('h3', {}, `Equivocations (${m.proofTotal})`),
    more
      ? h(
          'p',
          { class: 'muted', 'data-field': 'proofs-shown' },
          `The newest ${m.proofs.length} of ${m.proofTotal}; `,
          h('a', { href: '#history', 'data-history-ns': m.info.name }, 'page through all of them'),
          '.',
        )
      : null,
    h('ul', {}, ...m.proofs.map(({ json, result }) => proofItem(json, result))),
  );
}

function alerts(m: CardModel): HTMLElement | null {
  const list = m.alerts.filter((a) => a.type !== 'equivocation');
  if (list.length === 0) return null;
  return h(
    'section',
    { class: 'alerts' },
    h('h3', {}, 'Recent alerts (reported by the node)'),
    h(
      'ul',
      {},
      ...list.map((a) =>
        h(
          'li',
          { 'data-alert': a.type },
          '⚠ ',
          h('strong', {}, a.type),
          a.epoch === undefined ? '' : ` epoch ${a.epoch}`,
          `: ${a.reason} `,
          time(a.timestamp),
        ),
      ),
    ),
  );
}

export function renderCard(card: HTMLElement, m: CardModel): void {
  const { state, label } = cardState(m);
  const ls = m.info.last_signed;
  const headingId = `ns-${m.info.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  card.dataset.state = state;
  card.setAttribute('aria-labelledby', headingId);
  const eq = m.info.equivocated_epochs;
  const base = `/namespaces/${encodeURIComponent(m.info.name)}`;
  const format = formatView(m.info);
  if (format.id === undefined) delete card.dataset.format;
  else card.dataset.format = format.id;
  card.replaceChildren(
    h(
      'header',
      {},
      h('h2', { id: headingId }, m.info.name),
      h('span', { class: 'badge', 'data-field': 'state' }, label),
    ),
    h(
      'p',
      { class: 'card-links' },
      h('a', { href: '#history', 'data-history-ns': m.info.name }, '▦ Matrix, lag and history'),
      ' · ',
      jsonLink(base, '{ } namespace JSON'),
    ),
    h(
      'dl',
      {},
      ...jsonRow('Status', 'status', base, m.info.status),
      ...row('Log format', 'log-format', format.label),
      ...row(
        'Network',
        'network',
        m.info.network_status ?? null,
        eq && eq > 0n ? ` (${eq} epoch${eq === 1n ? '' : 's'})` : null,
      ),
      ...jsonRow(
        'Last signed epoch',
        'last-signed-epoch',
        ls ? `${base}/audits/${ls.epoch}` : undefined,
        ls ? String(ls.epoch) : null,
      ),
      ...row('Digest', 'last-signed-digest', ls ? h('code', { class: 'digest' }, ls.digest) : null),
      ...row('Signed at', 'last-signed-time', ls ? time(ls.timestamp) : null),
      ...jsonRow(
        'Last verified epoch',
        'last-verified-epoch',
        m.lastVerified ? `${base}/last-verified-epoch` : undefined,
        m.info.last_verified_epoch !== undefined ? String(m.info.last_verified_epoch) : null,
        m.info.last_verified_epoch !== undefined
          ? h(
              'span',
              { class: 'muted', 'data-field': 'verified-proof' },
              ` (${proofOf(format, m.info.last_verified_epoch)} checked by the node`,
              ...(m.lastVerified?.timestamp !== undefined ? [' at ', time(m.lastVerified.timestamp)] : []),
              ')',
            )
          : null,
      ),
      // Only a format that counts entries has this row: no zeros standing in for a missing fact.
      ...(format.entries === undefined
        ? []
        : row(
            'Last verified entries',
            'verified-entries',
            format.entries === null ? null : `${format.entries.text} (epoch ${format.entries.epoch})`,
          )),
      ...jsonRow(
        'Root',
        'root',
        rootEpoch(m.info.root) === undefined ? undefined : `${base}/audits/${rootEpoch(m.info.root)}`,
        root(m.info.root),
      ),
      ...(m.info.signing_halted ? row('Signing', 'signing-halted', `⏹ halted: ${m.info.signing_halted}`) : []),
    ),
    cosigners(m),
    equivocations(m) ?? '',
    alerts(m) ?? '',
    ...m.errors.map((e) => h('p', { class: 'error', role: 'alert' }, `✗ ${e}`)),
  );
}
