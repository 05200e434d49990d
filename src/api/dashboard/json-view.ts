// "Full JSON one click away": every value on the page that the API serves links to its endpoint;
// a click shows the node's JSON in a dialog (pretty-printed, integers exact through util/json.ts),
// and the link still opens the raw response in a new tab with a modified click or without script.
import { h } from './dom.js';
import { errorText } from './format.js';
import { parseJson, stringifyJson } from '../../util/json.js';

export function jsonLink(path: string, label = '{ } JSON'): HTMLAnchorElement {
  return h('a', { class: 'json', href: path, 'data-json': path, title: `the node’s JSON: ${path}` }, label);
}

async function show(dialog: HTMLDialogElement, path: string): Promise<void> {
  const pre = h('pre', { class: 'json-body', tabindex: '0' }, 'Loading…');
  dialog.replaceChildren(
    h(
      'header',
      {},
      h('code', {}, path),
      h('a', { href: path, target: '_blank', rel: 'noopener' }, 'open raw'),
      h('button', { type: 'button', value: 'close', 'data-close': '' }, 'Close'),
    ),
    pre,
  );
  if (!dialog.open) dialog.showModal();
  try {
    const res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
    const text = await res.text();
    let body: string;
    try {
      body = stringifyJson(parseJson(text), 2);
    } catch (err) {
      console.warn(`${path}: not JSON`, err);
      body = text;
    }
    pre.textContent = res.ok ? body : `${res.status} ${res.statusText}\n${body}`;
  } catch (err) {
    console.error(`GET ${path}`, err);
    pre.textContent = `could not load ${path}: ${errorText(err)}`;
  }
}

/** One listener for the whole page: links inserted later work too. */
export function installJsonViewer(dialog: HTMLDialogElement): void {
  document.addEventListener('click', (e) => {
    const target = e.target instanceof Element ? e.target : null;
    if (target?.closest('[data-close]') && dialog.contains(target)) {
      dialog.close();
      return;
    }
    const a = target?.closest('a[data-json]');
    if (!(a instanceof HTMLAnchorElement) || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    void show(dialog, a.dataset.json ?? a.getAttribute('href') ?? '/');
  });
  // A click on the backdrop (outside the dialog's box) closes it.
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close();
  });
}
