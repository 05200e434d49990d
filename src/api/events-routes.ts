// GET /events: Server-Sent Events of the node's event log, resumable with Last-Event-ID.
import type { FastifyInstance } from 'fastify';
import type { EventLog, NodeEvent } from '../node/events.js';
import { stringifyJson } from '../util/json.js';
import { BadRequestError } from '../node/errors.js';
import { errorMessage } from '../util/errors.js';

const HEARTBEAT_MS = 15_000;

function frame(e: NodeEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${stringifyJson({ ...e.data, type: e.type, time: e.time })}\n\n`;
}

export function registerEventRoutes(app: FastifyInstance, events: EventLog): void {
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
      return reply.code(200).header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache, no-transform').send();
    }
    reply.hijack();
    const res = reply.raw;
    let closed = false;
    // Nothing is written once the client is gone: a write after the end would be an unhandled
    // 'error' on the response, which takes the whole process down.
    const write = (chunk: string): void => {
      if (!closed && !res.writableEnded && !res.destroyed) res.write(chunk);
    };
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    write(': chorus events\nretry: 2000\n\n');

    // Replay what the client missed, then stream; events arriving during the replay are queued.
    const queue: NodeEvent[] = [];
    let replaying = true;
    let sent = after;
    const send = (e: NodeEvent) => {
      if (e.id <= sent) return;
      sent = e.id;
      if (wanted(e)) write(frame(e));
    };
    const onEvent = (e: NodeEvent) => (replaying ? queue.push(e) : send(e));
    events.on('event', onEvent);
    const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      events.off('event', onEvent);
      open.delete(close);
      res.end();
    };
    open.add(close);
    req.raw.on('close', close);
    res.on('close', close);
    res.on('error', (err) => {
      req.log.debug({ err: errorMessage(err) }, 'event stream ended by a write error');
      close();
    });
    if (req.raw.destroyed || res.destroyed) close(); // gone before the listeners were attached
    try {
      while (!closed) {
        const batch = await events.since(sent, 500);
        for (const e of batch) send(e);
        if (batch.length < 500) break;
      }
    } finally {
      replaying = false;
      for (const e of queue) send(e);
      queue.length = 0;
    }
  });
}
