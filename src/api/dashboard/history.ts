// The history panel of one namespace (chosen in its selector or from a card): a page of epochs
// (GET /namespaces/{ns}/history) shown as the auditor × epoch matrix, the signing-lag timeline and
// the epoch table, and the namespace's equivocation proofs page by page (GET
// /namespaces/{ns}/equivocations). Every signature and proof on a page is verified here first.
// On the newest pages it follows the event stream; on older pages it stays put.
import { enc, equivocationPageSchema, getJson, historySchema } from './api.js';
import { byId, h } from './dom.js';
import { errorText } from './format.js';
import type { FormatView } from './format-view.js';
import { buildMatrix, type MatrixRow } from './matrix.js';
import { pager, renderEpochTable, renderLag, renderMatrix, renderProofPage } from './render-history.js';
import { checkEpochView, checkProof, type ProofResult, type VerifierStatus } from './verify.js';
import { fromHex } from '../../util/bytes.js';

export const EPOCH_PAGE_SIZES = [10, 20, 50, 100] as const;
export const PROOF_PAGE = 20;
const GONE_RETRY_MS = 1_500;

export class HistoryPanel {
  #ns: string | undefined;
  /** Each namespace's log format, as its card shows it (format-view.ts). */
  readonly #formats = new Map<string, FormatView>();
  #pageSize = 20;
  /** `before` of each page after the newest, in the order they were opened. */
  readonly #epochPages: bigint[] = [];
  #epochNext: bigint | null = null;
  readonly #proofPages: string[] = [];
  #proofNext: string | null = null;
  #busy = false;
  #again = false;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly verifier: Promise<VerifierStatus>) {
    byId<HTMLSelectElement>('history-ns').addEventListener('change', (e) =>
      this.select((e.target as HTMLSelectElement).value),
    );
    const size = byId<HTMLSelectElement>('history-size');
    size.replaceChildren(
      ...EPOCH_PAGE_SIZES.map((n) =>
        h('option', { value: String(n), selected: n === this.#pageSize ? '' : undefined }, `${n} epochs`),
      ),
    );
    size.addEventListener('change', () => {
      this.#pageSize = Number(size.value);
      this.#epochPages.length = 0;
      void this.load();
    });
  }

  get namespace(): string | undefined {
    return this.#ns;
  }

  /** Keeps the selector in step with the node's namespaces; the first is shown until one is chosen. */
  setNamespaces(list: { name: string; format: FormatView }[]): void {
    const names = list.map((n) => n.name);
    this.#formats.clear();
    for (const n of list) this.#formats.set(n.name, n.format);
    const select = byId<HTMLSelectElement>('history-ns');
    select.replaceChildren(
      ...list.map((n) => h('option', { value: n.name, 'data-format': n.format.id }, `${n.name} · ${n.format.label}`)),
    );
    byId('history').hidden = names.length === 0;
    if (this.#ns !== undefined && names.includes(this.#ns)) select.value = this.#ns;
    else if (names[0] !== undefined) this.select(names[0]);
  }

  select(ns: string): void {
    byId<HTMLSelectElement>('history-ns').value = ns;
    if (ns === this.#ns) return;
    this.#ns = ns;
    this.#epochPages.length = 0;
    this.#proofPages.length = 0;
    void this.load();
  }

  /** Something happened in `ns`: reload if it is shown and on its newest pages. */
  onChange(ns: string): void {
    if (ns !== this.#ns) return;
    if (this.#epochPages.length === 0 || this.#proofPages.length === 0) void this.load();
  }

  /** Loads the shown pages; a call while loading asks for exactly one more load afterwards. */
  async load(): Promise<void> {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    try {
      do {
        this.#again = false;
        const ns = this.#ns;
        if (ns === undefined) return;
        await Promise.all([this.#loadEpochs(ns), this.#loadProofs(ns)]);
      } while (this.#again);
    } finally {
      this.#busy = false;
      byId('history').dataset.loaded = 'true';
    }
  }

  async #loadEpochs(ns: string): Promise<void> {
    const before = this.#epochPages[this.#epochPages.length - 1];
    const box = byId('history-epochs');
    box.dataset.state = 'loading';
    try {
      const page = await getJson(
        `/namespaces/${enc(ns)}/history?limit=${this.#pageSize}${before === undefined ? '' : `&before=${before}`}`,
        historySchema,
      );
      if (page.namespace !== ns) throw new Error(`the node answered for namespace “${page.namespace}”`);
      const v = await this.verifier;
      const checked = await Promise.all(page.epochs.map((e) => checkEpochView(v, ns, e)));
      const rosterRows: MatrixRow[] = v.ready
        ? v.roster.auditors.map((a) => ({ key: a.name, name: a.name, inRoster: true }))
        : [];
      const rowOf = (key: string): string | undefined => {
        if (!v.ready) return undefined;
        try {
          return v.roster.signerName(ns, fromHex(key, 32));
        } catch (err) {
          console.warn(`malformed signer key ${key}`, err);
          return undefined;
        }
      };
      this.#reloadSoon(checked.flatMap((e) => e.proofs.map((p) => p.result)));
      const matrix = buildMatrix(rosterRows, rowOf, checked);
      if (ns !== this.#ns) return; // another namespace was chosen meanwhile
      this.#epochNext = page.next_before;
      const first = page.epochs[page.epochs.length - 1]?.epoch;
      const last = page.epochs[0]?.epoch;
      const label = first === undefined ? 'no epochs' : `epochs ${first}–${last}`;
      const nav = pager(
        'epochs',
        { newer: this.#epochPages.length > 0, older: page.next_before !== null, label },
        (dir) => this.#goEpochs(dir),
      );
      box.replaceChildren(
        nav,
        h('h3', {}, 'Auditor × epoch'),
        renderMatrix(ns, matrix, this.#formats.get(ns)),
        h('h3', {}, 'Signing lag per auditor'),
        renderLag(matrix),
        h('h3', {}, 'Epochs'),
        renderEpochTable(ns, checked, matrix),
      );
      box.dataset.state = 'ready';
      box.dataset.namespace = ns;
    } catch (err) {
      console.error(`history of ${ns}`, err);
      box.dataset.state = 'error';
      box.replaceChildren(
        h('p', { class: 'error', role: 'alert' }, `✗ could not load the epoch history of ${ns}: ${errorText(err)}`),
      );
    }
  }

  /** A listed proof was replaced before it was fetched (verify.ts): the list is reloaded shortly. */
  #reloadSoon(results: ProofResult[]): void {
    if (this.#retry !== undefined || !results.some((r) => r.gone)) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.load();
    }, GONE_RETRY_MS);
  }

  #goEpochs(dir: 'newest' | 'newer' | 'older'): void {
    if (dir === 'newest') this.#epochPages.length = 0;
    else if (dir === 'newer') this.#epochPages.pop();
    else if (this.#epochNext !== null) this.#epochPages.push(this.#epochNext);
    void this.load();
  }

  async #loadProofs(ns: string): Promise<void> {
    const before = this.#proofPages[this.#proofPages.length - 1];
    const box = byId('history-proofs');
    box.dataset.state = 'loading';
    try {
      const page = await getJson(
        `/namespaces/${enc(ns)}/equivocations?limit=${PROOF_PAGE}` +
          (before === undefined ? '' : `&before=${enc(before)}`),
        equivocationPageSchema,
      );
      const v = await this.verifier;
      const items = await Promise.all(
        page.equivocations
          .filter((e) => e.namespace === ns)
          .map(async (json) => ({ json, result: await checkProof(v, json.id, { namespace: ns, epoch: json.epoch }) })),
      );
      this.#reloadSoon(items.map((i) => i.result));
      if (ns !== this.#ns) return;
      this.#proofNext = page.next;
      const offset = this.#proofPages.length * PROOF_PAGE;
      const nav = pager(
        'proofs',
        { newer: this.#proofPages.length > 0, older: page.next !== null, label: `page ${this.#proofPages.length + 1}` },
        (dir) => this.#goProofs(dir),
      );
      box.replaceChildren(
        h('h3', {}, `Equivocation proofs (${page.total})`),
        ...renderProofPage({ items, total: page.total, offset }),
        page.total > BigInt(items.length) || this.#proofPages.length > 0 ? nav : '',
      );
      box.dataset.state = 'ready';
    } catch (err) {
      console.error(`equivocations of ${ns}`, err);
      box.dataset.state = 'error';
      box.replaceChildren(
        h('p', { class: 'error', role: 'alert' }, `✗ could not load the equivocations of ${ns}: ${errorText(err)}`),
      );
    }
  }

  #goProofs(dir: 'newest' | 'newer' | 'older'): void {
    if (dir === 'newest') this.#proofPages.length = 0;
    else if (dir === 'newer') this.#proofPages.pop();
    else if (this.#proofNext !== null) this.#proofPages.push(this.#proofNext);
    void this.load();
  }
}
