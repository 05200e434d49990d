// The peers and mesh panel, from GET /network/status (the node's own account of its libp2p host):
// each roster auditor's peer, whether it is connected, in the gossip mesh of which topics, its
// score; and per topic the mesh size and the validation verdicts. Nothing here is signed, so it is
// labelled as the node's report.
import type { NetworkStatusJson } from './api.js';
import { h } from './dom.js';
import { shortKey } from './format.js';
import { jsonLink } from './json-view.js';

export interface RosterPeer {
  name: string;
  peerId?: string;
}

type Num = bigint | number;
const sum = (r: Record<string, Num> | undefined): bigint =>
  Object.values(r ?? {}).reduce<bigint>((a, v) => a + (typeof v === 'bigint' ? v : BigInt(Math.trunc(v))), 0n);
const score = (v: Num | undefined): string =>
  v === undefined ? '—' : typeof v === 'bigint' ? String(v) : v.toFixed(2);

/** The short, readable part of a gossip topic: its last path segments. */
function topicLabel(topic: string): string {
  const parts = topic.split('/').filter(Boolean);
  return parts.slice(-3).join('/') || topic;
}

export function renderNetwork(s: NetworkStatusJson, roster: RosterPeer[]): HTMLElement[] {
  if (!s.enabled)
    return [
      h('p', { class: 'muted', 'data-field': 'network-off' }, 'This node runs without a roster: no peers, no gossip.'),
      jsonLink('/network/status', '{ } network status JSON'),
    ];
  const self = s.peerId ?? '';
  const connected = new Set(s.connectedPeers ?? []);
  const blocked = new Set(s.blockedPeers ?? []);
  const topics = Object.entries(s.topics ?? {});
  const inMesh = (peer: string): number => topics.filter(([, t]) => t.meshPeers.includes(peer)).length;
  const peers: { name: string | null; peerId: string | undefined }[] = roster
    .filter((r) => r.peerId !== self)
    .map((r) => ({ name: r.name, peerId: r.peerId }));
  const known = new Set(peers.map((p) => p.peerId));
  for (const p of connected) if (!known.has(p)) peers.push({ name: null, peerId: p });
  const expected = peers.filter((p) => p.name !== null && p.peerId !== undefined).length;
  const up = peers.filter((p) => p.name !== null && p.peerId !== undefined && connected.has(p.peerId)).length;
  const rows = peers.map((p) => {
    const id = p.peerId;
    const state =
      id === undefined ? 'no-peer-id' : blocked.has(id) ? 'blocked' : connected.has(id) ? 'connected' : 'disconnected';
    const words = {
      'no-peer-id': '— not a libp2p peer (Plexi auditor)',
      blocked: '⛔ blocked by the operator',
      connected: '✓ connected',
      disconnected: '✗ not connected',
    }[state];
    // Roster peers are gossipsub direct peers: every message goes to them, never via the mesh
    // (docs/p2p.md), so for them "subscribed" is what matters; other peers (monitors) use the mesh.
    const subscribed = id === undefined ? 0 : topics.filter(([, t]) => t.topicPeers.includes(id)).length;
    const mesh =
      id === undefined
        ? '—'
        : `${subscribed} of ${topics.length} topic${topics.length === 1 ? '' : 's'} · ` +
          `${p.name !== null ? 'direct peer' : `mesh in ${inMesh(id)}`}`;
    return h(
      'tr',
      { 'data-peer': id ?? '', 'data-auditor': p.name ?? undefined, 'data-state': state },
      h('th', { scope: 'row' }, p.name ?? h('span', { class: 'muted' }, 'not in roster')),
      h('td', {}, id ? h('code', { title: id }, shortKey(id)) : '—'),
      h('td', { class: state === 'connected' ? 'ok' : state === 'no-peer-id' ? 'muted' : 'bad' }, words),
      h('td', { 'data-field': 'mesh' }, mesh),
      h('td', { class: 'num' }, score(id ? s.peerScores?.[id] : undefined)),
    );
  });
  const topicRows = topics.map(([name, t]) =>
    h(
      'tr',
      { 'data-topic': name },
      h('th', { scope: 'row', title: name }, h('code', {}, topicLabel(name))),
      h('td', { class: 'num', 'data-field': 'mesh-size' }, String(t.meshPeers.length)),
      h('td', { class: 'num' }, String(t.topicPeers.length)),
      h('td', { class: 'num' }, String(sum(t.validation?.accept))),
      h('td', { class: 'num' }, String(sum(t.validation?.ignore))),
      h('td', { class: `num${sum(t.validation?.reject) > 0n ? ' bad' : ''}` }, String(sum(t.validation?.reject))),
    ),
  );
  return [
    h(
      'p',
      { class: up === expected ? 'summary ok' : 'summary warn', 'data-field': 'peer-summary' },
      `${up === expected ? '✓' : '⚠'} Connected to ${up} of ${expected} roster peer${expected === 1 ? '' : 's'}. ` +
        `This node: `,
      h('code', { title: self }, shortKey(self)),
      s.running === false ? ' (libp2p host stopped)' : '',
      ' ',
      jsonLink('/network/status', '{ } JSON'),
    ),
    h(
      'div',
      { class: 'scroll', role: 'region', 'aria-label': 'peers', tabindex: '0' },
      h(
        'table',
        { class: 'peers' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Auditor', 'Peer id', 'Connection', 'Gossips on', 'Score'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h('tbody', {}, ...rows),
      ),
    ),
    h(
      'p',
      { class: 'legend muted' },
      'Roster auditors are gossipsub direct peers: every message is sent to them, so they are never in the mesh, ' +
        'which holds the other peers (monitors). Scores are gossipsub’s peer scores; rejections count invalid ' +
        'messages.',
    ),
    h(
      'div',
      { class: 'scroll', role: 'region', 'aria-label': 'gossip topics', tabindex: '0' },
      h(
        'table',
        { class: 'topics' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Topic', 'Mesh', 'Subscribers', 'Accepted', 'Ignored', 'Rejected'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h('tbody', {}, ...topicRows),
      ),
    ),
  ];
}
