// The foundation's HTTP API against a node running in this process over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { initDataDir } from '../../src/operator/init.js';
import { loadConfig } from '../../src/config/config.js';
import { ChorusNode } from '../../src/node/node.js';
import { signatureResponseFromJson } from '../../src/plexi/signature-response.js';
import { verifySignatureResponse } from '../../src/plexi/verify-response.js';
import { fromHex } from '../../src/util/bytes.js';
import { U64_MAX } from '../../src/util/u64.js';
import { tempDir } from '../support/tmp.js';
import { hex32, http } from '../support/http.js';

describe('Plexi API of a single node', () => {
  const tmp = tempDir();
  let node: ChorusNode;
  let url = '';
  let token = '';
  let tokens: Record<string, string> = {};
  let publicKey: Uint8Array;
  const ns = 'log.example';

  beforeAll(async () => {
    const init = await initDataDir({ dataDir: tmp.dir, namespaces: [ns, 'max.example'], httpPort: 0 });
    tokens = init.tokens;
    token = init.tokens[ns] as string;
    publicKey = fromHex(init.publicKey, 32);
    node = await ChorusNode.create(loadConfig(init.config), { logger: pino({ level: 'silent' }) });
    url = await node.listen();
  });
  afterAll(async () => {
    await node.close();
    tmp.cleanup();
  });

  const post = (body: unknown, t: string | null = token, name = ns) =>
    http(`${url}/namespaces/${name}/audits`, t === null ? { body } : { body, token: t });

  it('serves /info and /namespaces in Plexi shape', async () => {
    const info = await http(`${url}/info`);
    expect(info.status).toBe(200);
    expect(info.body.logs).toEqual([ns, 'max.example']);
    const keys = info.body.keys as { public_key: string; not_before: bigint }[];
    expect(keys[0]?.public_key).toBe(Buffer.from(publicKey).toString('hex'));
    expect(typeof keys[0]?.not_before).toBe('bigint');
    const list = await http(`${url}/namespaces`);
    const first = (list.body.namespaces as Record<string, unknown>[])[0] as Record<string, unknown>;
    // Plexi's fields in plexi_core's order, then Chorus-only fields (the plexi client ignores them).
    expect(Object.keys(first).slice(0, 8)).toEqual([
      'name',
      'log_directory',
      'root',
      'status',
      'reports_uri',
      'audits_uri',
      'signature_version',
      'ciphersuite',
    ]);
    expect(first).toMatchObject({ network_status: 'Consistent', signing_halted: null });
    expect(first).toMatchObject({
      name: ns,
      root: null,
      status: 'Initialization',
      audits_uri: `/namespaces/${ns}/audits`,
      signature_version: 1n,
      ciphersuite: 1n,
    });
  });

  it('signs the first epoch as root, then consecutive epochs; the response verifies', async () => {
    const r0 = await post({ epoch: 100n, digest: hex32(1) });
    expect(r0.status).toBe(200);
    expect(Object.keys(r0.body)).toEqual([
      'version',
      'ciphersuite',
      'namespace',
      'timestamp',
      'epoch',
      'digest',
      'signature',
      'key_id',
      'serialized_message',
    ]);
    const s0 = signatureResponseFromJson(r0.body);
    expect(verifySignatureResponse(s0, publicKey)).toEqual({ ok: true });
    expect(s0.keyId).toBe(publicKey[31]);
    const r1 = await post({ epoch: 101n, digest: hex32(2), previous: hex32(1) });
    expect(r1.status).toBe(200);
    expect(r1.text).toContain('"epoch":101,');
    const nsInfo = await http(`${url}/namespaces/${ns}`);
    expect(nsInfo.body).toMatchObject({ root: `100/${hex32(1)}`, status: 'Online' });
    const got = await http(`${url}/namespaces/${ns}/audits/101`);
    expect(got.text).toBe(r1.text);
  });

  it('is idempotent for the same epoch and digest', async () => {
    const again = await post({ epoch: 101n, digest: hex32(2) });
    expect(again.status).toBe(200);
    expect(again.body.signature).toBe((await http(`${url}/namespaces/${ns}/audits/101`)).body.signature);
  });

  it('answers 409 naming both digests for a second digest, and signs nothing', async () => {
    const r = await post({ epoch: 101n, digest: hex32(9) });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ error: 'epoch-conflict', signed_digest: hex32(2), submitted_digest: hex32(9) });
    expect(String(r.body.message)).toContain(hex32(2));
    expect(String(r.body.message)).toContain(hex32(9));
    expect((await http(`${url}/namespaces/${ns}/audits/101`)).body.digest).toBe(hex32(2));
    const conflicts = await node.signing.listConflicts(ns);
    expect(conflicts.map((c) => Buffer.from(c.submittedDigest).toString('hex'))).toContain(hex32(9));
  });

  it.each([
    ['a gap', { epoch: 105n, digest: hex32(5) }, 'epoch-gap', 102n],
    ['a stale epoch', { epoch: 50n, digest: hex32(5) }, 'stale-epoch', 102n],
  ])('answers 409 for %s naming the expected epoch', async (_n, body, code, expected) => {
    const r = await post(body);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ error: code, expected_epoch: expected });
  });

  it('answers 409 for a reused digest and for a wrong previous', async () => {
    expect((await post({ epoch: 102n, digest: hex32(1) })).body).toMatchObject({
      error: 'digest-reused',
      signed_epoch: 100n,
    });
    expect((await post({ epoch: 102n, digest: hex32(3), previous: hex32(7) })).body).toMatchObject({
      error: 'previous-mismatch',
    });
  });

  it('404 for an unknown namespace, 401 for a missing or wrong token', async () => {
    expect((await post({ epoch: 1n, digest: hex32(1) }, token, 'nope.example')).status).toBe(404);
    expect((await http(`${url}/namespaces/nope.example`)).body).toMatchObject({ error: 'unknown-namespace' });
    const missing = await post({ epoch: 102n, digest: hex32(3) }, null);
    expect(missing.status).toBe(401);
    expect(missing.body.error).toBe('unauthorized');
    expect((await post({ epoch: 102n, digest: hex32(3) }, 'wrong')).status).toBe(401);
    expect((await post({ epoch: 102n, digest: hex32(3) }, token, 'max.example')).status).toBe(401);
  });

  it.each([
    ['malformed JSON', { rawBody: '{"epoch":' }, 400, 'malformed-json'],
    ['a duplicate key', { rawBody: `{"epoch":102,"epoch":103,"digest":"${hex32(3)}"}` }, 400, 'malformed-json'],
    ['an odd-length digest', { body: { epoch: 102n, digest: 'abc' } }, 400, 'invalid-request'],
    ['a 31-byte digest', { body: { epoch: 102n, digest: hex32(3).slice(2) } }, 400, 'invalid-request'],
    ['a non-hex digest', { body: { epoch: 102n, digest: 'zz'.repeat(32) } }, 400, 'invalid-request'],
    ['an epoch as string', { body: { epoch: '102', digest: hex32(3) } }, 400, 'invalid-request'],
    ['a negative epoch', { body: { epoch: -1n, digest: hex32(3) } }, 400, 'invalid-request'],
    ['an epoch above 2^64-1', { body: { epoch: U64_MAX + 1n, digest: hex32(3) } }, 400, 'invalid-request'],
    ['a fractional epoch', { rawBody: `{"epoch":1.5,"digest":"${hex32(3)}"}` }, 400, 'invalid-request'],
    ['an unknown field', { body: { epoch: 102n, digest: hex32(3), extra: 1n } }, 400, 'invalid-request'],
    ['an empty body', { rawBody: '' }, 400, 'malformed-json'],
    [
      'a non-JSON content type',
      { rawBody: 'epoch=1', headers: { 'content-type': 'text/plain' } },
      415,
      'unsupported-media-type',
    ],
    [
      'a body over the limit',
      { rawBody: JSON.stringify({ epoch: 102, digest: hex32(3), pad: 'x'.repeat(20_000) }) },
      413,
      'body-too-large',
    ],
  ])('rejects %s with its status and a JSON error', async (_n, opts, status, code) => {
    const r = await http(`${url}/namespaces/${ns}/audits`, { ...opts, token });
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ error: code });
    expect(typeof r.body.message).toBe('string');
    // Nothing was signed by a bad request.
    expect((await http(`${url}/namespaces/${ns}/audits/102`)).status).toBe(404);
  });

  it('404/400 on reads: unsigned epoch, bad epoch, unknown route; last-verified-epoch absent before validation', async () => {
    expect((await http(`${url}/namespaces/${ns}/audits/999`)).body).toMatchObject({ error: 'not-found' });
    expect((await http(`${url}/namespaces/${ns}/audits/abc`)).body).toMatchObject({ error: 'bad-epoch' });
    expect((await http(`${url}/namespaces/${ns}/audits/18446744073709551616`)).status).toBe(400);
    expect((await http(`${url}/nothing/here`)).status).toBe(404);
    expect((await http(`${url}/namespaces/${ns}/last-verified-epoch`)).status).toBe(404);
  });

  it('signs u64 extremes: root at 2^64-2, then 2^64-1, served as exact JSON numbers', async () => {
    const t = tokens['max.example'] as string;
    const r0 = await post({ epoch: U64_MAX - 1n, digest: hex32(0xa0) }, t, 'max.example');
    expect(r0.status).toBe(200);
    const r1 = await post({ epoch: U64_MAX, digest: hex32(0xa1) }, t, 'max.example');
    expect(r1.status).toBe(200);
    expect(r1.text).toContain('"epoch":18446744073709551615');
    const s = signatureResponseFromJson((await http(`${url}/namespaces/max.example/audits/18446744073709551615`)).body);
    expect(s.epoch).toBe(U64_MAX);
    expect(verifySignatureResponse(s, publicKey)).toEqual({ ok: true });
    expect((await post({ epoch: U64_MAX, digest: hex32(0xa2) }, t, 'max.example')).body.error).toBe('epoch-conflict');
  });

  it('concurrent conflicting POSTs over HTTP sign one digest only', async () => {
    const head = 102n;
    await post({ epoch: head, digest: hex32(0x30) });
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => post({ epoch: head + 1n, digest: hex32(0x40 + (i % 20)) })),
    );
    const ok = results.filter((r) => r.status === 200);
    const digests = new Set(ok.map((r) => r.body.digest));
    expect(digests.size).toBe(1);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error === 'epoch-conflict')).toBe(true);
    expect(ok.length + results.filter((r) => r.status === 409).length).toBe(60);
  });
});
