// The dashboard in real headless Chromium (issue 6 item 4, issue 14 §9), against a network of
// Chorus nodes: the page loads with a card per namespace, follows new epochs without reloading,
// turns a card red on a split view with the proof verified in the page, shows the split in the
// auditor × epoch matrix, the signing lag, the epoch history and the peers, opens each field's
// JSON in one click, pages through a long history and every equivocation, and shows a tampered
// co-signature as failing. Screenshots go to test/artifacts/. A node auditing an AKD namespace and
// a test-only toy-format namespace shows each with its own format's words (docs/log-formats.md,
// "What the dashboard shows"); that node also witnesses an RFC 6962 log, shown in its own section.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { writeSyntheticLog } from '../../src/akd-runtime/log-writer.js';
import { defaultDashboardDir } from '../../src/api/dashboard-routes.js';
import {
  checkpointPath,
  ed25519NoteSigner,
  formatAddCheckpointRequest,
  formatCheckpoint,
  leafHash,
  rootOf,
  signNote,
} from '../../src/c2sp/index.js';
import { configFromObject } from '../../src/config/config.js';
import { defaultFormats } from '../../src/formats/registry.js';
import { tlogFormat } from '../../src/formats/tlog/index.js';
import { ChorusNode } from '../../src/node/node.js';
import { initDataDir } from '../../src/operator/init.js';
import { toHex } from '../../src/util/bytes.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { TOY_FORMAT_ID, toyFormat, writeToyLog } from '../support/toy-format/index.js';
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
  expect(
    existsSync(CHROMIUM),
    `Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
  ).toBe(true);
});

describe('dashboard in headless Chromium', () => {
  const tmp = tempDir();
  const net = new MultiNamespaceNetwork(tmp.dir, NS, [IDLE]);
  const names = ['org1', 'org2', 'org3'];
  const url = (name: string): string => net.url(name);
  const submit = (name: string, epoch: bigint, digest: string, previous?: string) =>
    net.submitTo(NS, name, epoch, digest, previous);
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  const card = (p: Page, ns = NS) => p.locator(`article[data-namespace="${ns}"]`);

  beforeAll(async () => {
    if (!existsSync(join(defaultDashboardDir(), 'index.html')))
      throw new Error('dist/dashboard is not built: run npm run build (npm test does it)');
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    // Three node processes (separate OS processes started from dist/, real TCP, gossip).
    await net.setup(3, 2);
    await net.startAll();
    const root = await fetch(url('org1'));
    if (root.status !== 200)
      throw new Error(
        `GET / on a node answered ${root.status}: is registerDashboardRoutes(http) wired in src/node/node.ts, and dist/ built?`,
      );
    for (const n of names) expect((await submit(n, 1n, A)).status).toBe(200);
    await waitFor('every co-signature of epoch 1 on org1', async () => {
      const r = await http(`${url('org1')}/namespaces/${NS}/epochs/1/cosignatures`);
      return (r.body.cosignatures as unknown[] | undefined)?.length === 3;
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // A missing element fails its step with Playwright's message instead of hanging the test.
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      // Chromium logs every 404 itself; the page says what each failure means in its own words
      // (a proof replaced by its smaller-id twin while nodes converge is a warning there).
      if (
        m.type() === 'error' &&
        !m.text().startsWith('Failed to load resource: the server responded with a status of 404')
      )
        pageErrors.push(m.text());
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
    // These nodes witness no tlog log: no "Witnessed logs" section.
    expect(await page.locator('#witnessed').isHidden()).toBe(true);
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
    const again = await fetch(`${url('org1')}/dashboard/${script}`, {
      headers: { 'if-none-match': js.headers.get('etag') ?? '' },
    });
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
    await expect
      .poll(() => card(page).locator('[data-field="last-signed-epoch"]').textContent(), { timeout: 10_000 })
      .toBe('2');
    expect(await card(page).locator('[data-field="last-signed-digest"]').textContent()).toBe(B);
    await expect
      .poll(() => card(page).locator('[data-quorum]').getAttribute('data-quorum'), { timeout: 10_000 })
      .toBe('verified');
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
    await expect
      .poll(() => card(phone).locator('.equivocations li').getAttribute('data-check'), { timeout: 10_000 })
      .toBe('verified');
    // Nothing overflows sideways on a phone.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    await phone.close();
    expect(pageErrors).toEqual([]);
  });

  it('shows the split in the auditor × epoch matrix, the lag timeline, the epoch history and the peers', async () => {
    const panel = page.locator('#history');
    await expect
      .poll(() => page.locator('#history-epochs').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('ready');
    expect(await page.locator('#history-ns').inputValue()).toBe(NS);
    const cell = (auditor: string, epoch: number) =>
      panel.locator(`table.matrix tr[data-auditor="${auditor}"] td[data-epoch="${epoch}"]`);
    // Epoch 3 is the split: org3 alone signed another digest (B); epochs 1 and 2 agree everywhere.
    await expect.poll(() => cell('org3', 3).getAttribute('data-cell'), { timeout: 10_000 }).toBe('differs');
    expect(await cell('org3', 3).textContent()).toBe('B');
    expect(await cell('org3', 3).getAttribute('title')).toContain(Y);
    for (const n of ['org1', 'org2'])
      expect([n, await cell(n, 3).getAttribute('data-cell'), await cell(n, 3).textContent()]).toEqual([
        n,
        'agree',
        'A',
      ]);
    for (const n of names) for (const e of [1, 2]) expect(await cell(n, e).getAttribute('data-cell')).toBe('agree');
    expect(await panel.locator('table.matrix th.epoch.split').count()).toBe(1);
    expect(await panel.locator('table.matrix th.epoch.split').getAttribute('data-epoch')).toBe('3');
    expect(await panel.locator('table.matrix td.flag[data-epoch="3"]').textContent()).toBe('⚠');
    expect(await panel.locator('[data-field="matrix-summary"]').textContent()).toContain(
      '1 of these 3 epochs are equivocated',
    );
    // Lag: one row per auditor, each signed all three epochs, and someone signed every epoch first.
    for (const n of names)
      expect(await panel.locator(`ul.lag li[data-auditor="${n}"]`).getAttribute('data-signed')).toBe('3');
    expect(await panel.locator('ul.lag rect.first').count()).toBeGreaterThanOrEqual(3);
    // The history table: newest first, verdicts from the signatures checked in the page.
    const rows = panel.locator('table.history tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-epoch')))).toEqual(['3', '2', '1']);
    expect(await rows.nth(0).locator('[data-verdict]').getAttribute('data-verdict')).toBe('equivocated');
    expect(await rows.nth(1).locator('[data-verdict]').textContent()).toBe('✓ co-signed 3/2');
    await expect
      .poll(() => rows.nth(0).locator('[data-proof-id]').getAttribute('data-check'), { timeout: 10_000 })
      .toBe('verified');
    await expect
      .poll(() => panel.locator('#history-proofs li[data-proof-id]').getAttribute('data-check'), { timeout: 10_000 })
      .toBe('verified');
    expect(await panel.locator('#history-proofs [data-field="proof-range"]').textContent()).toContain('1–1 of 1');
    // Peers and mesh: org1 sees both other roster auditors connected.
    await expect
      .poll(() => page.locator('#network-body').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('ready');
    for (const n of ['org2', 'org3']) {
      await expect
        .poll(() => page.locator(`table.peers tr[data-auditor="${n}"]`).getAttribute('data-state'), { timeout: 10_000 })
        .toBe('connected');
      expect(await page.locator(`table.peers tr[data-auditor="${n}"]`).getAttribute('data-peer')).toBe(
        net.node(n).peerId,
      );
      await expect
        .poll(() => page.locator(`table.peers tr[data-auditor="${n}"] [data-field="mesh"]`).textContent(), {
          timeout: 10_000,
        })
        .toMatch(/^(\d+) of \1 topics · direct peer$/);
    }
    expect(await page.locator('[data-field="peer-summary"]').textContent()).toContain(
      'Connected to 2 of 2 roster peers',
    );
    expect(await page.locator(`table.topics tr[data-topic*="${NS}"]`).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-history.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('opens the full JSON of each card field in one click', async () => {
    const dialog = page.locator('dialog#json-view');
    const fields: [string, (body: Record<string, unknown>) => void][] = [
      ['status', (b) => expect(b).toMatchObject({ name: NS, status: 'Online' })],
      ['last-signed-epoch', (b) => expect(b).toMatchObject({ namespace: NS, epoch: 3n, digest: X })],
      ['root', (b) => expect(b).toMatchObject({ namespace: NS, epoch: 1n, digest: A })],
    ];
    for (const [field, check] of fields) {
      await card(page).locator(`dd:has([data-field="${field}"]) a.json`).click();
      await expect.poll(() => dialog.locator('pre').textContent()).toMatch(/^\{/);
      expect(await dialog.evaluate((d) => (d as HTMLDialogElement).open)).toBe(true);
      check(parseJson((await dialog.locator('pre').textContent()) ?? '') as Record<string, unknown>);
      if (field === 'last-signed-epoch') await page.screenshot({ path: join(ARTIFACTS, 'dashboard-json.png') });
      await dialog.locator('button[data-close]').click();
      expect(await dialog.evaluate((d) => (d as HTMLDialogElement).open)).toBe(false);
    }
    // An epoch of the matrix opens its epoch view, every signature included.
    await page.locator('#history table.matrix th.epoch[data-epoch="3"] a').click();
    await expect.poll(() => dialog.locator('pre').textContent()).toContain('"equivocated": true');
    await dialog.locator('button[data-close]').click();
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
    // One signature of the newest epoch in the history page is tampered with too.
    let tamperedCell = '';
    await p.route('**/history?*', async (route) => {
      const res = await route.fetch();
      const body = parseJson(await res.text()) as {
        epochs: { epoch: bigint; digests: { signers: { signature: string; name: string }[] }[] }[];
      };
      const sig = body.epochs[0]?.digests[0]?.signers[0];
      if (sig) {
        tamperedCell = `${sig.name}/${body.epochs[0]?.epoch}`;
        sig.signature = (sig.signature.startsWith('0') ? '1' : '0') + sig.signature.slice(1);
      }
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
    await expect.poll(() => card(p).locator('.equivocations li').first().getAttribute('data-check')).toBe('failing');
    // The same tampered bytes fail in the history panel, and the tampered signature shows in the matrix.
    await expect
      .poll(() => p.locator('#history-proofs li[data-proof-id]').first().getAttribute('data-check'), {
        timeout: 10_000,
      })
      .toBe('failing');
    await expect.poll(() => tamperedCell, { timeout: 10_000 }).not.toBe('');
    const [who, epoch] = tamperedCell.split('/');
    const failingCell = p.locator(`#history table.matrix tr[data-auditor="${who}"] td[data-epoch="${epoch}"]`);
    await expect.poll(() => failingCell.getAttribute('data-cell'), { timeout: 10_000 }).toBe('failing');
    expect(await failingCell.textContent()).toBe('✗');
    expect(await failingCell.getAttribute('title')).toContain('signature does not verify');
    // Only that one cell: the other signatures of the page still verify.
    expect(await p.locator('#history table.matrix td[data-cell="failing"]').count()).toBe(1);
    await p.screenshot({ path: join(ARTIFACTS, 'dashboard-tampered.png'), fullPage: true });
    await p.close();
  });

  it('marks everything unchecked when the node publishes no roster', async () => {
    const p = await context.newPage();
    await p.route('**/roster', (route) =>
      route.fulfill({
        status: 404,
        contentType: 'application/json',
        body: '{"error":"not-found","message":"no roster"}',
      }),
    );
    await p.goto(url('org2'));
    await expect.poll(() => p.locator('#verifier').getAttribute('data-state')).toBe('unchecked');
    await expect.poll(() => card(p).locator('.signers li').count()).toBeGreaterThan(0);
    expect(await card(p).locator('.signers li:not([data-check="unchecked"])').count()).toBe(0);
    expect(await card(p).locator('.equivocations li').first().getAttribute('data-check')).toBe('unchecked');
    // The matrix still shows who signed what, every cell marked unchecked.
    await expect
      .poll(() => p.locator('#history table.matrix td.cell.unchecked').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    expect(await p.locator('#history table.matrix td.cell:not(.unchecked):not(.missing)').count()).toBe(0);
    // The node's own word that the epoch is equivocated is still shown: a warning needs no proof.
    expect(await card(p).locator('[data-quorum]').textContent()).toContain('signatures unchecked');
    await p.close();
  });
  it('pages through a long history and every equivocation, newest first', async () => {
    // 27 more epochs, each a split view (org3 keeps being shown its own tree): 28 proofs in all.
    const EPOCHS = 30;
    const x = (e: number) => hex32(0x30 + e);
    const y = (e: number) => hex32(0x80 + e);
    for (let e = 4; e <= EPOCHS; e++) {
      const prevX = e === 4 ? X : x(e - 1);
      const prevY = e === 4 ? Y : y(e - 1);
      const r = await Promise.all([
        submit('org1', BigInt(e), x(e), prevX),
        submit('org2', BigInt(e), x(e), prevX),
        submit('org3', BigInt(e), y(e), prevY),
      ]);
      expect(r.map((q) => q.status)).toEqual([200, 200, 200]);
    }
    await waitFor(
      'all 28 proofs on org1',
      async () => (await http(`${url('org1')}/namespaces/${NS}/equivocations?limit=1`)).body.total === 28n,
      30_000,
    );
    // The page opened at the start followed all of it from the event stream, without reloading.
    await expect
      .poll(() => page.locator('#history table.matrix th.epoch').last().getAttribute('data-epoch'), { timeout: 20_000 })
      .toBe('30');
    expect(await page.evaluate(() => (window as { chorusNoReload?: boolean }).chorusNoReload)).toBe(true);
    const p = await context.newPage();
    await p.goto(url('org1'));
    const panel = p.locator('#history');
    await expect.poll(() => p.locator('#history-epochs').getAttribute('data-state'), { timeout: 20_000 }).toBe('ready');
    // The card lists the newest proofs and says how many there are.
    await expect
      .poll(() => card(p).locator('[data-field="proofs-shown"]').textContent(), { timeout: 10_000 })
      .toContain('newest 5 of 28');
    expect(await card(p).locator('.equivocations h3').textContent()).toBe('Equivocations (28)');
    await p.locator('#history-size').selectOption('10');
    const columns = async () =>
      panel
        .locator('table.matrix th.epoch')
        .evaluateAll((ths) => ths.map((th) => Number(th.getAttribute('data-epoch'))));
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    await expect.poll(columns, { timeout: 15_000 }).toEqual(range(21, 30));
    const epochsNav = panel.locator('nav[data-pager="epochs"]');
    expect(await epochsNav.locator('[data-page="newer"]').isDisabled()).toBe(true);
    // Every column of this page is a split view; org3 is the minority in each.
    expect(await panel.locator('table.matrix th.epoch.split').count()).toBe(10);
    expect(await panel.locator('table.matrix tr[data-auditor="org3"] td[data-cell="differs"]').count()).toBe(10);
    await p.screenshot({ path: join(ARTIFACTS, 'dashboard-history-paged.png'), fullPage: true });
    await epochsNav.locator('[data-page="older"]').click();
    await expect.poll(columns, { timeout: 15_000 }).toEqual(range(11, 20));
    await panel.locator('nav[data-pager="epochs"] [data-page="older"]').click();
    await expect.poll(columns, { timeout: 15_000 }).toEqual(range(1, 10));
    expect(await panel.locator('nav[data-pager="epochs"] [data-page="older"]').isDisabled()).toBe(true);
    expect(await panel.locator('table.history tr[data-epoch="1"] [data-verdict]').getAttribute('data-verdict')).toBe(
      'cosigned',
    );
    await panel.locator('nav[data-pager="epochs"] [data-page="newer"]').click();
    await expect.poll(columns, { timeout: 15_000 }).toEqual(range(11, 20));
    await panel.locator('nav[data-pager="epochs"] [data-page="newest"]').click();
    await expect.poll(columns, { timeout: 15_000 }).toEqual(range(21, 30));

    // Equivocations: 20 per page, all 28 reachable, each verified in the page, none twice.
    const proofs = p.locator('#history-proofs');
    const seen = new Set<string>();
    const collect = async () => {
      await expect
        .poll(() => proofs.locator('li[data-proof-id][data-check="verified"]').count(), { timeout: 20_000 })
        .toBe(await proofs.locator('li[data-proof-id]').count());
      for (const id of await proofs
        .locator('li[data-proof-id]')
        .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-proof-id') ?? '')))
        seen.add(id);
    };
    await expect
      .poll(() => proofs.locator('[data-field="proof-range"]').textContent(), { timeout: 15_000 })
      .toContain('Showing 1–20 of 28');
    const firstEpochs = await proofs
      .locator('li[data-proof-id]')
      .evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-epoch'))));
    expect(firstEpochs).toEqual(range(11, 30).reverse());
    await collect();
    await proofs.locator('nav[data-pager="proofs"] [data-page="older"]').click();
    await expect
      .poll(() => proofs.locator('[data-field="proof-range"]').textContent(), { timeout: 15_000 })
      .toContain('Showing 21–28 of 28');
    await collect();
    expect(seen.size).toBe(28);
    expect(await proofs.locator('nav[data-pager="proofs"] [data-page="older"]').isDisabled()).toBe(true);
    // The card's link chooses the namespace in the panel.
    await card(p, IDLE).locator('a[data-history-ns]').click();
    await expect
      .poll(() => p.locator('#history-epochs').getAttribute('data-namespace'), { timeout: 15_000 })
      .toBe(IDLE);
    expect(await panel.locator('[data-empty="matrix"]').count()).toBe(1);

    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(url('org1'));
    await expect
      .poll(() => phone.locator('#history-epochs').getAttribute('data-state'), { timeout: 20_000 })
      .toBe('ready');
    await expect
      .poll(() => phone.locator('#network-body').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('ready');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(ARTIFACTS, 'dashboard-history-phone.png'), fullPage: true });
    await phone.locator('#history-epochs').screenshot({ path: join(ARTIFACTS, 'dashboard-history-phone-epochs.png') });
    await phone.locator('#network').screenshot({ path: join(ARTIFACTS, 'dashboard-network-phone.png') });
    await phone.close();
    await p.close();
    expect(pageErrors).toEqual([]);
  }, 90_000);
});

describe('dashboard in headless Chromium: each namespace in its own log format', () => {
  const tmp = tempDir();
  const AKD_NS = 'akd.example';
  const TOY_NS = 'toy.example';
  const TLOG_NS = 'tlog.example';
  const TLOG_ORIGIN = 'example.com/dashboard-log';
  const tlogSigner = ed25519NoteSigner(TLOG_ORIGIN, new Uint8Array(32).fill(33));
  const tlogLeaves = Array.from({ length: 5 }, (_, i) => leafHash(new TextEncoder().encode(`leaf ${i}`)));
  const formats = defaultFormats.with(toyFormat);
  let node: ChorusNode | undefined;
  let base = '';
  let browser: Browser;
  let p: Page;
  const errors: string[] = [];
  const card = (ns: string) => p.locator(`article[data-namespace="${ns}"]`);

  beforeAll(async () => {
    if (!existsSync(join(defaultDashboardDir(), 'index.html')))
      throw new Error('dist/dashboard is not built: run npm run build (npm test does it)');
    // Two epochs of a real AKD log and of a toy log, each in a file:// proof directory.
    const akdDir = join(tmp.dir, 'akd-proofs');
    const akd = await writeSyntheticLog({
      out: akdDir,
      configuration: { name: 'whatsapp_v1' },
      epochs: 2,
      inserts: 20,
      base: 0,
      seed: 'dashboard-formats',
    });
    const toyDir = join(tmp.dir, 'toy-proofs');
    const toyRoot = new Uint8Array(32).fill(5);
    const toyDigests = writeToyLog(toyDir, toyRoot, 2);
    const init = await initDataDir({ dataDir: join(tmp.dir, 'node'), namespaces: [AKD_NS, TOY_NS], httpPort: 0 });
    const doc = parseYaml(readFileSync(init.config, 'utf8'), { intAsBigInt: true }) as {
      namespaces: Record<string, unknown>[];
    } & Record<string, unknown>;
    Object.assign(doc.namespaces[0] as object, { proof_directory: pathToFileURL(akdDir).href });
    const toy = doc.namespaces[1] as Record<string, unknown>;
    delete toy.configuration; // an AKD field: the toy format has its own
    Object.assign(toy, { log_format: TOY_FORMAT_ID, proof_directory: pathToFileURL(toyDir).href });
    // A witnessed RFC 6962 log (docs/c2sp.md, "Chorus as a tlog witness"): no epochs, shown in its own section.
    doc.namespaces.push({ name: TLOG_NS, log_format: 'tlog', origin: TLOG_ORIGIN, log_vkeys: [tlogSigner.vkey] });
    node = await ChorusNode.create(configFromObject(doc, init.config, formats), {
      logger: pino({ level: 'silent' }),
      formats,
    });
    base = await node.listen();
    const push = async (ns: string, digests: string[]) => {
      for (const [e, digest] of digests.entries()) {
        const r = await http(`${base}/namespaces/${ns}/audits`, {
          body: { epoch: BigInt(e), digest },
          token: init.tokens[ns] as string,
        });
        expect(r.status, `${ns} epoch ${e}`).toBe(200);
      }
    };
    await push(AKD_NS, [akd.root.digest, ...akd.epochs.map((x) => x.blob_name.split('/')[2] as string)]);
    await push(TOY_NS, toyDigests.map(toHex));
    const checkpoint = formatCheckpoint({
      origin: TLOG_ORIGIN,
      size: BigInt(tlogLeaves.length),
      rootHash: rootOf(tlogLeaves),
      extensions: [],
    });
    const added = await http(`${base}/add-checkpoint`, {
      rawBody: formatAddCheckpointRequest(0n, [], signNote(checkpoint, [tlogSigner])),
      headers: { 'content-type': 'text/plain' },
    });
    expect(added.status, added.text).toBe(200);
    for (const ns of [AKD_NS, TOY_NS])
      await waitFor(`${ns} epoch 2 verified`, async () => {
        return (await http(`${base}/namespaces/${ns}`)).body.last_verified_epoch === 2n;
      });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(15_000);
    p = await context.newPage();
    p.on('pageerror', (e) => errors.push(e.message));
    // A node running alone publishes no roster (404): the page marks signatures unchecked. Any
    // other failed request is an error; Chromium's own line for each 404 is left to that check.
    p.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.status() >= 400 && path !== '/roster') errors.push(`${r.status()} ${path}`);
    });
    p.on('console', (m) => {
      if (
        m.type() === 'error' &&
        !m.text().startsWith('Failed to load resource: the server responded with a status of 404')
      )
        errors.push(m.text());
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await node?.close();
    tmp.cleanup();
  });

  it("shows each card's format label and its proof label; entry counts only for the format that has them", async () => {
    const api = (await http(`${base}/namespaces/${AKD_NS}`)).body as {
      last_verified_entries: { inserted: bigint; unchanged: bigint };
    };
    expect(api.last_verified_entries.inserted).toBe(20n);
    await p.goto(base);
    await p.waitForSelector('body[data-loaded="true"]');
    await expect.poll(() => p.locator('#verifier').getAttribute('data-state')).toBe('unchecked');
    const akd = card(AKD_NS);
    const toy = card(TOY_NS);
    await expect.poll(() => akd.locator('[data-field="log-format"]').textContent()).toBe('AKD');
    await expect.poll(() => toy.locator('[data-field="log-format"]').textContent()).toBe('Toy JSON log');
    expect(await akd.getAttribute('data-format')).toBe('akd');
    expect(await toy.getAttribute('data-format')).toBe(TOY_FORMAT_ID);
    await expect
      .poll(() => akd.locator('[data-field="verified-proof"]').textContent())
      .toContain('the append-only proof of epoch 2 checked by the node at ');
    await expect
      .poll(() => toy.locator('[data-field="verified-proof"]').textContent())
      .toContain('the toy proof of epoch 2 checked by the node at ');
    // AKD counts entries: the card shows the node's numbers in AKD's words.
    expect(await akd.locator('[data-field="verified-entries"]').textContent()).toBe(
      `20 leaves inserted, ${api.last_verified_entries.unchanged} unchanged subtrees (epoch 2)`,
    );
    // The toy format names no counts (its verdicts carry inserted = 2): no row, no zeros, no AKD words.
    expect(await toy.locator('[data-field="verified-entries"]').count()).toBe(0);
    expect(await toy.locator('dt').allTextContents()).not.toContain('Last verified entries');
    const toyText = (await toy.textContent()) ?? '';
    for (const word of ['AKD', 'append-only', 'inserted', 'unchanged', 'subtrees']) expect(toyText).not.toContain(word);
    await p.screenshot({ path: join(ARTIFACTS, 'dashboard-formats.png'), fullPage: true });
  });

  it('the history matrix and its namespace selector name the format', async () => {
    const options = await p.locator('#history-ns option').allTextContents();
    expect(options).toEqual([`${AKD_NS} · AKD`, `${TOY_NS} · Toy JSON log`]);
    const caption = p.locator('#history table.matrix caption[data-field="matrix-format"]');
    await expect.poll(() => p.locator('#history-epochs').getAttribute('data-namespace')).toBe(AKD_NS);
    await expect.poll(() => caption.textContent()).toBe(`${AKD_NS} · AKD · auditors × epochs`);
    await card(TOY_NS).locator('a[data-history-ns]').click();
    await expect.poll(() => p.locator('#history-epochs').getAttribute('data-namespace')).toBe(TOY_NS);
    await expect.poll(() => caption.textContent()).toBe(`${TOY_NS} · Toy JSON log · auditors × epochs`);
    expect(await caption.getAttribute('data-format')).toBe(TOY_FORMAT_ID);
    // The toy namespace's epochs are in its matrix like any other.
    expect(await p.locator('#history table.matrix th.epoch').count()).toBe(3);
    expect(errors).toEqual([]);
  });

  it('shows the witnessed tlog log as a card like a namespace: label, origin, exact size, cosignatures, note link', async () => {
    const api = (await http(`${base}/witness/logs`)).body as { logs: Record<string, unknown>[] };
    expect(api.logs).toMatchObject([{ namespace: TLOG_NS, log_format: 'tlog', cosignatures: 1n }]);
    await p.goto(base);
    await p.waitForSelector('body[data-loaded="true"]');
    const section = p.locator('#witnessed');
    await expect.poll(() => section.isVisible()).toBe(true);
    const log = p.locator(`article.card[data-witnessed-log="${TLOG_NS}"]`);
    expect(await log.count()).toBe(1);
    expect(await log.locator('h2').textContent()).toBe(TLOG_NS);
    expect(await log.getAttribute('data-format')).toBe('tlog');
    expect(await log.getAttribute('data-state')).toBe('ok');
    expect(await log.locator('[data-field="log-format"]').textContent()).toBe(tlogFormat.describe.label);
    expect(await log.locator('[data-field="origin"]').textContent()).toBe(TLOG_ORIGIN);
    expect(await log.locator('[data-field="cosigned-size"]').textContent()).toBe(String(tlogLeaves.length));
    expect(await log.locator('[data-field="root-hash"]').textContent()).toBe(
      Buffer.from(rootOf(tlogLeaves)).toString('base64'),
    );
    expect(await log.locator('[data-field="recorded-at"] time').getAttribute('datetime')).toMatch(/^\d{4}-/);
    expect(await log.locator('[data-field="cosignatures"]').textContent()).toBe(
      '1 roster cosignature (reported by the node)',
    );
    // The link is the monitoring path, and it serves the cosigned note (the log's signature and the node's).
    const href = await log.locator('a[data-field="checkpoint-link"]').getAttribute('href');
    expect(href).toBe(`/${checkpointPath(TLOG_ORIGIN)}`);
    const note = await http(`${base}${href}`);
    expect(note.text.startsWith(`${TLOG_ORIGIN}\n${tlogLeaves.length}\n`)).toBe(true);
    // It is no namespace: GET /namespaces (Plexi's list) and the namespace cards do not have it.
    expect(await p.locator(`article[data-namespace="${TLOG_NS}"]`).count()).toBe(0);
    await section.screenshot({ path: join(ARTIFACTS, 'dashboard-witnessed-logs.png') });
    expect(errors).toEqual([]);
  });
});
