// The dashboard's entry point (bundled by scripts/build-dashboard.mjs). Loads the namespaces, the
// roster and everything shown on each card, verifies it in the browser (verify.ts), and keeps it
// current from the node's event stream (GET /events) without reloading.
import {
  ApiError,
  alertsSchema,
  enc,
  equivocationPageSchema,
  getJson,
  cosignaturesSchema,
  checkpointEquivocationsSchema,
  lastVerifiedSchema,
  namespaceInfoSchema,
  namespacesSchema,
  networkStatusSchema,
  witnessedLogsSchema,
  type NamespaceInfo,
  type WitnessedLogJson,
} from './api.js';
import { byId, h } from './dom.js';
import { errorText, formatTime } from './format.js';
import { formatView } from './format-view.js';
import { HistoryPanel } from './history.js';
import { installJsonViewer } from './json-view.js';
import { renderCard, type CardModel } from './render.js';
import { renderNetwork } from './render-network.js';
import { renderWitnessedLogs } from './render-witness.js';
import { checkCosignatures, checkProof, loadVerifier, type VerifierStatus } from './verify.js';
import { witnessedLogView } from './witness-view.js';
import { parseJson } from '../../util/json.js';

const EVENT_TYPES = [
  'epoch-signed',
  'quorum-reached',
  'equivocation',
  'validation-failed',
  'validation-succeeded',
  'log-stalled',
  'quorum-missed',
  'auditor-silent',
  'signing-halted',
] as const;
const ALERTS = new Set<string>([
  'equivocation',
  'validation-failed',
  'log-stalled',
  'quorum-missed',
  'auditor-silent',
  'signing-halted',
]);
// Observations from other auditors that arrive after the quorum raise no event on this node:
// a slow background refresh picks them up.
const BACKGROUND_REFRESH_MS = 30_000;
const FEED_LENGTH = 15;
// Co-signatures keep arriving after an epoch is signed or reaches its quorum: look again shortly.
const FOLLOW_UP_MS = [2_000, 6_000];
const HEX32 = /^[0-9a-fA-F]{64}$/;
// The card lists the newest few proofs; the history panel pages through all of them.
const CARD_PROOFS = 5;
const NETWORK_REFRESH_MS = 10_000;
// A witnessed log's card counts at most this many checkpoint equivocation proofs (GET /checkpoints/equivocations).
const WITNESS_PROOFS_LIMIT = 100;

function showError(message: string, err?: unknown): void {
  console.error(message, err);
  const list = byId('errors');
  list.append(
    h('p', { class: 'error', role: 'alert' }, `✗ ${message}${err === undefined ? '' : `: ${errorText(err)}`}`),
  );
  while (list.childElementCount > 5) list.firstElementChild?.remove();
}

/** Runs a named part of a card's data load; its failure goes on the card, not over the whole page. */
async function part<T>(errors: string[], what: string, f: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await f();
  } catch (err) {
    console.error(what, err);
    errors.push(`${what}: ${errorText(err)}`);
    return fallback;
  }
}

class Dashboard {
  readonly #cards = new Map<string, HTMLElement>();
  // One load per namespace at a time; events arriving meanwhile ask for exactly one more.
  readonly #loading = new Map<string, { again: boolean }>();
  #verifier: Promise<VerifierStatus>;
  #connected = false;
  readonly history: HistoryPanel;

  constructor() {
    this.#verifier = loadVerifier().then(
      (v) => {
        this.#showVerifier(v);
        return v;
      },
      (err: unknown) => {
        const v: VerifierStatus = { ready: false, reason: `could not load the roster: ${errorText(err)}` };
        showError('could not load the roster', err);
        this.#showVerifier(v);
        return v;
      },
    );
    this.history = new HistoryPanel(this.#verifier);
  }

  #showVerifier(v: VerifierStatus): void {
    const el = byId('verifier');
    el.dataset.state = v.ready ? 'ready' : 'unchecked';
    el.textContent = v.ready
      ? `✓ Signatures and proofs are checked in this browser against the roster of network “${v.roster.network}” ` +
        `(threshold ${v.roster.threshold} of ${v.roster.auditors.length} auditors).`
      : `? Nothing can be checked (${v.reason}): everything below is shown as unchecked.`;
  }

  async refreshAll(): Promise<void> {
    let list: NamespaceInfo[];
    try {
      list = (await getJson('/namespaces', namespacesSchema)).namespaces;
    } catch (err) {
      showError('could not load the namespaces', err);
      return;
    }
    const main = byId('cards');
    const names = new Set(list.map((n) => n.name));
    for (const [name, card] of this.#cards) {
      if (names.has(name)) continue;
      card.remove();
      this.#cards.delete(name);
    }
    for (const info of list) {
      if (this.#cards.has(info.name)) continue;
      const card = h(
        'article',
        { class: 'card', 'data-namespace': info.name },
        h('h2', {}, info.name),
        h('p', { class: 'muted' }, 'Loading…'),
      );
      this.#cards.set(info.name, card);
      main.append(card);
    }
    byId('empty').hidden = list.length > 0;
    this.history.setNamespaces(list.map((n) => ({ name: n.name, format: formatView(n) })));
    await Promise.all([
      ...list.map((info) => this.refresh(info.name, info)),
      this.refreshNetwork(),
      this.refreshWitnessed(),
    ]);
    document.body.dataset.loaded = 'true';
  }

  async refresh(ns: string, info?: NamespaceInfo): Promise<void> {
    const pending = this.#loading.get(ns);
    if (pending) {
      pending.again = true;
      return;
    }
    const state = { again: false };
    this.#loading.set(ns, state);
    try {
      let next = info;
      do {
        state.again = false;
        await this.#load(ns, next);
        next = undefined;
      } while (state.again);
    } finally {
      this.#loading.delete(ns);
    }
  }

  async #load(ns: string, known?: NamespaceInfo): Promise<void> {
    const card = this.#cards.get(ns);
    if (!card) return void (await this.refreshAll());
    const errors: string[] = [];
    let info: NamespaceInfo;
    try {
      info = known ?? (await getJson(`/namespaces/${enc(ns)}`, namespaceInfoSchema));
    } catch (err) {
      showError(`could not load namespace ${ns}`, err);
      return;
    }
    const verifier = await this.#verifier;
    const ls = info.last_signed;
    const [lastVerified, cosig, proofs, alerts] = await Promise.all([
      info.last_verified_epoch === undefined
        ? null
        : part(
            errors,
            'last verified epoch',
            async () => {
              try {
                return await getJson(`/namespaces/${enc(ns)}/last-verified-epoch`, lastVerifiedSchema);
              } catch (err) {
                if (err instanceof ApiError && err.status === 404) return null;
                throw err;
              }
            },
            null,
          ),
      this.#cosignatures(ns, ls, verifier),
      part(
        errors,
        'equivocations',
        async () => {
          const page = await getJson(
            `/namespaces/${enc(ns)}/equivocations?limit=${CARD_PROOFS}`,
            equivocationPageSchema,
          );
          const list = page.equivocations.filter((e) => e.namespace === ns);
          return {
            total: page.total,
            items: await Promise.all(
              list.map(async (json) => ({
                json,
                result: await checkProof(verifier, json.id, { namespace: ns, epoch: json.epoch }),
              })),
            ),
          };
        },
        { total: 0n, items: [] },
      ),
      part(
        errors,
        'alerts',
        async () => (await getJson(`/alerts?namespace=${enc(ns)}&limit=5`, alertsSchema)).alerts,
        [],
      ),
    ]);
    // A listed proof replaced by an equivalent one raises no event: look again shortly.
    if (proofs.items.some((p) => p.result.gone)) setTimeout(() => void this.refresh(ns), FOLLOW_UP_MS[0]);
    const model: CardModel = {
      info,
      lastVerified,
      cosig,
      proofs: proofs.items,
      proofTotal: proofs.total,
      alerts,
      errors,
    };
    renderCard(card, model);
    byId('updated').textContent = `Updated ${formatTime(BigInt(Date.now()))}`;
  }

  async #cosignatures(
    ns: string,
    ls: NamespaceInfo['last_signed'],
    verifier: VerifierStatus,
  ): Promise<CardModel['cosig']> {
    if (!ls) return null;
    try {
      if (!HEX32.test(ls.digest)) throw new Error('the node reports a malformed digest');
      const json = await getJson(
        `/namespaces/${enc(ns)}/epochs/${ls.epoch}/cosignatures?digest=${ls.digest}`,
        cosignaturesSchema,
      );
      const result = await checkCosignatures(verifier, json, { namespace: ns, epoch: ls.epoch, digest: ls.digest });
      return {
        epoch: ls.epoch,
        digest: ls.digest,
        serverQuorum: json.quorum,
        serverEquivocated: json.equivocated,
        result,
      };
    } catch (err) {
      console.error(`co-signatures of ${ns} epoch ${ls.epoch}`, err);
      return { error: `co-signatures of epoch ${ls.epoch}: ${errorText(err)}` };
    }
  }

  /**
   * The witnessed logs (GET /witness/logs, docs/log-formats.md "What the dashboard shows"). A node that
   * witnesses none, or an older node without the route (404), has no section and no error.
   */
  async refreshWitnessed(): Promise<void> {
    const section = byId('witnessed');
    let logs: WitnessedLogJson[];
    try {
      logs = (await getJson('/witness/logs', witnessedLogsSchema)).logs;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) logs = [];
      else {
        showError('could not load the witnessed logs', err);
        return;
      }
    }
    const views = await Promise.all(logs.map(async (l) => witnessedLogView(l, await this.#checkpointProofs(l.origin))));
    byId('witnessed-cards').replaceChildren(...renderWitnessedLogs(views));
    section.hidden = views.length === 0;
  }

  /** How many checkpoint equivocation proofs the node holds for an origin; undefined when it cannot say. */
  async #checkpointProofs(origin: string): Promise<bigint | undefined> {
    try {
      const path = `/checkpoints/equivocations?origin=${enc(origin)}&limit=${WITNESS_PROOFS_LIMIT}`;
      return BigInt((await getJson(path, checkpointEquivocationsSchema)).equivocations.length);
    } catch (err) {
      console.warn(`checkpoint equivocations of ${origin}`, err);
      return undefined;
    }
  }

  /** The peers and mesh panel (the node's report; nothing there is signed). */
  async refreshNetwork(): Promise<void> {
    const box = byId('network-body');
    try {
      const [status, v] = await Promise.all([getJson('/network/status', networkStatusSchema), this.#verifier]);
      const roster = v.ready
        ? v.roster.auditors.map((a) => (a.peerId === undefined ? { name: a.name } : { name: a.name, peerId: a.peerId }))
        : [];
      box.replaceChildren(...renderNetwork(status, roster));
      box.dataset.state = 'ready';
    } catch (err) {
      console.error('network status', err);
      box.dataset.state = 'error';
      box.replaceChildren(
        h('p', { class: 'error', role: 'alert' }, `✗ could not load the network status: ${errorText(err)}`),
      );
    }
  }

  connect(): void {
    const live = byId('live');
    const source = new EventSource('/events');
    source.addEventListener('open', () => {
      live.dataset.state = 'live';
      live.textContent = '● Live';
      // After a drop, EventSource resumes with Last-Event-ID; a full reload also covers a node
      // that lost its event log.
      if (this.#connected) void this.refreshAll();
      this.#connected = true;
    });
    source.addEventListener('error', () => {
      const closed = source.readyState === EventSource.CLOSED;
      live.dataset.state = closed ? 'closed' : 'reconnecting';
      live.textContent = closed ? '✗ Event stream closed: reload the page' : '○ Reconnecting…';
      if (closed) showError('the event stream closed');
    });
    for (const type of EVENT_TYPES) source.addEventListener(type, (e) => this.#onEvent(type, e));
  }

  #onEvent(type: string, e: MessageEvent<string>): void {
    let data: Record<string, unknown>;
    try {
      data = parseJson(e.data) as Record<string, unknown>;
    } catch (err) {
      showError(`unreadable ${type} event`, err);
      return;
    }
    const ns = typeof data.namespace === 'string' ? data.namespace : undefined;
    const epoch = typeof data.epoch === 'bigint' ? ` epoch ${data.epoch}` : '';
    const feed = byId('feed');
    const now = new Date();
    byId('feed-empty').hidden = true;
    feed.prepend(
      h(
        'li',
        { 'data-event': type, class: ALERTS.has(type) ? 'alert' : undefined },
        h('time', { datetime: now.toISOString() }, now.toISOString().slice(11, 19)),
        ` ${ALERTS.has(type) ? '⚠' : '•'} ${type}`,
        ns ? ` · ${ns}` : '',
        epoch,
      ),
    );
    while (feed.childElementCount > FEED_LENGTH) feed.lastElementChild?.remove();
    if (ns && this.#cards.has(ns)) {
      void this.refresh(ns);
      this.history.onChange(ns);
      if (type === 'epoch-signed' || type === 'quorum-reached')
        for (const ms of FOLLOW_UP_MS) setTimeout(() => void this.refresh(ns), ms);
    } else void this.refreshAll();
  }
}

window.addEventListener('error', (e) => showError('page error', e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => showError('unhandled failure', e.reason));

installJsonViewer(byId<HTMLDialogElement>('json-view'));
const dashboard = new Dashboard();
// Card links to the history panel choose their namespace there.
document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[data-history-ns]') : null;
  if (!(a instanceof HTMLAnchorElement) || a.dataset.historyNs === undefined) return;
  e.preventDefault();
  dashboard.history.select(a.dataset.historyNs);
  byId('history').scrollIntoView({ block: 'start' });
});
dashboard.connect();
void dashboard.refreshAll();
setInterval(() => {
  if (document.visibilityState === 'visible') void dashboard.refreshAll();
}, BACKGROUND_REFRESH_MS);
setInterval(() => {
  if (document.visibilityState === 'visible') void dashboard.refreshNetwork();
}, NETWORK_REFRESH_MS);
