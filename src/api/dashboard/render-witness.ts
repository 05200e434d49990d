// The "Witnessed logs" section: one card per RFC 6962 log the node witnesses, in the namespace cards'
// visual language (header with a badge, a definition list, the JSON one click away), from the pure
// view model of witness-view.ts. The counts are the node's report (labelled so): the page does not
// re-check checkpoint cosignatures.
import { h, type Child } from './dom.js';
import { formatTime, isoTime } from './format.js';
import { jsonLink } from './json-view.js';
import type { WitnessedLogView } from './witness-view.js';

const LOGS_JSON = '/witness/logs';

function row(label: string, field: string, ...value: Child[]): Child[] {
  const shown = value.some((v) => v !== null && v !== undefined && v !== false);
  return [h('dt', {}, label), h('dd', {}, h('span', { 'data-field': field }, ...(shown ? value : ['—'])))];
}

export function renderWitnessedLog(v: WitnessedLogView): HTMLElement {
  const headingId = `log-${v.namespace.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const c = v.cosigned;
  return h(
    'article',
    {
      class: 'card',
      'data-witnessed-log': v.namespace,
      'data-state': v.state,
      'data-format': v.formatId,
      'aria-labelledby': headingId,
    },
    h(
      'header',
      {},
      h('h2', { id: headingId }, v.namespace),
      h('span', { class: 'badge', 'data-field': 'state' }, v.badge),
    ),
    h(
      'p',
      { class: 'card-links' },
      v.checkpointPath
        ? h('a', { href: v.checkpointPath, 'data-field': 'checkpoint-link' }, '✎ Cosigned checkpoint note')
        : null,
      v.checkpointPath ? ' · ' : null,
      jsonLink(LOGS_JSON, '{ } witnessed logs JSON'),
    ),
    h(
      'dl',
      {},
      ...row('Log format', 'log-format', v.label),
      ...row('Origin', 'origin', h('code', {}, v.origin)),
      ...row('Cosigned size', 'cosigned-size', c ? c.size : null),
      ...row('Root hash', 'root-hash', c ? h('code', { class: 'digest' }, c.rootHash) : null),
      ...row(
        'Recorded at',
        'recorded-at',
        c ? h('time', { datetime: isoTime(c.recordedAt) }, formatTime(c.recordedAt)) : null,
      ),
      ...row('Cosignatures', 'cosignatures', v.cosignatures, h('span', { class: 'muted' }, ' (reported by the node)')),
      ...(v.forks ? row('Equivocations', 'forks', `⚠ ${v.forks}`) : []),
    ),
  );
}

/** The section's content; the caller hides the section when the node witnesses no log. */
export function renderWitnessedLogs(views: readonly WitnessedLogView[]): HTMLElement[] {
  return views.map(renderWitnessedLog);
}
