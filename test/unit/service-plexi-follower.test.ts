// The Plexi follower (issue 13 §7): polls an external Plexi auditor (a node:http stand-in on port
// 0 serving Plexi JSON), verifies every SignatureResponse strictly against the auditor's roster
// keys and imports it as that auditor's observation; bad signatures are counted and skipped, a
// conflicting digest is imported as served (the equivocation rules judge it), a missing epoch is
// asked again next round, and the cursor persists in LevelDB.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Observation } from '../../src/consensus/observation.js';
import { tallyEpoch } from '../../src/consensus/quorum.js';
import { Roster } from '../../src/consensus/roster.js';
import type { SigningKey } from '../../src/crypto/ed25519.js';
import { keyId, signedBytes } from '../../src/plexi/signature-message.js';
import { signatureResponseToJson } from '../../src/plexi/signature-response.js';
import { PlexiFollower, type PlexiFollowerOptions } from '../../src/services/plexi-follower.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { SigningStore } from '../../src/store/signing-store.js';
import { toHex } from '../../src/util/bytes.js';
import { stringifyJson } from '../../src/util/json.js';
import { digestOf, signedObservation, testKey } from '../support/service-fixtures.js';
import { tempDir } from '../support/tmp.js';

const NS = 'follow.example';
const ext = testKey(5);
const extNext = testKey(6);
const own = testKey(0);

/** A stand-in Plexi auditor: path → JSON body (404 when absent, a status when a number). */
class PlexiStandIn {
  readonly routes = new Map<string, string | number>();
  readonly requested: string[] = [];
  #server: Server | undefined;
  url = '';

  async listen(): Promise<void> {
    this.#server = createServer((req, res) => {
      this.requested.push(req.url ?? '');
      const r = this.routes.get(req.url ?? '');
      if (typeof r === 'number')
        return void res.writeHead(r, { 'content-type': 'application/json' }).end('{"error":"boom"}');
      if (r === undefined)
        return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(r);
    });
    await new Promise<void>((r) => this.#server?.listen(0, '127.0.0.1', r));
    const a = this.#server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }

  namespace(opts: { root?: string; lastVerified?: bigint }): void {
    this.routes.set(
      `/namespaces/${NS}`,
      stringifyJson({
        name: NS,
        log_directory: null,
        root: opts.root ?? null,
        ...(opts.lastVerified !== undefined ? { last_verified_epoch: opts.lastVerified } : {}),
        status: 'Online',
        reports_uri: `/namespaces/${NS}/reports`,
        audits_uri: `/namespaces/${NS}/audits`,
        signature_version: 1n,
        ciphersuite: 1n,
      }),
    );
  }

  /** Serves a signature at /audits/{at}; `sign` may differ from what is claimed (forgeries). */
  audit(
    at: bigint,
    opts: { key?: SigningKey; digest?: Uint8Array; epoch?: bigint; ns?: string; tamper?: boolean } = {},
  ): void {
    const key = opts.key ?? ext;
    const m = {
      ciphersuite: 1,
      namespace: opts.ns ?? NS,
      timestamp: 1_717_000_000_000n + at,
      epoch: opts.epoch ?? at,
      digest: opts.digest ?? digestOf(Number(at)),
    };
    const signature = new Uint8Array(key.sign(signedBytes(m)));
    if (opts.tamper) signature[0] = (signature[0] as number) ^ 1;
    this.routes.set(
      `/namespaces/${NS}/audits/${at}`,
      stringifyJson(signatureResponseToJson({ ...m, signature, keyId: keyId(key.publicKey) })),
    );
  }
}

/** The one place the follower is built: a roster naming the stand-in, the stores, a recording import. */
function makeFollower(db: RootDb, signing: SigningStore, plexiUrl: string, extra: Partial<PlexiFollowerOptions> = {}) {
  const roster = Roster.fromJson({
    network: 'follow',
    threshold: 2n,
    auditors: [
      { name: 'org1', public_key: toHex(own.publicKey) },
      {
        name: 'ext',
        keys: [
          { public_key: toHex(ext.publicKey), not_before: 0n },
          { public_key: toHex(extNext.publicKey), not_before: 10n ** 15n },
        ],
        plexi_url: plexiUrl,
      },
    ],
    namespaces: [{ name: NS }],
  });
  const imported: Observation[] = [];
  const logs: Record<string, unknown>[] = [];
  const follower = new PlexiFollower({
    roster,
    namespaces: [NS],
    db,
    signing,
    importObservation: async (o) => void imported.push(o),
    logger: pino(
      { level: 'debug' },
      { write: (l: string) => void logs.push(JSON.parse(l) as Record<string, unknown>) },
    ),
    pollIntervalMs: 3_600_000,
    maxEpochsPerPoll: 100,
    timeoutMs: 5000,
    ...extra,
  });
  const auditor = follower.auditors[0];
  if (!auditor) throw new Error('the roster names no Plexi auditor');
  return { follower, imported, logs, roster, poll: () => follower.poll(auditor, NS) };
}

describe('PlexiFollower', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  let signing: SigningStore;
  let plexi: PlexiStandIn;
  let f: ReturnType<typeof makeFollower>;
  const epochs = () => f.imported.map((o) => o.epoch);
  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
    signing = new SigningStore(db, { now: () => 1000n });
    plexi = new PlexiStandIn();
    await plexi.listen();
    f = makeFollower(db, signing, plexi.url);
  });
  afterEach(async () => {
    f.follower.stop();
    await plexi.close();
    if (db.status === 'open') await db.close();
    tmp.cleanup();
  });

  it("happy path: imports each verified signature as the auditor's observation, from its root up", async () => {
    plexi.namespace({ root: `1/${toHex(digestOf(1))}`, lastVerified: 3n });
    for (const e of [1n, 2n, 3n]) plexi.audit(e);
    expect(await f.poll()).toBe(3);
    expect(epochs()).toEqual([1n, 2n, 3n]);
    const o = f.imported[1];
    expect(o).toMatchObject({ namespace: NS, epoch: 2n, ciphersuite: 1, timestamp: 1_717_000_000_002n });
    expect(toHex(o?.signerKey ?? new Uint8Array())).toBe(toHex(ext.publicKey));
    expect(toHex(o?.digest ?? new Uint8Array())).toBe(toHex(digestOf(2)));
    expect(f.follower.stats).toEqual({ imported: 3, badSignatures: 0, errors: 0 });
    expect(plexi.requested).not.toContain(`/namespaces/${NS}/audits/4`); // nothing past the newest epoch
  });

  it('the cursor persists: nothing is imported twice, even by a new follower over the same database', async () => {
    plexi.namespace({ root: `1/${toHex(digestOf(1))}`, lastVerified: 2n });
    for (const e of [1n, 2n, 3n, 4n]) plexi.audit(e);
    expect(await f.poll()).toBe(2);
    expect(await f.poll()).toBe(0);
    plexi.namespace({ root: `1/${toHex(digestOf(1))}`, lastVerified: 4n });
    const again = makeFollower(db, signing, plexi.url);
    expect(await again.poll()).toBe(2);
    expect(again.imported.map((o) => o.epoch)).toEqual([3n, 4n]);
  });

  it('a bad signature, or a good one for another epoch or namespace, is counted and skipped, never imported', async () => {
    plexi.namespace({ root: `1/${toHex(digestOf(1))}`, lastVerified: 5n });
    plexi.audit(1n);
    plexi.audit(2n, { tamper: true });
    plexi.audit(3n, { epoch: 9n }); // validly signed, but for epoch 9
    plexi.audit(4n, { ns: 'other.example' });
    plexi.audit(5n, { key: testKey(30) }); // a key the roster does not give this auditor
    expect(await f.poll()).toBe(1);
    expect(epochs()).toEqual([1n]);
    expect(f.follower.stats).toMatchObject({ imported: 1, badSignatures: 4, errors: 0 });
    expect(f.logs.filter((l) => l.event === 'plexi-bad-signature').map((l) => l.epoch)).toEqual(['2', '3', '4', '5']);
    expect(await f.poll()).toBe(0); // judged once: the cursor moved past them
  });

  it("a signature by the auditor's rotated key is imported under that key", async () => {
    plexi.namespace({ root: `1/${toHex(digestOf(1))}`, lastVerified: 1n });
    plexi.audit(1n, { key: extNext });
    expect(await f.poll()).toBe(1);
    expect(toHex(f.imported[0]?.signerKey ?? new Uint8Array())).toBe(toHex(extNext.publicKey));
  });

  it('a digest that conflicts with ours is imported as served, so the tally sees the conflict', async () => {
    const sign = (epoch: bigint, digest: Uint8Array, previous?: Uint8Array) =>
      signing.checkAndSign(NS, undefined, { epoch, digest, ...(previous ? { previous } : {}) }, (namespace, e, d) => {
        const m = { ciphersuite: 1, namespace, timestamp: 1000n, epoch: e, digest: d };
        return { ...m, signature: own.sign(signedBytes(m)), publicKey: own.publicKey };
      });
    await sign(1n, digestOf(1));
    await sign(2n, digestOf(2), digestOf(1));
    plexi.namespace({ root: `1/${toHex(digestOf(1))}` }); // no last verified epoch: our head (2) bounds it
    plexi.audit(1n);
    plexi.audit(2n, { digest: digestOf(0x99) });
    expect(await f.poll()).toBe(2);
    expect(toHex(f.imported[1]?.digest ?? new Uint8Array())).toBe(toHex(digestOf(0x99)));
    const ours = signedObservation(own, NS, 2n, digestOf(2));
    const tally = tallyEpoch([ours, f.imported[1] as Observation], f.roster);
    expect(tally.conflicting).toBe(true);
  });

  it("starts at our own root when it is above the auditor's", async () => {
    await signing.checkAndSign(NS, undefined, { epoch: 5n, digest: digestOf(5) }, (namespace, e, d) => {
      const m = { ciphersuite: 1, namespace, timestamp: 1000n, epoch: e, digest: d };
      return { ...m, signature: own.sign(signedBytes(m)), publicKey: own.publicKey };
    });
    plexi.namespace({ root: `1/${toHex(digestOf(1))}`, lastVerified: 6n });
    for (const e of [1n, 5n, 6n]) plexi.audit(e);
    expect(await f.poll()).toBe(2);
    expect(epochs()).toEqual([5n, 6n]);
  });

  it('a signature not published yet stops the round there and is asked again next round', async () => {
    plexi.namespace({ root: `1/${toHex(digestOf(1))}`, lastVerified: 3n });
    plexi.audit(1n);
    plexi.audit(3n);
    expect(await f.poll()).toBe(1);
    expect(f.follower.stats.badSignatures).toBe(0);
    plexi.audit(2n);
    expect(await f.poll()).toBe(2);
    expect(epochs()).toEqual([1n, 2n, 3n]);
  });

  it('maxEpochsPerPoll bounds one round', async () => {
    f = makeFollower(db, signing, plexi.url, { maxEpochsPerPoll: 2 });
    plexi.namespace({ root: `1/${toHex(digestOf(1))}`, lastVerified: 3n });
    for (const e of [1n, 2n, 3n]) plexi.audit(e);
    expect(await f.poll()).toBe(2);
    expect(await f.poll()).toBe(1);
    expect(epochs()).toEqual([1n, 2n, 3n]);
  });

  it('an auditor that does not audit the namespace, or knows no epoch, is not an error', async () => {
    expect(await f.poll()).toBe(0); // 404 on the namespace
    plexi.namespace({ root: 'not-an-epoch' });
    expect(await f.poll()).toBe(0); // nothing signed by us, no last verified epoch
    expect(f.follower.stats).toEqual({ imported: 0, badSignatures: 0, errors: 0 });
  });

  it('a failing or malformed answer is an error counted and logged, nothing imported', async () => {
    plexi.routes.set(`/namespaces/${NS}`, 500);
    expect(await f.poll()).toBe(0);
    plexi.routes.set(`/namespaces/${NS}`, '{"name":');
    expect(await f.poll()).toBe(0);
    plexi.namespace({ root: `1/${toHex(digestOf(1))}`, lastVerified: 1n });
    plexi.routes.set(`/namespaces/${NS}/audits/1`, stringifyJson({ epoch: 1n }));
    expect(await f.poll()).toBe(0);
    expect(f.follower.stats).toEqual({ imported: 0, badSignatures: 0, errors: 3 });
    expect(f.logs.filter((l) => l.event === 'plexi-follow-failed')).toHaveLength(3);
    plexi.audit(1n); // the cursor did not move: the epoch is asked again
    expect(await f.poll()).toBe(1);
  });

  it('start() polls at once; stop() ends polling', async () => {
    plexi.namespace({ root: `1/${toHex(digestOf(1))}`, lastVerified: 1n });
    plexi.audit(1n);
    f.follower.start();
    const deadline = Date.now() + 10_000;
    while (f.imported.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(epochs()).toEqual([1n]);
    f.follower.stop();
    expect(await f.poll()).toBe(0);
  });
});
