// Issue 12 §5: GET /events with clients that ask for the whole history and never read. Real
// LevelDB, real HTTP over TCP on 127.0.0.1, raw sockets that never read what they asked for.
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { DEFAULT_EVENT_STREAM_LIMITS, registerEventRoutes, type EventStreamLimits } from '../../src/api/events-routes.js';
import { createServer } from '../../src/api/server.js';
import { EventLog } from '../../src/node/events.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/network.js';

const MB = 1024 * 1024;

// Memory the process holds on to after a full collection: heap and Buffers (what a client's
// unread output occupies). RSS alone would count garbage the collector has not reclaimed yet.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
function retained(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function serve(events: EventLog, limits: Partial<EventStreamLimits>) {
  const { app } = await createServer({ logger: pino({ level: 'silent' }), bodyLimitBytes: 16384, rateLimit: { max: 100_000, windowMs: 60_000 } });
  const routes = registerEventRoutes(app, events, limits);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, routes, port: (app.server.address() as { port: number }).port };
}

/** A client that asks for the stream and never reads a byte of the answer. */
function idleClient(port: number, lastEventId?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.pause();
      socket.write(`GET /events HTTP/1.1\r\nHost: x\r\n${lastEventId !== undefined ? `Last-Event-ID: ${lastEventId}\r\n` : ''}\r\n`);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

describe('/events under clients that never read', () => {
  const tmp = tempDir();
  const dbs: RootDb[] = [];
  const servers: FastifyInstance[] = [];
  const sockets: Socket[] = [];

  /** An event log of `count` events, each padded to about `bytes`. */
  async function history(name: string, count: number, bytes: number): Promise<EventLog> {
    const db = await openDatabase(join(tmp.dir, name));
    dbs.push(db);
    const events = new EventLog(db, () => BigInt(Date.now()));
    const pad = 'x'.repeat(bytes);
    for (let i = 0; i < count; i++) await events.append('epoch-signed', { namespace: 'n', epoch: BigInt(i), pad });
    return events;
  }

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const app of servers) await app.close();
    for (const db of dbs) await db.close();
    tmp.cleanup();
  });

  it('500 clients replaying the whole history: at most maxClients served, the rest 503, memory bounded by the caps', async () => {
    const events = await history('many', 3000, 300);
    const { app, routes, port } = await serve(events, {});
    servers.push(app);
    const { maxClients, maxBufferedBytes, replayPageSize } = DEFAULT_EVENT_STREAM_LIMITS;
    const before = retained();
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < 500; i++) sockets.push(await idleClient(port, '0'));
    await waitFor('the streams are open', async () => routes.openStreams() === maxClients, 30_000);
    await new Promise((r) => setTimeout(r, 2000)); // let the served replays run
    const rssGrown = process.memoryUsage().rss - rssBefore;
    const grown = retained() - before;
    // Per served client: what it has not read (the cap) plus one replay page (~400 bytes an event here).
    const bound = maxClients * (maxBufferedBytes + replayPageSize * 400);
    console.log(
      `events-backpressure: 500 idle clients: retained heap+external +${(grown / MB).toFixed(1)} MB (bound ${(bound / MB).toFixed(1)} MB + 32 MB margin), ` +
        `rss +${(rssGrown / MB).toFixed(1)} MB (includes garbage not yet collected and both ends of 500 sockets in this one process; noisy, shared CPU)`,
    );
    expect(grown).toBeLessThan(bound + 32 * MB);
    expect(routes.openStreams()).toBe(maxClients);

    const refused = await fetch(`http://127.0.0.1:${port}/events`);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'too-many-clients' });

    // The idle clients leave: their slots are free again and a reading client gets everything.
    for (const s of sockets.splice(0)) s.destroy();
    await waitFor('the streams are closed', async () => routes.openStreams() === 0, 20_000);
    const ctrl = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/events?since=2990`, { signal: ctrl.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const live = await events.append('quorum-reached', { namespace: 'n' });
    while (!text.includes('event: quorum-reached')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ctrl.abort();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([2991, 2992, 2993, 2994, 2995, 2996, 2997, 2998, 2999, 3000, Number(live.id)]);
  }, 120_000);

  it('a client that stops reading during a replay is disconnected after the drain timeout', async () => {
    // ~10 MB of history: more than the kernel's socket buffers take for a client that does not read.
    const events = await history('big', 150, 64 * 1024);
    const { app, routes, port } = await serve(events, { maxClients: 3, drainTimeoutMs: 500 });
    servers.push(app);
    const reading = await fetch(`http://127.0.0.1:${port}/events?since=0`);
    const reader = reading.body!.getReader();
    // The reader takes the whole replay (read from the start) while the idle client is dropped.
    const readAll = (async () => {
      let got = 0;
      while (got < 150 * 64 * 1024) {
        const { value, done } = await reader.read();
        if (done) break;
        got += value.length;
      }
      return got;
    })();
    const s = await idleClient(port, '0');
    sockets.push(s);
    await waitFor('the idle client is dropped', async () => routes.openStreams() === 1, 20_000);
    expect(await readAll).toBeGreaterThan(150 * 64 * 1024);
    await reader.cancel();
  }, 60_000);

  it('a live client that stops reading is disconnected once more than maxBufferedBytes is unread', async () => {
    const events = await history('live', 1, 10);
    const { app, routes, port } = await serve(events, { maxBufferedBytes: 64 * 1024, drainTimeoutMs: 60_000 });
    servers.push(app);
    const s = await idleClient(port); // live only: no history
    sockets.push(s);
    await waitFor('the stream opens', async () => routes.openStreams() === 1, 5000);
    // Enough to fill the kernel's socket buffers (~4 MB here) and then the node's cap.
    const big = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 400 && routes.openStreams() > 0; i++) await events.append('validation-failed', { namespace: 'n', big });
    await waitFor('the slow reader is dropped', async () => routes.openStreams() === 0, 10_000);
  }, 60_000);
});
