// POST /namespaces/:ns/epochs/:epoch/cosignatures/check (docs/c2sp.md, "Policies for Plexi co-signatures"):
// the real route module, server setup and LevelDB, through fastify inject. The node evaluates a tlog-policy
// over the roster auditors' verified signatures; with a roster and a policy both must hold unless
// policy_only; bad policies are 400s naming the line; the route is rate-limited and in the OpenAPI document.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { registerPolicyRoutes } from '../../src/api/policy-routes.js';
import { createServer } from '../../src/api/server.js';
import { formatVerifierKey, SIG_TYPE_COSIGNATURE_V1 } from '../../src/c2sp/index.js';
import type { Observation } from '../../src/consensus/observation.js';
import { SigningService, Keyring } from '../../src/services/signing-service.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { SigningStore } from '../../src/store/signing-store.js';
import { toHex } from '../../src/util/bytes.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { digestOf, pushNamespaceConfig, signedObservation, testKey, testRoster } from '../support/service-fixtures.js';
import { tempDir } from '../support/tmp.js';

const NS = 'policy-api.example';
const roster = testRoster({ ns: NS, auditors: 4, threshold: 3 });
const D = digestOf(0x5a);
// Auditor orgN has testKey(N-1); the policy calls them by other names (keys are matched by bytes).
const w = (name: string, i: number) =>
  `witness ${name} ${formatVerifierKey(`${name}.witness.example`, SIG_TYPE_COSIGNATURE_V1, testKey(i).publicKey)}`;
const EU_AND_US =
  [w('eu1', 0), w('eu2', 1), w('us1', 2), w('us2', 3)].join('\n') +
  '\ngroup eu any eu1 eu2\ngroup us any us1 us2\ngroup both all eu us\nquorum both\n';

async function makeApi(db: RootDb, rateLimitMax = 10_000) {
  const now = () => 1000n;
  const { app, limitWrites } = await createServer({
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 16384,
    rateLimit: { max: rateLimitMax, windowMs: 60_000 },
  });
  const config = pushNamespaceConfig(NS);
  const signingService = new SigningService(
    new SigningStore(db, { now }),
    new Keyring([{ key: testKey(0), notBefore: 0n }]),
    [config],
    now,
  );
  const observations = new ObservationStore(db);
  await observations.ready();
  registerPolicyRoutes(app, { limitWrites, signingService, observations, roster });
  await app.ready();
  return { app: app as FastifyInstance, observations };
}

describe('POST /namespaces/:ns/epochs/:epoch/cosignatures/check', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  let api: Awaited<ReturnType<typeof makeApi>>;
  const store = async (list: Observation[]) => {
    for (const o of list) await api.observations.storeObservation(o);
  };
  const check = async (payload: unknown, url = `/namespaces/${NS}/epochs/4/cosignatures/check`) => {
    const r = await api.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : stringifyJson(payload),
    });
    return { status: r.statusCode, body: parseJson(r.body) as Record<string, unknown> };
  };
  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
    api = await makeApi(db);
  });
  afterEach(async () => {
    await api.app.close();
    await db.close();
    tmp.cleanup();
  });

  it('roster threshold and the policy both met: co-signed, with every witness and group reported', async () => {
    await store([0, 1, 2].map((i) => signedObservation(testKey(i), NS, 4n, D)));
    const r = await check({ policy: EU_AND_US });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      namespace: NS,
      epoch: 4n,
      digest: toHex(D),
      threshold: 3n,
      quorum: true,
      equivocated: false,
      policy_only: false,
      co_signed: true,
      reasons: [],
    });
    const policy = r.body.policy as Record<string, unknown>;
    expect(policy).toMatchObject({ quorum: 'both', met: true, unlisted: [], not_counted: [] });
    expect(policy.witnesses).toEqual([
      { name: 'eu1', key: toHex(testKey(0).publicKey), signer: 'org1' },
      { name: 'eu2', key: toHex(testKey(1).publicKey), signer: 'org2' },
      { name: 'us1', key: toHex(testKey(2).publicKey), signer: 'org3' },
      { name: 'us2', key: toHex(testKey(3).publicKey), signer: null },
    ]);
    expect(policy.groups).toEqual([
      { name: 'eu', threshold: 1n, members: ['eu1', 'eu2'], satisfied: ['eu1', 'eu2'], met: true },
      { name: 'us', threshold: 1n, members: ['us1', 'us2'], satisfied: ['us1'], met: true },
      { name: 'both', threshold: 2n, members: ['eu', 'us'], satisfied: ['eu', 'us'], met: true },
    ]);
  });

  it('the roster threshold met but not the policy: not co-signed, and the reason says which group is short', async () => {
    await store([0, 1, 3].map((i) => signedObservation(testKey(i), NS, 4n, D)));
    const policy = `${w('eu1', 0)}\n${w('eu2', 1)}\n${w('us1', 2)}\ngroup g all eu1 us1\nquorum g\n`;
    const r = await check({ policy });
    expect(r.body).toMatchObject({ quorum: true, co_signed: false, reasons: ["the policy's quorum is not met"] });
    expect((r.body.policy as { reason: string; unlisted: string[] }).reason).toBe(
      'quorum NOT met: group g needs 2 of 2 (eu1, us1): eu1 satisfied',
    );
    expect((r.body.policy as { unlisted: string[] }).unlisted).toEqual(['org4']);
  });

  it('the policy met but not the roster threshold: refused unless policy_only', async () => {
    await store([0, 2].map((i) => signedObservation(testKey(i), NS, 4n, D)));
    const both = await check({ policy: EU_AND_US });
    expect(both.body).toMatchObject({
      quorum: false,
      co_signed: false,
      reasons: ["the roster's threshold is not met"],
    });
    expect((both.body.policy as { met: boolean }).met).toBe(true);
    const alone = await check({ policy: EU_AND_US, policy_only: true });
    expect(alone.body).toMatchObject({ quorum: false, policy_only: true, co_signed: true, reasons: [] });
  });

  it('an equivocated epoch is never co-signed, whatever the policy; digest picks the other side', async () => {
    const other = digestOf(0x01);
    await store([0, 1, 2].map((i) => signedObservation(testKey(i), NS, 4n, D)));
    await store([signedObservation(testKey(3), NS, 4n, other)]);
    const r = await check({ policy: 'quorum none\n', policy_only: true });
    expect(r.body).toMatchObject({ equivocated: true, co_signed: false, reasons: ['the epoch is equivocated'] });
    expect((r.body.policy as { met: boolean }).met).toBe(true);
    const picked = await check({ policy: `${w('us2', 3)}\nquorum us2\n`, digest: toHex(other), policy_only: true });
    expect(picked.body).toMatchObject({ digest: toHex(other), equivocated: true, co_signed: false });
    expect((picked.body.policy as { met: boolean }).met).toBe(true);
  });

  it('bad input: an invalid policy is a 400 naming the line; unknown epoch, digest or namespace 404; 413; 415', async () => {
    await store([signedObservation(testKey(0), NS, 4n, D)]);
    const bad = await check({ policy: `${w('a', 0)}\ngroup g 2 a\nquorum g\n` });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid-policy', line: 2n });
    expect(bad.body.message).toMatch(/^policy line 2: threshold 2 is above the 1 members/);
    expect((await check({ policy: 'witness\n' })).body).toMatchObject({ error: 'invalid-policy', line: 1n });
    expect((await check({ policy: `${w('a', 0)}\n` })).body).toMatchObject({ error: 'invalid-policy', line: 0n });
    expect((await check({})).status).toBe(400);
    expect((await check({ policy: 'quorum none\n', extra: 1 })).status).toBe(400);
    expect((await check({ policy: 'quorum none\n', digest: 'xyz' })).status).toBe(400);
    expect((await check('{"policy": ')).status).toBe(400);
    expect((await check({ policy: 'quorum none\n' }, `/namespaces/${NS}/epochs/5/cosignatures/check`)).status).toBe(
      404,
    );
    expect((await check({ policy: 'quorum none\n', digest: toHex(digestOf(9)) })).status).toBe(404);
    expect(
      (await check({ policy: 'quorum none\n' }, '/namespaces/nope.example/epochs/4/cosignatures/check')).status,
    ).toBe(404);
    // Above the node's 16 KiB general limit is accepted, up to the route's 128 KiB.
    const comments = `${'# a comment line\n'.repeat(2000)}quorum none\n`;
    expect((await check({ policy: comments })).status).toBe(200);
    const huge = await check({ policy: `${'#'.repeat(140 * 1024)}\nquorum none\n` });
    expect(huge).toMatchObject({ status: 413, body: { error: 'body-too-large' } });
    const text = await api.app.inject({
      method: 'POST',
      url: `/namespaces/${NS}/epochs/4/cosignatures/check`,
      headers: { 'content-type': 'text/plain' },
      payload: 'quorum none\n',
    });
    expect(text.statusCode).toBe(415);
  });

  it('is listed in /openapi.json with its body schema', async () => {
    const r = await api.app.inject({ method: 'GET', url: '/openapi.json' });
    const doc = parseJson(r.body) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
    };
    const op = doc.paths['/namespaces/{ns}/epochs/{epoch}/cosignatures/check']?.post;
    expect(op?.requestBody?.content['application/json']?.schema).toMatchObject({
      properties: { policy: { type: 'string' }, policy_only: { type: 'boolean' } },
      required: ['policy'],
    });
  });
});

describe('POST …/cosignatures/check is rate-limited', () => {
  it('the write limit applies: over it is a 429', async () => {
    const tmp = tempDir();
    const db = await openDatabase(join(tmp.dir, 'db'));
    const api = await makeApi(db, 2);
    try {
      await api.observations.storeObservation(signedObservation(testKey(0), NS, 4n, D));
      const post = () =>
        api.app.inject({
          method: 'POST',
          url: `/namespaces/${NS}/epochs/4/cosignatures/check`,
          headers: { 'content-type': 'application/json' },
          payload: stringifyJson({ policy: 'quorum none\n' }),
        });
      expect((await post()).statusCode).toBe(200);
      expect((await post()).statusCode).toBe(200);
      const third = await post();
      expect(third.statusCode).toBe(429);
      expect(parseJson(third.body)).toMatchObject({ error: 'rate-limited' });
    } finally {
      await api.app.close();
      await db.close();
      tmp.cleanup();
    }
  });
});
