// The dashboard in real headless Chromium (issue 6 item 4), against a network of Chorus nodes:
// the page loads with a card per namespace, follows new epochs without reloading, turns a card
// red on a split view with the proof verified in the page, and shows a tampered co-signature as
// failing. Screenshots go to test/artifacts/.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { defaultDashboardDir } from '../../src/api/dashboard-routes.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { CHROMIUM, launchChromium, MultiNamespaceNetwork } from '../support/browser.js';
import { hex32, http } from '../support/http.js';
import { waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';

const NS = 'kt.example';
const IDLE = 'idle.example';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const A = hex32(0x0a);
const B = hex32(0x0b);
const X = hex32(0x21);
const Y = hex32(0x22);

// Its own test, so a machine without Chromium shows a failed test with the fix, not skipped ones.
it('finds Chromium', () => {
  expect(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`).toBe(true);
});

describe('dashboard in headless Chromium', () => {
  const tmp = tempDir();
  const net = new MultiNamespaceNetwork(tmp.dir, NS, [IDLE]);
  const names = ['org1', 'org2', 'org3'];
  const url = (name: string): string => net.url(name);
  const submit = (name: string, epoch: bigint, digest: string, previous?: string) => net.submitTo(NS, name, epoch, digest, previous);
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  const card = (p: Page, ns = NS) => p.locator(`article[data-namespace="${ns}"]`);

  beforeAll(async () => {
    if (!existsSync(join(defaultDashboardDir(), 'index.html'))) throw new Error('dist/dashboard is not built: run npm run build (npm test does it)');
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    // Three node processes (separate OS processes started from dist/, real TCP, gossip).
    await net.setup(3, 2);
    await net.startAll();
    const root = await fetch(url('org1'));
    if (root.status !== 200) throw new Error(`GET / on a node answered ${root.status}: is registerDashboardRoutes(http) wired in src/node/node.ts, and dist/ built?`);
    for (const n of names) expect((await submit(n, 1n, A)).status).toBe(200);
    await waitFor('every co-signature of epoch 1 on org1', async () => {
      const r = await http(`${url('org1')}/namespaces/${NS}/epochs/1/cosignatures`);
      return (r.body.cosignatures as unknown[] | undefined)?.length === 3;
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await net.stopAll();
    tmp.cleanup();
  });

  it('loads with a card per namespace; co-signatures are verified in the page', async () => {
    const res = await page.goto(url('org1'));
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
    await page.waitForSelector('body[data-loaded="true"]');
    const listed = (await http(`${url('org1')}/namespaces`)).body.namespaces as { name: string }[];
    expect(await page.locator('article.card').count()).toBe(listed.length);
    for (const { name } of listed) await expect.poll(() => card(page, name).locator('h2').textContent()).toBe(name);
    await expect.poll(() => page.locator('#verifier').getAttribute('data-state')).toBe('ready');
    await expect.poll(() => card(page).locator('[data-field="last-signed-epoch"]').textContent()).toBe('1');
    expect(await card(page).locator('[data-field="last-signed-digest"]').textContent()).toBe(A);
    await expect.poll(() => card(page).locator('.signers li[data-check="verified"]').count()).toBe(3);
    expect(await card(page).locator('[data-quorum]').getAttribute('data-quorum')).toBe('verified');
    expect(await card(page).getAttribute('data-state')).toBe('ok');
    expect(await card(page, IDLE).locator('.cosigners').textContent()).toContain('No epoch signed yet');
    await expect.poll(() => page.locator('#live').getAttribute('data-state')).toBe('live');
  });

  it('serves the bundle with content types and caching; unknown assets are 404 JSON', async () => {
    const index = await fetch(url('org1'));
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const script = /src="\/dashboard\/(app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${url('org1')}/dashboard/${script}`, { headers: { 'accept-encoding': 'br' } });
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('content-encoding')).toBe('br');
    const again = await fetch(`${url('org1')}/dashboard/${script}`, { headers: { 'if-none-match': js.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
    for (const path of ['/dashboard/nope.js', '/dashboard/index.html', '/dashboard/..%2Fpackage.json']) {
      const r = await http(`${url('org1')}${path}`);
      expect(r.status).toBe(404);
      expect(r.body.error).toBe('not-found');
    }
  });

  it('shows a new epoch without reloading', async () => {
    await page.evaluate(() => Object.assign(window, { chorusNoReload: true }));
    for (const n of names) expect((await submit(n, 2n, B, A)).status).toBe(200);
    await expect.poll(() => card(page).locator('[data-field="last-signed-epoch"]').textContent(), { timeout: 10_000 }).toBe('2');
    expect(await card(page).locator('[data-field="last-signed-digest"]').textContent()).toBe(B);
    await expect.poll(() => card(page).locator('[data-quorum]').getAttribute('data-quorum'), { timeout: 10_000 }).toBe('verified');
    expect(await page.evaluate(() => (window as { chorusNoReload?: boolean }).chorusNoReload)).toBe(true);
    expect(await page.locator('#feed li[data-event="epoch-signed"]').count()).toBeGreaterThan(0);
  });

  it('turns the card red on a split view, with the proof verified in the page', async () => {
    for (const n of ['org1', 'org2']) expect((await submit(n, 3n, X, B)).status).toBe(200);
    expect((await submit('org3', 3n, Y, B)).status).toBe(200);
    await expect.poll(() => card(page).getAttribute('data-state'), { timeout: 20_000 }).toBe('equivocated');
    const proof = card(page).locator('.equivocations li[data-proof-id]');
    await expect.poll(() => proof.getAttribute('data-check'), { timeout: 10_000 }).toBe('verified');
    expect(await proof.textContent()).toContain('split view');
    const id = await proof.getAttribute('data-proof-id');
    expect(await proof.locator('a').getAttribute('href')).toBe(`/equivocations/${id}`);
    expect(await card(page).locator('.badge').textContent()).toContain('Equivocated');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(url('org3'));
    await expect.poll(() => card(phone).locator('.equivocations li').getAttribute('data-check'), { timeout: 10_000 }).toBe('verified');
    // Nothing overflows sideways on a phone.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    await phone.close();
    expect(pageErrors).toEqual([]);
  });

  it('shows a tampered co-signature and a tampered proof as failing', async () => {
    const p = await context.newPage();
    let tampered = '';
    await p.route('**/epochs/*/cosignatures*', async (route) => {
      const res = await route.fetch();
      const body = parseJson(await res.text()) as { cosignatures: { signature: string; name: string }[] };
      const first = body.cosignatures[0] as { signature: string; name: string };
      tampered = first.name;
      first.signature = (first.signature.startsWith('0') ? '1' : '0') + first.signature.slice(1);
      await route.fulfill({ response: res, body: stringifyJson(body) });
    });
    await p.route('**/equivocations/*', async (route) => {
      if (!(route.request().headers().accept ?? '').includes('protobuf')) return route.continue();
      const res = await route.fetch();
      const bytes = Buffer.from(await res.body());
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1; // inside the second signature
      await route.fulfill({ response: res, body: bytes });
    });
    await p.goto(url('org1'));
    const bad = card(p).locator('.signers li[data-check="failing"]');
    await expect.poll(() => bad.count(), { timeout: 10_000 }).toBe(1);
    expect(tampered).not.toBe('');
    expect(await bad.getAttribute('data-signer')).toBe(tampered);
    expect(await bad.textContent()).toContain('signature does not verify');
    // The epoch is equivocated as well: never co-signed, and only one signature on this digest is valid.
    expect(await card(p).locator('[data-quorum]').getAttribute('data-quorum')).toBe('equivocated');
    expect(await card(p).locator('[data-quorum]').textContent()).toContain('1 valid signature on this digest');
    await expect.poll(() => card(p).locator('.equivocations li').getAttribute('data-check')).toBe('failing');
    await p.screenshot({ path: join(ARTIFACTS, 'dashboard-tampered.png'), fullPage: true });
    await p.close();
  });

  it('marks everything unchecked when the node publishes no roster', async () => {
    const p = await context.newPage();
    await p.route('**/roster', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"not-found","message":"no roster"}' }));
    await p.goto(url('org2'));
    await expect.poll(() => p.locator('#verifier').getAttribute('data-state')).toBe('unchecked');
    await expect.poll(() => card(p).locator('.signers li').count()).toBeGreaterThan(0);
    expect(await card(p).locator('.signers li:not([data-check="unchecked"])').count()).toBe(0);
    expect(await card(p).locator('.equivocations li').getAttribute('data-check')).toBe('unchecked');
    // The node's own word that the epoch is equivocated is still shown: a warning needs no proof.
    expect(await card(p).locator('[data-quorum]').textContent()).toContain('signatures unchecked');
    await p.close();
  });
});
