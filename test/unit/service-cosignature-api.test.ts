// Where the API tallies co-signatures (issue 13 §7): GET /namespaces/:ns/epochs/:epoch/cosignatures
// on the real route module and server setup over a real LevelDB, without a socket (fastify
// inject). What it serves must be what a client's own check (checkCosignedEpoch) recomputes.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { PROTOBUF, registerNetworkRoutes } from '../../src/api/network-routes.js';
import { createServer } from '../../src/api/server.js';
import { checkCosignedEpoch, cosignedEpochFromJson, decodeCosignedEpoch } from '../../src/consensus/cosignature.js';
import type { Observation } from '../../src/consensus/observation.js';
import { verifyStrict } from '../../src/crypto/ed25519.js';
import { SigningService, Keyring } from '../../src/services/signing-service.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { SigningStore } from '../../src/store/signing-store.js';
import { toHex } from '../../src/util/bytes.js';
import { parseJson } from '../../src/util/json.js';
import { digestOf, pushNamespaceConfig, signedObservation, testKey, testRoster } from '../support/service-fixtures.js';
import { tempDir } from '../support/tmp.js';

const NS = 'cosig-api.example';
const logKey = testKey(20);
const roster = testRoster({ ns: NS, auditors: 4, threshold: 3, logKey });
const D = digestOf(0x5a);

/** The one place the route is wired: server, signing service (namespace lookup), observations. */
async function makeApi(db: RootDb): Promise<{ app: FastifyInstance; observations: ObservationStore }> {
  const now = () => 1000n;
  const { app } = await createServer({
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 16384,
    rateLimit: { max: 10_000, windowMs: 60_000 },
  });
  const config = pushNamespaceConfig(NS);
  const auditor = new SigningService(
    new SigningStore(db, { now }),
    new Keyring([{ key: testKey(0), notBefore: 0n }]),
    [config],
    now,
  );
  const observations = new ObservationStore(db);
  await observations.ready();
  registerNetworkRoutes(app, { signingService: auditor, observations, roster });
  await app.ready();
  return { app, observations };
}

describe('GET /namespaces/:ns/epochs/:epoch/cosignatures', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  let api: Awaited<ReturnType<typeof makeApi>>;
  const store = async (list: Observation[]) => {
    for (const o of list) await api.observations.storeObservation(o);
  };
  const get = async (url: string, accept = 'application/json') =>
    api.app.inject({ method: 'GET', url, headers: { accept } });
  const body = (r: { body: string }) => parseJson(r.body) as Record<string, unknown>;
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

  it('happy path: exactly the threshold of auditors is a quorum, and a client recomputes the same', async () => {
    await store([0, 1, 2].map((i) => signedObservation(testKey(i), NS, 4n, D)));
    await store([signedObservation(logKey, NS, 4n, D)]); // the log's own signature is no co-signature
    const r = await get(`/namespaces/${NS}/epochs/4/cosignatures`);
    expect(r.statusCode).toBe(200);
    const b = body(r);
    expect(b).toMatchObject({
      namespace: NS,
      epoch: 4n,
      digest: toHex(D),
      threshold: 3n,
      quorum: true,
      equivocated: false,
    });
    expect((b.cosignatures as { name: string }[]).map((c) => c.name).sort()).toEqual(['org1', 'org2', 'org3']);
    const check = await checkCosignedEpoch(cosignedEpochFromJson(b), roster, verifyStrict);
    expect(check).toMatchObject({ quorum: true, rejected: [] });
    const pb = await get(`/namespaces/${NS}/epochs/4/cosignatures`, PROTOBUF);
    expect(pb.headers['content-type']).toBe(PROTOBUF);
    expect(decodeCosignedEpoch(new Uint8Array(pb.rawPayload))).toEqual(cosignedEpochFromJson(b));
  });

  it('one auditor short of the threshold: served, but no quorum', async () => {
    await store([0, 1].map((i) => signedObservation(testKey(i), NS, 4n, D)));
    const b = body(await get(`/namespaces/${NS}/epochs/4/cosignatures`));
    expect(b).toMatchObject({ quorum: false, equivocated: false });
    expect(b.cosignatures).toHaveLength(2);
  });

  it('two digests: the most-signed is served, equivocated and never a quorum; ?digest= picks the other', async () => {
    const other = digestOf(0x01);
    await store([0, 1, 2].map((i) => signedObservation(testKey(i), NS, 4n, D)));
    await store([signedObservation(testKey(3), NS, 4n, other)]);
    expect(body(await get(`/namespaces/${NS}/epochs/4/cosignatures`))).toMatchObject({
      digest: toHex(D),
      quorum: false,
      equivocated: true,
    });
    const picked = body(await get(`/namespaces/${NS}/epochs/4/cosignatures?digest=${toHex(other)}`));
    expect(picked).toMatchObject({ digest: toHex(other), quorum: false, equivocated: true });
    expect((picked.cosignatures as { name: string }[]).map((c) => c.name)).toEqual(['org4']);
  });

  it('404 for an epoch or digest nobody observed and for an unknown namespace; 400 for a bad digest', async () => {
    await store([signedObservation(testKey(0), NS, 4n, D)]);
    expect((await get(`/namespaces/${NS}/epochs/5/cosignatures`)).statusCode).toBe(404);
    expect((await get(`/namespaces/${NS}/epochs/4/cosignatures?digest=${toHex(digestOf(9))}`)).statusCode).toBe(404);
    expect((await get('/namespaces/nope.example/epochs/4/cosignatures')).statusCode).toBe(404);
    expect((await get(`/namespaces/${NS}/epochs/4/cosignatures?digest=xyz`)).statusCode).toBe(400);
  });
});
