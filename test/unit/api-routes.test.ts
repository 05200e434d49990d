// Route-level regressions found by the HTTP fuzzing (test/reliability/fuzz-http.reliability.ts),
// on the real route modules behind the real server setup, without a socket (fastify inject).
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { registerAdminRoutes, type PeerAdministration } from '../../src/api/admin-routes.js';
import { registerEventRoutes } from '../../src/api/events-routes.js';
import { createServer } from '../../src/api/server.js';
import { EventLog } from '../../src/services/event-log.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { SigningStore } from '../../src/store/signing-store.js';
import { tempDir } from '../support/tmp.js';

const ADMIN = 'admin-token';
const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN';

describe('routes given hostile input', () => {
  const tmp = tempDir();
  let db: RootDb;
  let app: FastifyInstance;
  let events: EventLog;
  let port = 0;
  const blocked: string[] = [];

  beforeAll(async () => {
    db = await openDatabase(join(tmp.dir, 'db'));
    const now = () => BigInt(Date.now());
    ({ app } = await createServer({
      logger: pino({ level: 'silent' }),
      bodyLimitBytes: 16384,
      rateLimit: { max: 1000, windowMs: 60_000 },
    }));
    events = new EventLog(db, now);
    registerEventRoutes(app, events);
    const peers: PeerAdministration = {
      blockPeer: async (p) => void blocked.push(p),
      unblockPeer: (p) => void blocked.push(`-${p}`),
      status: () => ({}),
    };
    registerAdminRoutes(app, {
      adminTokenSha256: createHash('sha256').update(ADMIN).digest(),
      signing: new SigningStore(db, { now }),
      peers,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app.close();
    await db.close();
    tmp.cleanup();
  });

  // Was a 500: a repeated parameter is an array, and `types.split` a TypeError.
  it('GET /events with a repeated query parameter is a 400', async () => {
    for (const q of ['types=epoch-signed&types=equivocation', 'since=1&since=2', 'namespace=a&namespace=b']) {
      const r = await app.inject({ method: 'GET', url: `/events?${q}` });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({ error: 'bad-query' });
    }
    expect(
      (await app.inject({ method: 'GET', url: '/events', headers: { 'last-event-id': 'x' } })).json(),
    ).toMatchObject({ error: 'bad-event-id' });
  });

  // Was a hang: the stream's head was never flushed for HEAD, and the connection held forever.
  it('HEAD /events answers at once', async () => {
    const r = await app.inject({ method: 'HEAD', url: '/events' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/event-stream');
  });

  /** Opens GET /events with a Last-Event-ID and reads until `until` says so; then closes. */
  const stream = (lastId: string, until: (text: string) => boolean, during?: () => Promise<unknown>): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () =>
        socket.write(`GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: ${lastId}\r\n\r\n`),
      );
      let text = '';
      let started = false;
      socket.on('data', (c: Buffer) => {
        text += c.toString();
        if (!started && during) {
          started = true;
          during().catch(reject);
        }
        if (until(text)) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });

  // Was a crash of the whole process: a client that leaves during the replay made the route write
  // after the response had ended, an unhandled 'error' event (ERR_STREAM_WRITE_AFTER_END).
  it('a client leaving /events during the replay does not take the process down', async () => {
    for (let i = 0; i < 1500; i++) await events.append('epoch-signed', { namespace: 'n', epoch: BigInt(i) });
    for (let k = 0; k < 40; k++) await stream('0', (t) => t.includes('retry: 2000'));
    // As the fuzzer found it: two pipelined requests, then the client ends its side at once.
    const twice = Buffer.from('GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\n\r\n'.repeat(2));
    for (let k = 0; k < 40; k++) {
      await new Promise<void>((resolve) => {
        const socket = connect({ port, host: '127.0.0.1' }, () => socket.end(twice));
        socket.on('data', () => undefined);
        socket.on('close', () => resolve());
      });
    }
    // Streams still work: the replay arrives, then a new event.
    const last = events.lastId;
    const text = await stream(
      String(last - 2n),
      (t) => t.includes(`id: ${last + 1n}\n`),
      () => events.append('quorum-reached', { namespace: 'n' }),
    );
    expect(text).toContain(`id: ${last}\n`);
    expect(text).toContain('event: quorum-reached');
  });

  // Was a 500: peerIdFromString's own errors reached the error handler.
  it('admin block/unblock with a malformed peer id is a 400, after authentication', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    for (const peer of ['garbage', '12D3KooWxxxxxxxx', 'x%2Fy', '%00', 'Qm', '11%3AOlQ']) {
      for (const action of ['block', 'unblock']) {
        const r = await app.inject({ method: 'POST', url: `/admin/peers/${peer}/${action}`, headers: auth });
        expect(r.statusCode, `${action} ${peer}`).toBe(400);
        expect(r.json()).toMatchObject({ error: 'bad-peer-id' });
      }
    }
    expect((await app.inject({ method: 'POST', url: '/admin/peers/garbage/block' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: `/admin/peers/${PEER}/block`, headers: auth })).json()).toEqual({
      blocked: PEER,
    });
    expect(blocked).toEqual([PEER]);
  });
});
