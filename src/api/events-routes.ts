// GET /events: Server-Sent Events of the node's event log, resumable with Last-Event-ID.
//
// Bounded whatever the clients do (docs/design-decisions.md, "Event stream limits"): at most
// `maxClients` streams (more get 503); a replay is read from LevelDB one page at a time and each
// event waits until the client has taken what is buffered; a client that does not read for
// `drainTimeoutMs` during a replay, or lets more than `maxBufferedBytes` pile up while live, is
// disconnected (it reconnects with Last-Event-ID and loses nothing the log still holds). Events are
// never queued per client: the log is the queue, each client keeps only its position in it.
import type { FastifyInstance } from 'fastify';
import type { EventLog, NodeEvent } from '../services/event-log.js';
import { stringifyJson } from '../util/json.js';
import { BadRequestError, HttpError } from './http-errors.js';
import { errorMessage } from '../util/errors.js';

const HEARTBEAT_MS = 15_000;

export interface EventStreamLimits {
  /** Open streams at most; one more is answered 503 `too-many-clients`. */
  maxClients: number;
  /** Bytes a client may leave unread in the node's buffer before it is disconnected. */
  maxBufferedBytes: number;
  /** Events read from the store per replay step. */
  replayPageSize: number;
  /** How long a replay waits for a client to read before giving up on it. */
  drainTimeoutMs: number;
}

export const DEFAULT_EVENT_STREAM_LIMITS: EventStreamLimits = {
  maxClients: 100,
  maxBufferedBytes: 256 * 1024,
  replayPageSize: 100,
  drainTimeoutMs: 30_000,
};

export class TooManyClientsError extends HttpError {
  constructor(max: number) {
    super(503, 'too-many-clients', `the event stream serves at most ${max} clients at once; retry later`);
  }
}

function frame(e: NodeEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${stringifyJson({ ...e.data, type: e.type, time: e.time })}\n\n`;
}

export function registerEventRoutes(
  app: FastifyInstance,
  events: EventLog,
  limits: Partial<EventStreamLimits> = {},
): { openStreams: () => number } {
  const lim: EventStreamLimits = { ...DEFAULT_EVENT_STREAM_LIMITS, ...limits };
  const open = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const close of open) close();
  });

  app.get('/events', async (req, reply) => {
    const raw = req.query as Record<string, string | string[] | undefined>;
    for (const [k, v] of Object.entries(raw)) {
      // A repeated parameter arrives as an array: refuse it rather than guess.
      if (Array.isArray(v)) throw new BadRequestError(`query parameter "${k}" may be given only once`, 'bad-query');
    }
    const q = raw as Record<string, string | undefined>;
    const last = (req.headers['last-event-id'] as string | undefined) ?? q.since;
    let after = events.lastId;
    if (last !== undefined) {
      if (!/^[0-9]{1,20}$/.test(last)) throw new BadRequestError('Last-Event-ID must be an event id', 'bad-event-id');
      after = BigInt(last);
    }
    const types = q.types ? new Set(q.types.split(',')) : undefined;
    const namespace = q.namespace;
    const wanted = (e: NodeEvent) => (!types || types.has(e.type)) && (!namespace || e.data.namespace === namespace);

    if (req.method === 'HEAD') {
      // The stream's head only: a HEAD request must not hold the connection open like a stream.
      return reply
        .code(200)
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .send();
    }
    if (open.size >= lim.maxClients) {
      // The connection is closed after the answer: a refused client keeps nothing open here.
      void reply.header('connection', 'close');
      throw new TooManyClientsError(lim.maxClients);
    }
    reply.hijack();
    const res = reply.raw;
    let closed = false;
    // Set once streaming starts; `close` may run before (a client gone at once).
    const live: { heartbeat?: ReturnType<typeof setInterval>; onEvent?: (e: NodeEvent) => void } = {};
    const close = (why?: string) => {
      if (closed) return;
      closed = true;
      clearInterval(live.heartbeat);
      if (live.onEvent) events.off('event', live.onEvent);
      open.delete(close);
      if (why) {
        req.log.info(
          { event: 'event-stream-dropped', reason: why, buffered: res.writableLength },
          `event stream client disconnected: ${why}`,
        );
        res.destroy(); // what it has not read is dropped with it
      } else {
        res.end();
      }
    };
    open.add(close);
    // Nothing is written once the client is gone: a write after the end would be an unhandled
    // 'error' on the response, which takes the whole process down.
    // The cap applies to what is already waiting, so one event larger than the cap still goes out.
    const write = (chunk: string): boolean => {
      if (closed || res.writableEnded || res.destroyed) return false;
      if (res.writableLength > lim.maxBufferedBytes) {
        close(`more than ${lim.maxBufferedBytes} bytes unread`);
        return false;
      }
      res.write(chunk);
      return true;
    };
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      // Hijacked: carry over the CORS header the server's hook set (src/api/server.ts).
      ...(reply.getHeader('access-control-allow-origin') ? { 'access-control-allow-origin': '*' } : {}),
    });
    write(': chorus events\nretry: 2000\n\n');

    let sent = after; // the last event id this client has been given (or filtered out)
    const deliver = (e: NodeEvent): boolean => {
      if (e.id <= sent) return true;
      sent = e.id;
      return wanted(e) ? write(frame(e)) : true;
    };
    const drained = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          close(`did not read for ${lim.drainTimeoutMs} ms`);
        }, lim.drainTimeoutMs);
        res.on('drain', done);
        res.on('close', done);
      });

    // Catching up reads the log page by page; an event arriving meanwhile only asks for another pass.
    let pumping = false;
    let again = false;
    const pump = async (): Promise<void> => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          for (;;) {
            if (closed) return;
            const page = await events.since(sent, lim.replayPageSize);
            for (const e of page) {
              if (!deliver(e)) return;
              if (res.writableNeedDrain) await drained();
              if (closed) return;
            }
            if (page.length < lim.replayPageSize) break;
          }
        } while (again && !closed);
      } catch (err) {
        req.log.warn(
          { event: 'event-stream-failed', err: errorMessage(err) },
          'could not read the event log for a client',
        );
        close('event log unreadable');
      } finally {
        pumping = false;
      }
    };
    // Live: the next event goes straight out; anything else (a gap, a replay in progress) is
    // fetched from the log by the pump.
    live.onEvent = (e: NodeEvent) => {
      if (closed || e.id <= sent) return;
      if (!pumping && e.id === sent + 1n) deliver(e);
      else void pump();
    };
    events.on('event', live.onEvent);
    live.heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
    req.raw.on('close', () => close());
    res.on('close', () => close());
    res.on('error', (err) => {
      req.log.debug({ err: errorMessage(err) }, 'event stream ended by a write error');
      close();
    });
    if (req.raw.destroyed || res.destroyed) close(); // gone before the listeners were attached
    await pump();
  });

  return { openStreams: () => open.size };
}
