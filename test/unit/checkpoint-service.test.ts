// The checkpoint service on real LevelDB (docs/c2sp.md, "Checkpoints in the network"): cosigning once
// per size, ingesting and merging notes, publishing only new signatures, conflicts becoming proofs,
// sync between two stores, and the monitoring path and proof list over HTTP (fastify inject).
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { akdCheckpointBody } from '../../src/c2sp/akd-checkpoint.js';
import { cosignatureVerifier, cosigner } from '../../src/c2sp/cosignature.js';
import { formatNote, openNote, parseNote } from '../../src/c2sp/signed-note.js';
import { checkpointPath } from '../../src/c2sp/witness-request.js';
import { registerCheckpointRoutes } from '../../src/api/checkpoint-routes.js';
import { createServer } from '../../src/api/server.js';
import {
  checkCheckpointEquivocationProof,
  decodeCheckpointProof,
} from '../../src/consensus/checkpoint-equivocation.js';
import { Roster } from '../../src/consensus/roster.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { signingKeyFromSeed, type SigningKey } from '../../src/crypto/ed25519.js';
import type { SyncSession } from '../../src/p2p/index.js';
import {
  CannotCosignError,
  CheckpointService,
  OwnCosignatureConflictError,
  UnknownOriginError,
} from '../../src/services/checkpoint-service.js';
import { CheckpointStore } from '../../src/store/checkpoint-store.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { toHex } from '../../src/util/bytes.js';
import { decodeSyncCursor } from '../../src/wire/sync-cursor.js';
import { decodeSyncRequest } from '../../src/wire/sync-messages.js';
import { tempDir } from '../support/tmp.js';

const ORIGIN = 'whatsapp.kt/v2';
const NET = 'cks';
const keys = [1, 2, 3].map((b) => signingKeyFromSeed(new Uint8Array(32).fill(b))) as [
  SigningKey,
  SigningKey,
  SigningKey,
];
const names = ['org-a', 'org-b', 'org-c'] as const;
const roster = Roster.fromJson({
  network: NET,
  threshold: 2n,
  auditors: names.map((name, i) => ({ name, public_key: toHex(keys[i]!.publicKey) })),
  namespaces: [{ name: 'wa', checkpoint_origin: ORIGIN }],
});
const vkeys = roster.witnessVerifierKeys().map((k) => cosignatureVerifier(k.vkey));
const root = (b: number) => new Uint8Array(32).fill(b);
const NOW_MS = 1_800_000_000_000n;

interface Published {
  topic: string;
  data: Uint8Array;
}

describe('CheckpointService', () => {
  let tmp: ReturnType<typeof tempDir>;
  const dbs: RootDb[] = [];
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.close();
    tmp.cleanup();
  });

  async function node(i: 0 | 1 | 2, opts: { witnessName?: string | null } = {}) {
    const db = await openDatabase(join(tmp.dir, `db${i}`));
    dbs.push(db);
    const store = new CheckpointStore(db);
    await store.ready();
    const published: Published[] = [];
    const penalties: string[] = [];
    let clock = NOW_MS;
    const svc = new CheckpointService({
      store,
      roster,
      signingKey: () => keys[i],
      witnessName: opts.witnessName === null ? undefined : (opts.witnessName ?? names[i]),
      auditorName: names[i],
      now: () => clock,
      maxFutureMs: 600_000n,
      logger: pino({ level: 'silent' }),
      network: {
        networkName: NET,
        publish: async (topic, data) => {
          published.push({ topic, data });
          return true;
        },
        penalize: (peer, topic, count, reason) => void penalties.push(`${peer} ${count} ${reason}`),
      },
    });
    return { svc, store, published, penalties, tick: (ms: bigint) => (clock += ms) };
  }

  const noteOf = (p: Published) => new TextDecoder().decode(p.data);

  it('cosigns once per size, stores before publishing, and serves a note any verifier accepts', async () => {
    const a = await node(0);
    const body = akdCheckpointBody(ORIGIN, 7n, root(1));
    const r = await a.svc.cosignAndPublish(body);
    expect(r.fresh).toBe(true);
    expect(a.published.map((p) => p.topic)).toEqual([`/chorus/1/${NET}/checkpoints`]);
    const opened = openNote(r.note, vkeys);
    expect(opened.note.text).toBe(body);
    expect(opened.verified.map((v) => v.verifier.name)).toEqual(['org-a']);
    // The timestamp is now in POSIX seconds.
    expect(new DataView(r.cosignature.signature.buffer, r.cosignature.signature.byteOffset).getBigUint64(0)).toBe(
      NOW_MS / 1000n,
    );
    expect(await a.svc.latest(ORIGIN)).toEqual({ size: 7n, note: r.note });
    // The same body again: the same cosignature, nothing published.
    a.tick(5000n);
    const again = await a.svc.cosignAndPublish(body);
    expect(again.fresh).toBe(false);
    expect(again.cosignature).toEqual(r.cosignature);
    expect(a.published).toHaveLength(1);
    // Another body for the same size is never cosigned.
    await expect(a.svc.cosignAndPublish(akdCheckpointBody(ORIGIN, 7n, root(2)))).rejects.toThrow(
      OwnCosignatureConflictError,
    );
    expect((await a.store.bodies(ORIGIN, 7n)).map((b) => b.text)).toEqual([body]);
    await expect(a.svc.cosignAndPublish(akdCheckpointBody('other.example/v1', 1n, root(1)))).rejects.toThrow(
      UnknownOriginError,
    );
    const mute = await node(1, { witnessName: null });
    await expect(mute.svc.cosignAndPublish(body)).rejects.toThrow(CannotCosignError);
  });

  it('merges cosignatures from gossip; gossip is not re-published, API submissions are', async () => {
    const a = await node(0);
    const b = await node(1);
    const body = akdCheckpointBody(ORIGIN, 3n, root(3));
    await a.svc.cosignAndPublish(body);
    const fromA = a.published[0] as Published;
    expect(await b.svc.onGossipNote(fromA.data)).toEqual({ outcome: 'accept', reason: 'valid' });
    expect(await b.svc.onGossipNote(fromA.data)).toEqual({ outcome: 'ignore', reason: 'duplicate' });
    expect(b.published).toHaveLength(0);
    const mine = await b.svc.cosignAndPublish(body);
    expect(openNote(mine.note, vkeys).verified.map((v) => v.verifier.name)).toEqual(['org-a', 'org-b']);
    // B publishes only its own cosignature.
    expect(parseNote(noteOf(b.published[0] as Published)).signatures.map((s) => s.name)).toEqual(['org-b']);
    // A hears B's cosignature through the API (say, a view): stored and published, only the new one.
    const r = await a.svc.ingest(mine.note, 'api');
    expect(r).toMatchObject({ outcome: 'accept', reason: 'valid', origin: ORIGIN, size: 3n });
    expect(r.added.map((s) => s.signer)).toEqual(['org-b']);
    expect(parseNote(noteOf(a.published[1] as Published)).signatures.map((s) => s.name)).toEqual(['org-b']);
    expect((await a.svc.latest(ORIGIN))?.note).toBe(mine.note);
    // Junk is refused with a reason, and stores nothing.
    expect(await a.svc.ingest('junk', 'api')).toMatchObject({ outcome: 'reject', reason: 'undecodable' });
    expect(await b.svc.onGossipNote(new TextEncoder().encode(mine.note.replace('\n\n', '\n')))).toEqual({
      outcome: 'reject',
      reason: 'undecodable',
    });
  });

  it('turns two bodies for one size into one canonical proof, stored, published and accepted by peers', async () => {
    const a = await node(0);
    const c = await node(2);
    const b = await node(1);
    const one = akdCheckpointBody(ORIGIN, 9n, root(1));
    const two = akdCheckpointBody(ORIGIN, 9n, root(2));
    await a.svc.cosignAndPublish(one);
    await c.svc.cosignAndPublish(two);
    const r = await a.svc.ingest(noteOf(c.published[0] as Published), 'gossip');
    expect(r.outcome).toBe('accept');
    expect(r.equivocations.map((p) => [p.kind, p.signers])).toEqual([['split-view', ['org-a', 'org-c']]]);
    // What a serves stays its own body.
    expect(parseNote((await a.svc.latest(ORIGIN))?.note ?? '').text).toBe(one);
    const proofMsg = a.published.find((p) => p.topic.endsWith('/checkpoint-equivocations')) as Published;
    const proof = decodeCheckpointProof(proofMsg.data);
    expect(checkCheckpointEquivocationProof(proof, roster)).toMatchObject({ ok: true, kind: 'split-view' });
    expect(await b.svc.onGossipProof(proofMsg.data)).toEqual({ outcome: 'accept', reason: 'valid' });
    expect(await b.svc.onGossipProof(proofMsg.data)).toEqual({ outcome: 'ignore', reason: 'duplicate' });
    expect((await b.svc.listProofs()).map((p) => p.id)).toEqual((await a.svc.listProofs()).map((p) => p.id));
    // A monitor verifies it itself and reports it once.
    const printed: Record<string, unknown>[] = [];
    const monitor = new Monitor({
      roster,
      privateKey: await generateKeyPair('Ed25519'),
      bootstrap: [],
      logger: pino({ level: 'silent' }),
      print: (x) => void printed.push(x),
    });
    expect(await monitor.validators.checkpointProofs(proofMsg.data, 'peer')).toEqual({
      outcome: 'accept',
      reason: 'valid',
    });
    expect(await monitor.validators.checkpointProofs(proofMsg.data, 'peer')).toEqual({
      outcome: 'ignore',
      reason: 'duplicate',
    });
    expect(printed).toMatchObject([
      {
        type: 'equivocation',
        namespace: 'wa',
        epoch: 9n,
        checkpoint_origin: ORIGIN,
        kind: 'split-view',
        verified: true,
      },
    ]);
    // A witness that cosigns both bodies is convicted (a second fact, a second proof).
    const cBadTwice = cosigner('org-c', keys[2]).cosign(one, NOW_MS / 1000n);
    const r2 = await a.svc.ingest(formatNote({ text: one, signatures: [cBadTwice] }), 'gossip');
    expect(r2.equivocations.map((p) => [p.kind, p.signers])).toEqual([['witness-equivocation', ['org-c', 'org-c']]]);
    expect((await a.svc.listProofs()).map((p) => p.kind).sort()).toEqual(['split-view', 'witness-equivocation']);
    // A proof that proves nothing is rejected.
    const junk = { ...proof, second: proof.first };
    const { encodeCheckpointProof } = await import('../../src/consensus/checkpoint-equivocation.js');
    expect(await b.svc.onGossipProof(encodeCheckpointProof(junk))).toEqual({ outcome: 'reject', reason: 'same-body' });
  });

  it('syncs every note a peer holds after the last mark, and penalises junk', async () => {
    const a = await node(0);
    const b = await node(1);
    for (let e = 1n; e <= 5n; e++) await a.svc.cosignAndPublish(akdCheckpointBody(ORIGIN, e, root(Number(e))));
    const requests: string[] = [];
    const session = (server: CheckpointService, peerId = 'peer-a') =>
      ({
        peerId,
        request: async (bytes: Uint8Array) => {
          const req = decodeSyncRequest(bytes);
          requests.push(req.mode.kind);
          return server.serveSync(req, req.cursor.length ? decodeSyncCursor(req.cursor) : undefined);
        },
      }) as unknown as SyncSession;
    const small = new CheckpointService({
      store: b.store,
      roster,
      signingKey: () => keys[1],
      witnessName: 'org-b',
      auditorName: 'org-b',
      now: () => NOW_MS,
      maxFutureMs: 600_000n,
      logger: pino({ level: 'silent' }),
      syncPageSize: 2,
    });
    await small.pullSync(session(a.svc));
    expect(requests).toEqual(['checkpoints', 'checkpoints', 'checkpoints']);
    expect(await b.svc.latest(ORIGIN)).toEqual(await a.svc.latest(ORIGIN));
    expect(small.counters.syncNotes).toBe(5);
    // The mark holds: nothing is fetched twice; a new cosignature on an old size comes again.
    requests.length = 0;
    await small.pullSync(session(a.svc));
    expect(small.counters.syncNotes).toBe(5);
    expect(requests).toEqual(['checkpoints']);
    const c = await node(2);
    await a.svc.ingest((await c.svc.cosignAndPublish(akdCheckpointBody(ORIGIN, 2n, root(2)))).note, 'api');
    await small.pullSync(session(a.svc));
    expect(small.counters.syncNotes).toBe(6);
    const merged = openNote((await small.note(ORIGIN, 2n)) ?? '', vkeys);
    expect(merged.verified.map((v) => v.verifier.name)).toEqual(['org-a', 'org-c']);
    // A peer serving junk is penalised and the sync stops.
    const liar = {
      peerId: 'liar',
      request: async () => {
        const { encodeSyncResponse } = await import('../../src/wire/sync-messages.js');
        return encodeSyncResponse({ checkpointNotes: ['junk'], position: 1n, logId: new Uint8Array(16) });
      },
    } as unknown as SyncSession;
    await expect(b.svc.pullSync(liar)).rejects.toThrow(/invalid checkpoint note/);
    expect(b.penalties).toEqual(['liar 1 invalid-sync-checkpoint']);
  });

  it('serves the latest note at the monitoring path, 404 otherwise, and lists proofs', async () => {
    const a = await node(0);
    const c = await node(2);
    const { app } = await createServer({
      logger: pino({ level: 'silent' }),
      bodyLimitBytes: 16384,
      rateLimit: { max: 1000, windowMs: 60_000 },
    });
    registerCheckpointRoutes(app as FastifyInstance, a.svc);
    const path = `/${checkpointPath(ORIGIN)}`;
    expect((await app.inject({ method: 'GET', url: path })).statusCode).toBe(404);
    const r = await a.svc.cosignAndPublish(akdCheckpointBody(ORIGIN, 4n, root(4)));
    const res = await app.inject({ method: 'GET', url: path });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe(r.note);
    expect((await app.inject({ method: 'GET', url: `/${checkpointPath('nobody')}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/ABC/checkpoint' })).statusCode).toBe(400);
    await c.svc.cosignAndPublish(akdCheckpointBody(ORIGIN, 4n, root(5)));
    await a.svc.ingest(noteOf(c.published[0] as Published), 'gossip');
    const list = (await app.inject({ method: 'GET', url: '/checkpoints/equivocations' })).json() as {
      equivocations: { id: string; kind: string; size: number; origin: string }[];
    };
    expect(list.equivocations.map((e) => [e.kind, e.size, e.origin])).toEqual([['split-view', 4, ORIGIN]]);
    const one = await app.inject({ method: 'GET', url: `/checkpoints/equivocations/${list.equivocations[0]!.id}` });
    expect(one.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/checkpoints/equivocations/${'0'.repeat(64)}` })).statusCode).toBe(
      404,
    );
    // A newer size cosigned only by a peer is held but not served: the path serves what this node cosigned.
    const newer = await c.svc.cosignAndPublish(akdCheckpointBody(ORIGIN, 6n, root(6)));
    await a.svc.ingest(newer.note, 'gossip');
    expect((await a.svc.latest(ORIGIN))?.size).toBe(6n);
    expect((await app.inject({ method: 'GET', url: path })).body).toBe(r.note);
    const onlyPeers = await node(1);
    await onlyPeers.svc.ingest(newer.note, 'gossip');
    expect((await onlyPeers.svc.latest(ORIGIN))?.size).toBe(6n);
    expect(await onlyPeers.svc.latestCosigned(ORIGIN)).toBeUndefined();
    await app.close();
  });

  it('counts the roster auditors whose cosignature it holds on one root of a size (GET /witness/logs)', async () => {
    const a = await node(0);
    const b = await node(1);
    const body = akdCheckpointBody(ORIGIN, 3n, root(3));
    expect(await a.svc.cosignerCount(ORIGIN, 3n, root(3))).toBe(0);
    await a.svc.cosignAndPublish(body);
    expect(await a.svc.cosignerCount(ORIGIN, 3n, root(3))).toBe(1);
    await a.svc.ingest((await b.svc.cosignAndPublish(body)).note, 'api');
    expect(await a.svc.cosignerCount(ORIGIN, 3n, root(3))).toBe(2);
    // Another root at that size, or another size, has none of them.
    expect(await a.svc.cosignerCount(ORIGIN, 3n, root(4))).toBe(0);
    expect(await a.svc.cosignerCount(ORIGIN, 4n, root(3))).toBe(0);
  });
});
