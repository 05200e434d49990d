// Signed views from anyone (issue 15 §4) with two real node processes: POST /views and
// `chorus report-view`. A view contradicting the nodes' signed digest (or a second cosigned
// checkpoint body for one size) becomes a proof on both nodes;
// a wrongly signed view is refused and changes nothing; the rate limit answers 429 with
// Retry-After; an oversize body 413; the CLI's exit codes tell the outcomes apart.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { formatCheckpoint } from '../../src/c2sp/checkpoint.js';
import { cosigner } from '../../src/c2sp/cosignature.js';
import { formatNote } from '../../src/c2sp/signed-note.js';
import { loadKeyFile } from '../../src/config/key-file.js';
import { encodeObservation } from '../../src/consensus/observation.js';
import { keyId, signedBytes } from '../../src/plexi/signature-message.js';
import { signatureResponseFromJson, signatureResponseToJson } from '../../src/plexi/signature-response.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { stringifyJson } from '../../src/util/json.js';
import { hex32, http, type JsonResponse } from '../support/http.js';
import { runCli } from '../support/node-process.js';
import { TestNetwork, waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';

const NS = 'views.example';
const ORIGIN = 'views.example/checkpoints';
const logKey = signingKeyFromSeed(new Uint8Array(32).fill(0x4c));
const outsider = signingKeyFromSeed(new Uint8Array(32).fill(0x0f));
type Key = typeof logKey;

/** A checkpoint of ORIGIN at size 10 with root `rootByte`, cosigned by witness `name` (a cosignature/v1 note). */
function cosignedCheckpoint(name: string, key: Key, rootByte: number): string {
  const text = formatCheckpoint({
    origin: ORIGIN,
    size: 10n,
    rootHash: new Uint8Array(32).fill(rootByte),
    extensions: [],
  });
  return formatNote({ text, signatures: [cosigner(name, key).cosign(text, BigInt(Math.floor(Date.now() / 1000)))] });
}

/** A head signed by `key` as Plexi serves it (JSON SignatureResponse, the signer not named). */
function signedHead(key: Key, epoch: bigint, digestByte: number): Record<string, unknown> {
  const m = { ciphersuite: 1, namespace: NS, timestamp: BigInt(Date.now()), epoch, digest: fromHex(hex32(digestByte)) };
  return signatureResponseToJson({ ...m, signature: key.sign(signedBytes(m)), keyId: keyId(key.publicKey) });
}

describe('POST /views and chorus report-view, two node processes', () => {
  const tmp = tempDir();
  const net = new TestNetwork(tmp.dir, NS);
  const url = (name: string) => net.proc(name).url;
  const postView = (name: string, body: unknown): Promise<JsonResponse> => http(`${url(name)}/views`, { body });
  const proofIds = async (name: string) => (await net.proofs(name)).map((p) => p.id).sort();

  beforeAll(async () => {
    await net.setup(2, 2);
    // The namespace's log key, in the roster: log-signed heads are views too.
    const roster = JSON.parse(readFileSync(net.roster, 'utf8')) as { namespaces: Record<string, unknown>[] };
    (roster.namespaces[0] as Record<string, unknown>).log_key = toHex(logKey.publicKey);
    // And a checkpoint origin: cosigned checkpoint notes are views too.
    (roster.namespaces[0] as Record<string, unknown>).checkpoint_origin = ORIGIN;
    writeFileSync(net.roster, JSON.stringify(roster, null, 2));
    net.editConfig('org1', (doc) => (doc.views = { body_limit_bytes: 4096n }));
    net.editConfig('org2', (doc) => (doc.views = { rate_limit: { burst: 3n, per_minute: 1n } }));
    await net.startAll();
    for (const n of ['org1', 'org2']) expect((await net.submit(n, 1n, hex32(1))).status).toBe(200);
    await waitFor('both observations of epoch 1 on both nodes', async () => {
      for (const n of ['org1', 'org2']) {
        const r = await net.get(n, `/namespaces/${NS}/epochs/1`);
        if (((r.body.digests as { signers: unknown[] }[] | undefined)?.[0]?.signers.length ?? 0) !== 2) return false;
      }
      return true;
    });
  }, 120_000);

  afterAll(async () => {
    await net.stopAll();
    tmp.cleanup();
  });

  it('a wrongly signed view is refused and changes nothing', async () => {
    const before = await net.get('org1', `/namespaces/${NS}/epochs/1`);
    const byOutsider = await postView('org1', signedHead(outsider, 1n, 2));
    expect(byOutsider.status).toBe(403);
    expect(byOutsider.body).toMatchObject({ error: 'view-refused', reason: 'unknown-signer' });
    // The log's key_id and fields, another digest under its signature: a forgery.
    const forged = { ...signedHead(logKey, 1n, 2), digest: hex32(3) };
    expect(await postView('org1', forged)).toMatchObject({ status: 403, body: { reason: 'bad-signature' } });
    // Naming the signer does not help a signature that does not verify with it.
    const named = { ...signedHead(outsider, 1n, 2), signer_key: toHex(logKey.publicKey) };
    expect(await postView('org1', named)).toMatchObject({ status: 403, body: { reason: 'bad-signature' } });
    // A namespace this node does not audit; a malformed view.
    const elsewhere = await postView('org1', { ...signedHead(logKey, 1n, 2), namespace: 'other.example' });
    expect(elsewhere).toMatchObject({ status: 404, body: { error: 'view-refused', reason: 'unknown-namespace' } });
    expect(await postView('org1', { epoch: 1n })).toMatchObject({ status: 400, body: { error: 'invalid-request' } });
    const junk = await http(`${url('org1')}/views`, {
      rawBody: 'not an observation',
      headers: { 'content-type': 'application/x-protobuf' },
    });
    expect(junk.status).toBe(400);
    expect((await net.get('org1', `/namespaces/${NS}/epochs/1`)).body).toEqual(before.body);
    expect(await net.proofs('org1')).toEqual([]);
  });

  it("a view contradicting the nodes' signed digest becomes a proof on both nodes, counted and alerted", async () => {
    const r = await postView('org1', signedHead(logKey, 1n, 2));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ outcome: 'contradiction', epoch: 1n, signer: `log:${NS}`, compared: 2n });
    const proofs = r.body.proofs as { id: string; kind: string; signers: string[] }[];
    expect(proofs).toHaveLength(1);
    expect(proofs[0]?.kind).toBe('split-view');
    // What the node holds for the epoch, in the co-signature API's shape: its digest, co-signed by both.
    const held = r.body.held as { digest: string; equivocated: boolean; cosignatures: { name: string }[] }[];
    expect(
      held
        .find((h) => h.digest === hex32(1))
        ?.cosignatures.map((c) => c.name)
        .sort(),
    ).toEqual(['org1', 'org2']);
    expect(held.every((h) => h.equivocated)).toBe(true);
    // Broadcast: the other node holds the same proof, through gossip.
    const id = proofs[0]?.id as string;
    await waitFor('the proof on org2', async () => (await proofIds('org2')).includes(id));
    for (const n of ['org1', 'org2']) {
      const alerts = await net.get(n, '/alerts?type=equivocation');
      expect((alerts.body.alerts as unknown[]).length).toBeGreaterThan(0);
      const metrics = await (await fetch(`${url(n)}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`chorus_equivocations_total\\{[^}]*kind="split-view"[^}]*\\} 1`));
    }
    // The same view again: already held, and still the contradiction it is; no second proof.
    const again = await postView('org1', signedHead(logKey, 1n, 2));
    expect(again.body.outcome).toBe('contradiction');
    expect(await proofIds('org1')).toEqual([id]);
  });

  it('a signed view of an epoch nobody held is stored and re-published; the same again is consistent', async () => {
    const head = signedHead(logKey, 5n, 5);
    const r = await postView('org2', head);
    expect(r.body).toMatchObject({ outcome: 'new', compared: 0n, proofs: [] });
    await waitFor('the view on org1', async () => {
      const e = await net.get('org1', `/namespaces/${NS}/epochs/5`);
      return e.status === 200 && e.text.includes(`log:${NS}`);
    });
    expect((await postView('org2', head)).body.outcome).toBe('consistent');
  });

  it("an auditor's own SignatureResponse, as Plexi serves it or as a protobuf observation, is consistent", async () => {
    // Epoch 1 is equivocated by now (any view of it contradicts something held): epoch 2.
    for (const n of ['org1', 'org2']) expect((await net.submit(n, 2n, hex32(0x22))).status).toBe(200);
    await waitFor("org2's signature of epoch 2 on org1", async () => {
      const e = await net.get('org1', `/namespaces/${NS}/epochs/2`);
      return ((e.body.digests as { signers: unknown[] }[] | undefined)?.[0]?.signers.length ?? 0) === 2;
    });
    const sig = await net.get('org2', `/namespaces/${NS}/audits/2`);
    const r = await postView('org1', sig.body);
    expect(r.body).toMatchObject({ outcome: 'consistent', signer: 'org2', digest: hex32(0x22), compared: 2n });
    const response = signatureResponseFromJson(sig.body);
    const bytes = encodeObservation({ ...response, signerKey: fromHex(net.node('org2').publicKey, 32) });
    const res = await fetch(`${url('org1')}/views`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from(bytes),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { outcome: string }).outcome).toBe('consistent');
  });

  it('a cosigned checkpoint note: new, the same again consistent, a second body for its size a proof on both nodes', async () => {
    // org2's own witness key cosigns two different trees of one size: it is convicted.
    const org2Key = loadKeyFile(join(net.node('org2').dir, 'node.key'));
    const postNote = (note: string) =>
      http(`${url('org1')}/views`, { rawBody: note, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    const first = cosignedCheckpoint('org2', org2Key, 1);
    const a = await postNote(first);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ type: 'checkpoint', outcome: 'new', origin: ORIGIN, size: 10n, compared: 0n });
    expect(a.body.added).toEqual(['org2']);
    expect((await postNote(first)).body.outcome).toBe('consistent');
    // Refused, nothing stored: a witness the roster does not know, an origin it does not name, junk.
    const byOutsider = await postNote(cosignedCheckpoint('mallory', outsider, 3));
    expect(byOutsider).toMatchObject({ status: 403, body: { error: 'view-refused' } });
    const elsewhere = await postNote(first.replace(ORIGIN, 'elsewhere.example/x'));
    expect(elsewhere).toMatchObject({ status: 404, body: { reason: 'unknown-origin' } });
    expect((await postNote('not a note')).status).toBe(400);
    const b = await postNote(cosignedCheckpoint('org2', org2Key, 2));
    expect(b.body).toMatchObject({ type: 'checkpoint', outcome: 'contradiction', compared: 1n });
    expect(b.body.held).toHaveLength(2);
    const proofs = b.body.proofs as { id: string; kind: string; signers: string[] }[];
    expect(proofs).toHaveLength(1);
    const id = proofs[0]?.id as string;
    await waitFor('the checkpoint proof on org2', async () => {
      const r = await net.get('org2', '/checkpoints/equivocations');
      return (r.body.equivocations as { id: string }[] | undefined)?.some((p) => p.id === id);
    });
  });

  it('an oversize body is 413', async () => {
    const big = { ...signedHead(logKey, 1n, 2), padding: 'x'.repeat(5000) };
    expect(await postView('org1', big)).toMatchObject({ status: 413, body: { error: 'body-too-large' } });
  });

  it('the per-client token bucket answers 429 with Retry-After', async () => {
    // org2: a burst of 3, then one a minute. One view was spent by the test above... or not, by order:
    // spend whatever is left, then one more must be refused.
    const answers: JsonResponse[] = [];
    for (let i = 0; i < 4; i++) answers.push(await postView('org2', signedHead(outsider, 9n, 9)));
    const limited = answers.find((a) => a.status === 429);
    expect(limited).toBeDefined();
    expect(limited?.body.error).toBe('rate-limited');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Other routes keep their own limits.
    expect((await net.get('org2', `/namespaces/${NS}`)).status).toBe(200);
  });

  it('chorus report-view: exit 1 contradiction, 0 consistent, 3 refused, 2 bad input', () => {
    const file = (name: string, body: unknown) => {
      const f = join(tmp.dir, name);
      writeFileSync(f, stringifyJson(body));
      return f;
    };
    const run = (f: string, json = false) =>
      runCli(['report-view', f, '--remote-url', url('org1'), ...(json ? ['--json'] : [])]);
    const contradiction = run(file('fork.json', signedHead(logKey, 1n, 7)));
    expect(contradiction.status).toBe(1);
    expect(contradiction.stdout).toMatch(/^contradiction: /);
    expect(contradiction.stdout).toMatch(/proof: [0-9a-f]{64} \(split-view\)/);
    const consistent = run(file('held.json', signedHead(logKey, 5n, 5)), true);
    expect(consistent.status).toBe(0);
    expect(JSON.parse(consistent.stdout)).toMatchObject({ outcome: 'consistent' });
    const refused = run(file('outsider.json', signedHead(outsider, 1n, 2)), true);
    expect(refused.status).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ outcome: 'refused', reason: 'unknown-signer' });
    const note = join(tmp.dir, 'checkpoint.note');
    writeFileSync(note, cosignedCheckpoint('org2', loadKeyFile(join(net.node('org2').dir, 'node.key')), 2));
    const checkpoint = run(note);
    expect(checkpoint.status).toBe(1);
    expect(checkpoint.stdout).toMatch(/^contradiction: checkpoint "views.example\/checkpoints" size 10/);
    expect(run(join(tmp.dir, 'missing.json')).status).toBe(2);
    expect(run(file('junk.json', { epoch: 1 })).status).toBe(2);
  });
});
