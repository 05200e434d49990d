// GET /events: Server-Sent Events of the node's event log, resumable with Last-Event-ID.
import type { FastifyInstance } from 'fastify';
import type { EventLog, NodeEvent } from '../node/events.js';
import { stringifyJson } from '../util/json.js';
import { BadRequestError } from '../node/errors.js';

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
    const q = req.query as Record<string, string | undefined>;
    const last = (req.headers['last-event-id'] as string | undefined) ?? q.since;
    let after = events.lastId;
    if (last !== undefined) {
      if (!/^[0-9]{1,20}$/.test(last)) throw new BadRequestError('Last-Event-ID must be an event id', 'bad-event-id');
      after = BigInt(last);
    }
    const types = q.types ? new Set(q.types.split(',')) : undefined;
    const namespace = q.namespace;
    const wanted = (e: NodeEvent) => (!types || types.has(e.type)) && (!namespace || e.data.namespace === namespace);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': chorus events\nretry: 2000\n\n');

    // Replay what the client missed, then stream; events arriving during the replay are queued.
    const queue: NodeEvent[] = [];
    let replaying = true;
    let sent = after;
    const send = (e: NodeEvent) => {
      if (e.id <= sent) return;
      sent = e.id;
      if (wanted(e)) res.write(frame(e));
    };
    const onEvent = (e: NodeEvent) => (replaying ? queue.push(e) : send(e));
    events.on('event', onEvent);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const close = () => {
      clearInterval(heartbeat);
      events.off('event', onEvent);
      open.delete(close);
      res.end();
    };
    open.add(close);
    req.raw.on('close', close);
    try {
      for (;;) {
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
