// Issue 12 §5: GET /events with clients that ask for the whole history and never read. Real
// LevelDB, real HTTP over TCP on 127.0.0.1, raw sockets that never read what they asked for.
import { connect, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { assertBuilt, CLI } from '../support/node-process.js';
import {
  DEFAULT_EVENT_STREAM_LIMITS,
  registerEventRoutes,
  type EventStreamLimits,
} from '../../src/api/events-routes.js';
import { createServer } from '../../src/api/server.js';
import { EventLog } from '../../src/services/event-log.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/network.js';

const MB = 1024 * 1024;
const ROOT = resolve(dirname(CLI), '..', '..', '..'); // CLI is ROOT/dist/src/cli/main.js

// The node side of the 500-client test: an event log of 3000 events (~400 bytes each) behind the
// real server and route, with a probe reporting open streams and memory after a collection.
const SERVER = `
const root = process.env.ROOT;
const { openDatabase } = await import(root + '/dist/src/store/database.js');
const { EventLog } = await import(root + '/dist/src/services/event-log.js');
const { createServer } = await import(root + '/dist/src/api/server.js');
const { registerEventRoutes } = await import(root + '/dist/src/api/events-routes.js');
const { pino } = await import('pino');
const db = await openDatabase(process.env.DB);
const events = new EventLog(db, () => BigInt(Date.now()));
await events.load();
const pad = 'x'.repeat(300);
for (let i = 0; i < 3000; i++) await events.append('epoch-signed', { namespace: 'n', epoch: BigInt(i), pad });
const { app } = await createServer({ logger: pino({ level: 'silent' }), bodyLimitBytes: 16384, rateLimit: { max: 100000, windowMs: 60000 } });
const routes = registerEventRoutes(app, events);
app.get('/probe', async () => {
  globalThis.gc();
  const m = process.memoryUsage();
  return { open: routes.openStreams(), rss: m.rss, retained: m.heapUsed + m.external };
});
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ port: app.server.address().port }));
`;

async function serve(events: EventLog, limits: Partial<EventStreamLimits>) {
  const { app } = await createServer({
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 16384,
    rateLimit: { max: 100_000, windowMs: 60_000 },
  });
  const routes = registerEventRoutes(app, events, limits);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, routes, port: (app.server.address() as { port: number }).port };
}

/** A client that asks for the stream and never reads a byte of the answer. */
function idleClient(port: number, lastEventId?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.pause();
      socket.write(
        `GET /events HTTP/1.1\r\nHost: x\r\n${lastEventId !== undefined ? `Last-Event-ID: ${lastEventId}\r\n` : ''}\r\n`,
      );
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
  const children: ChildProcess[] = [];

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
    for (const c of children) c.kill('SIGKILL');
    for (const app of servers) await app.close();
    for (const db of dbs) await db.close();
    tmp.cleanup();
  });

  it("500 clients replaying the whole history: at most maxClients served, the rest 503, the node's RSS bounded by the caps", async () => {
    // The node side runs in its own process (the compiled modules), so its RSS is the node's alone;
    // on a capped V8 heap, so a late collection cannot read as growth and a leak would crash it.
    assertBuilt();
    const server = spawn(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=192', '--input-type=module', '-e', SERVER],
      {
        cwd: ROOT,
        env: { ...process.env, ROOT, DB: join(tmp.dir, 'child-db') },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(server);
    const [line] = (await once(createInterface({ input: server.stdout! }), 'line')) as [string];
    const { port } = JSON.parse(line) as { port: number };
    const probe = async () =>
      (await (await fetch(`http://127.0.0.1:${port}/probe`)).json()) as { open: number; rss: number; retained: number };
    const { maxClients, maxBufferedBytes, replayPageSize } = DEFAULT_EVENT_STREAM_LIMITS;
    const before = await probe();
    for (let i = 0; i < 500; i++) sockets.push(await idleClient(port, '0'));
    await waitFor('the streams are open', async () => (await probe()).open === maxClients, 60_000);
    await new Promise((r) => setTimeout(r, 2000)); // let the served replays run
    const after = await probe();
    const grown = after.rss - before.rss;
    // Per served client: what it has not read (the cap) plus one replay page (~400 bytes an event here).
    const bound = maxClients * (maxBufferedBytes + replayPageSize * 400);
    const held = after.retained - before.retained;
    console.log(
      `events-backpressure: 500 idle clients asking for 3000 events (~1.2 MB) each: node retained heap+external +${(held / MB).toFixed(1)} MB ` +
        `(bound ${(bound / MB).toFixed(1)} MB + 16 MB), rss +${(grown / MB).toFixed(1)} MB (bound + 256 MB; noisy, shared CPU)`,
    );
    // What the node holds for its clients after a full collection: the caps, plus a margin for 100
    // open connections' own objects.
    expect(held).toBeLessThan(bound + 16 * MB);
    // RSS also keeps the heap's high-water mark from decoding 100 × 3000 events (V8 returns freed
    // pages to the system lazily), hence the generous margin; what the margin bounds is that it does
    // not grow with the history or the number of refused clients.
    expect(grown).toBeLessThan(bound + 256 * MB);
    expect(after.open).toBe(maxClients);

    const refused = await fetch(`http://127.0.0.1:${port}/events`);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'too-many-clients' });

    // The idle clients leave: their slots are free again and a reading client gets everything.
    for (const s of sockets.splice(0)) s.destroy();
    await waitFor('the streams are closed', async () => (await probe()).open === 0, 30_000);
    const ctrl = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/events?since=2990`, { signal: ctrl.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('id: 3000\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ctrl.abort();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([2991, 2992, 2993, 2994, 2995, 2996, 2997, 2998, 2999, 3000]);
  }, 180_000);

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
    for (let i = 0; i < 400 && routes.openStreams() > 0; i++)
      await events.append('validation-failed', { namespace: 'n', big });
    await waitFor('the slow reader is dropped', async () => routes.openStreams() === 0, 10_000);
  }, 60_000);
});
