// The tlog witness (src/services/tlog-witness.ts, src/store/witness-state-store.ts, src/api/witness-routes.ts)
// over a real LevelDB: a log built here (RFC 6962 tree, Ed25519 checkpoint signatures) walked through every
// status, the spec's example request, the record kept across a crash between persist and respond, requests
// for one origin serialised, and the HTTP answers byte for byte.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkpointPath,
  consistencyProof,
  cosigner,
  cosignatureVerifier,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatAddCheckpointRequest,
  formatCheckpoint,
  leafHash,
  openNote,
  parseAddCheckpointResponse,
  parseNote,
  rootOf,
  signNote,
  type NoteSignature,
} from '../../src/c2sp/index.js';
import { createServer } from '../../src/api/server.js';
import { registerWitnessRoutes } from '../../src/api/witness-routes.js';
import { TlogWitness, type CheckpointCosigner } from '../../src/services/tlog-witness.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { advanceProblem, WitnessStateRollbackError, WitnessStateStore } from '../../src/store/witness-state-store.js';
import { tempDir } from '../support/tmp.js';
import { SPEC_REQUEST } from '../support/c2sp-spec-examples.js';

const ORIGIN = 'example.com/test-log';
const log = ed25519NoteSigner(ORIGIN, new Uint8Array(32).fill(3));
const otherLog = ed25519NoteSigner(ORIGIN, new Uint8Array(32).fill(4));
const witnessKey = cosigner('witness.example/chorus', new Uint8Array(32).fill(5));
const leaves = Array.from({ length: 40 }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));
const forked = leaves.map((l, i) => (i === 2 ? leafHash(new TextEncoder().encode('forged')) : l));
const silent = pino({ level: 'silent' });

function checkpointText(size: number, tree = leaves, origin = ORIGIN): string {
  return formatCheckpoint({ origin, size: BigInt(size), rootHash: rootOf(tree.slice(0, size)), extensions: [] });
}
function signed(size: number, tree = leaves, signer = log): string {
  return signNote(checkpointText(size, tree), [signer]);
}
function request(oldSize: number, size: number, tree = leaves, signer = log): string {
  const proof = oldSize === 0 || oldSize === size ? [] : consistencyProof(tree.slice(0, size), oldSize);
  return formatAddCheckpointRequest(BigInt(oldSize), proof, signed(size, tree, signer));
}

describe('tlog witness', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  let state: WitnessStateStore;
  const forks: string[] = [];
  const plainCosign: CheckpointCosigner = async (body) => [witnessKey.cosign(body, 1_700_000_000n)];

  const witnessWith = (cosign: CheckpointCosigner = plainCosign, extraLogs: { origin: string; vkey: string }[] = []) =>
    new TlogWitness({
      logs: [
        { namespace: 'test-log', origin: ORIGIN, logVerifierKeys: [log.vkey] },
        ...extraLogs.map((l, i) => ({ namespace: `extra-${i}`, origin: l.origin, logVerifierKeys: [l.vkey] })),
      ],
      state,
      cosign,
      now: () => 1_700_000_000_123n,
      logger: silent,
      onFork: async (note) => {
        forks.push(note);
      },
    });

  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
    state = new WitnessStateStore(db);
    forks.length = 0;
  });
  afterEach(async () => {
    await db.close();
    tmp.cleanup();
  });

  it("the spec's example request: 404 for an origin not witnessed, 403 when no trusted key signed it", async () => {
    expect(await witnessWith().addCheckpoint(SPEC_REQUEST)).toMatchObject({ status: 404 });
    const sofa = ed25519NoteSigner('example.com/behind-the-sofa', new Uint8Array(32).fill(9));
    const w = witnessWith(plainCosign, [{ origin: 'example.com/behind-the-sofa', vkey: sofa.vkey }]);
    expect(await w.addCheckpoint(SPEC_REQUEST)).toMatchObject({ status: 403 });
    expect(await state.all()).toEqual([]);
  });

  it('cosigns a growing log, answering with a cosignature that verifies on the checkpoint', async () => {
    const w = witnessWith();
    const first = await w.addCheckpoint(request(0, 5));
    expect(first.status).toBe(200);
    const sigs = parseAddCheckpointResponse((first as { body: string }).body);
    expect(sigs).toHaveLength(1);
    const opened = openNote({ text: checkpointText(5), signatures: sigs as NoteSignature[] }, [
      cosignatureVerifier(witnessKey.vkey),
    ]);
    expect(opened.verified).toHaveLength(1);
    expect(await state.latest(ORIGIN)).toMatchObject({ size: 5n, rootHash: rootOf(leaves.slice(0, 5)) });
    // The record keeps the note as the log signed it.
    expect(parseNote((await state.latest(ORIGIN))?.note ?? '').text).toBe(checkpointText(5));
    expect((await w.addCheckpoint(request(5, 17))).status).toBe(200);
    expect((await w.addCheckpoint(request(17, 17))).status).toBe(200); // the same checkpoint again
    expect((await w.addCheckpoint(request(17, 40))).status).toBe(200);
    expect((await state.latest(ORIGIN))?.size).toBe(40n);
  });

  it('refuses with the spec statuses and never moves the record on a refusal', async () => {
    const w = witnessWith();
    expect((await w.addCheckpoint(request(0, 10))).status).toBe(200);
    expect(await w.addCheckpoint(request(0, 12))).toMatchObject({ status: 409, latestSize: 10n });
    expect(await w.addCheckpoint(request(9, 12))).toMatchObject({ status: 409, latestSize: 10n });
    expect((await w.addCheckpoint(request(10, 12, leaves, otherLog))).status).toBe(403);
    // A consistency proof from another tree does not verify.
    const bad = formatAddCheckpointRequest(10n, consistencyProof(forked.slice(0, 12), 10), signed(12));
    expect((await w.addCheckpoint(bad)).status).toBe(422);
    expect((await w.addCheckpoint('old 12\n\n' + signed(10))).status).toBe(400); // old size above size
    expect((await w.addCheckpoint('not a request')).status).toBe(400);
    expect((await w.addCheckpoint(new Uint8Array([0xff, 0xfe, 0x0a, 0x0a]))).status).toBe(400);
    // A note larger than the network carries (8 KiB) is refused before anything is checked or recorded.
    const text = checkpointText(12).slice(0, -1) + '\n' + 'x'.repeat(9000) + '\n';
    const big = await w.addCheckpoint(`old 10\n\n${signNote(text, [log])}`);
    expect(big).toMatchObject({ status: 400, message: expect.stringMatching(/over 8192/) });
    expect(forks).toEqual([]);
    expect((await state.latest(ORIGIN))?.size).toBe(10n);
  });

  it('a log-signed other root at a recorded size is a 422 and handed on as evidence of a fork', async () => {
    const w = witnessWith();
    expect((await w.addCheckpoint(request(0, 8))).status).toBe(200);
    const fork = await w.addCheckpoint(request(8, 8, forked));
    expect(fork.status).toBe(422);
    expect(forks).toHaveLength(1);
    const evidence = parseNote(forks[0] as string);
    expect(evidence.text).toBe(checkpointText(8, forked));
    // The log's signature, nothing else, and it verifies.
    expect(evidence.signatures).toHaveLength(1);
    expect(openNote(evidence, [ed25519NoteVerifier(log.vkey)]).verified).toHaveLength(1);
    expect((await state.latest(ORIGIN))?.rootHash).toEqual(rootOf(leaves.slice(0, 8)));
    // From a stale old size it is a 409, and still evidence (the log's signature verified first).
    expect(await w.addCheckpoint(request(0, 8, forked))).toMatchObject({ status: 409, latestSize: 8n });
    expect(forks).toHaveLength(2);
    // A bad proof at a new size is no evidence of a fork: refused, not reported.
    const proof = consistencyProof(leaves.slice(0, 12), 8).map((h) => Uint8Array.from(h));
    const first = proof[0] as Uint8Array;
    first[0] = (first[0] as number) ^ 1;
    const bad = formatAddCheckpointRequest(8n, proof, signed(12));
    expect((await w.addCheckpoint(bad)).status).toBe(422);
    expect(forks).toHaveLength(2);
    // A failing report does not turn the refusal into an error.
    const failing = new TlogWitness({
      logs: [{ namespace: 'test-log', origin: ORIGIN, logVerifierKeys: [log.vkey] }],
      state,
      cosign: plainCosign,
      now: () => 1n,
      logger: silent,
      onFork: async () => {
        throw new Error('store unavailable');
      },
    });
    expect((await failing.addCheckpoint(request(8, 8, forked))).status).toBe(422);
  });

  it('a crash after the record is written and before the answer keeps the record: no second root later', async () => {
    const crashing = witnessWith(async () => {
      throw new Error('power cut');
    });
    await expect(crashing.addCheckpoint(request(0, 6))).rejects.toThrow('power cut');
    await db.close();
    db = await openDatabase(join(tmp.dir, 'db'));
    state = new WitnessStateStore(db);
    expect((await state.latest(ORIGIN))?.size).toBe(6n);
    const w = witnessWith();
    // Another root for size 6 is refused, whatever the old size the log sends.
    expect(await w.addCheckpoint(request(0, 6, forked))).toMatchObject({ status: 409, latestSize: 6n });
    expect((await w.addCheckpoint(request(6, 6, forked))).status).toBe(422);
    // The checkpoint that was recorded gets its cosignature when asked again.
    expect((await w.addCheckpoint(request(6, 6))).status).toBe(200);
  });

  it('requests for one origin are serialised: of two from the same old size, one is cosigned, one is a 409', async () => {
    const order: string[] = [];
    const slow: CheckpointCosigner = async (body) => {
      order.push(`start ${body.split('\n')[1]}`);
      await new Promise((r) => setTimeout(r, 30));
      order.push(`end ${body.split('\n')[1]}`);
      return plainCosign(body, []);
    };
    const w = witnessWith(slow);
    const [a, b] = await Promise.all([w.addCheckpoint(request(0, 5)), w.addCheckpoint(request(0, 9))]);
    expect(a.status).toBe(200);
    expect(b).toMatchObject({ status: 409, latestSize: 5n });
    expect(order).toEqual(['start 5', 'end 5']);
    // A chain sent at once is applied in order, each step from the one before.
    const chain = await Promise.all([w.addCheckpoint(request(5, 9)), w.addCheckpoint(request(9, 20))]);
    expect(chain.map((r) => r.status)).toEqual([200, 200]);
    expect(order).toEqual(['start 5', 'end 5', 'start 9', 'end 9', 'start 20', 'end 20']);
    expect((await state.latest(ORIGIN))?.size).toBe(20n);
  });

  it('the store refuses to roll back or to give a size a second root, whatever the caller asks', async () => {
    const root = (n: number) => rootOf(leaves.slice(0, n));
    expect(advanceProblem(undefined, { size: 3n, rootHash: root(3) })).toBeNull();
    expect(advanceProblem({ size: 3n, rootHash: root(3) }, { size: 3n, rootHash: root(3) })).toBeNull();
    expect(advanceProblem({ size: 3n, rootHash: root(3) }, { size: 2n, rootHash: root(2) })).toMatch(/below/);
    await state.run(ORIGIN, (s) => s.persist({ size: 7n, rootHash: root(7), note: signed(7), recordedAt: 1n }));
    await expect(
      state.run(ORIGIN, (s) => s.persist({ size: 6n, rootHash: root(6), note: signed(6), recordedAt: 2n })),
    ).rejects.toBeInstanceOf(WitnessStateRollbackError);
    await expect(
      state.run(ORIGIN, (s) =>
        s.persist({ size: 7n, rootHash: rootOf(forked.slice(0, 7)), note: signed(7, forked), recordedAt: 2n }),
      ),
    ).rejects.toThrow(/another root hash/);
    expect(await state.latest(ORIGIN)).toMatchObject({ size: 7n, recordedAt: 1n });
  });

  it('over HTTP: 200 signature lines, 409 text/x.tlog.size exactly, JSON errors, a body cap, any content type', async () => {
    const w = witnessWith();
    const { app } = await createServer({
      logger: silent,
      bodyLimitBytes: 16 * 1024,
      rateLimit: { max: 1000, windowMs: 60_000 },
    });
    registerWitnessRoutes(app, { addCheckpoint: (b) => w.addCheckpoint(b), status: () => w.status() });
    try {
      const post = (payload: string | Buffer, headers: Record<string, string> = {}) =>
        app.inject({ method: 'POST', url: '/add-checkpoint', payload, headers });
      const ok = await post(request(0, 4), { 'content-type': 'text/plain' });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toMatch(/^— witness\.example\/chorus [A-Za-z0-9+/=]+\n$/);
      // No content type at all (a Buffer payload carries none).
      const bare = await app.inject({ method: 'POST', url: '/add-checkpoint', payload: Buffer.from(request(4, 4)) });
      expect(bare.raw.req.headers['content-type']).toBeUndefined();
      expect(bare.statusCode).toBe(200);
      const conflict = await post(request(0, 4));
      expect(conflict.statusCode).toBe(409);
      expect(conflict.headers['content-type']).toBe('text/x.tlog.size');
      expect(conflict.body).toBe('4\n');
      const unknown = await post(request(0, 4).replace(ORIGIN, 'example.com/other'), {
        'content-type': 'application/octet-stream',
      });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ error: 'unknown-origin' });
      const fork = await post(request(4, 4, forked));
      expect(fork.statusCode).toBe(422);
      expect(fork.json()).toMatchObject({ error: 'inconsistent-checkpoint' });
      const huge = await post('old 0\n\n' + 'x'.repeat(13 * 1024));
      expect(huge.statusCode).toBe(413);
      const get = await app.inject({ method: 'GET', url: '/add-checkpoint' });
      expect(get.statusCode).toBe(404);
      // The witnessed logs and what this node last cosigned of each.
      const logs = await app.inject({ method: 'GET', url: '/witness/logs' });
      expect(logs.statusCode).toBe(200);
      expect(logs.json()).toEqual({
        logs: [
          {
            namespace: 'test-log',
            origin: ORIGIN,
            log_vkeys: [log.vkey],
            checkpoint_path: `/${checkpointPath(ORIGIN)}`,
            cosigned: {
              size: 4,
              root_hash: Buffer.from(rootOf(leaves.slice(0, 4))).toString('base64'),
              recorded_at: 1_700_000_000_123,
            },
          },
        ],
      });
    } finally {
      await app.close();
    }
  });
});
