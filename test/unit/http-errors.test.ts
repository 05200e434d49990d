// Every domain error reaches HTTP clients with its status and the one error body, through the
// real server's error handler (src/api/http-errors.ts is the only place statuses are chosen).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createServer } from '../../src/api/server.js';
import {
  BadRequestError,
  HttpError,
  httpFailureOf,
  NotFoundError,
  UnauthorizedError,
} from '../../src/api/http-errors.js';
import * as domain from '../../src/services/errors.js';
import { DecodeError } from '../../src/util/errors.js';

const cases: { name: string; error: Error; status: number; body: Record<string, unknown> }[] = [
  {
    name: 'UnknownNamespaceError',
    error: new domain.UnknownNamespaceError('nope.example'),
    status: 404,
    body: { error: 'unknown-namespace', message: 'namespace "nope.example" is not audited by this node' },
  },
  {
    name: 'NotAuthenticatedError',
    error: new domain.NotAuthenticatedError('the bearer token is not valid for this namespace'),
    status: 401,
    body: { error: 'unauthorized', message: 'the bearer token is not valid for this namespace' },
  },
  {
    name: 'NotPermittedError',
    error: new domain.NotPermittedError('no-log-key', 'namespace "a" has no log key configured'),
    status: 403,
    body: { error: 'no-log-key', message: 'namespace "a" has no log key configured' },
  },
  {
    name: 'SubmissionRefusedError',
    error: new domain.SubmissionRefusedError('epoch-already-signed', 'epoch 5 is signed with another digest', {
      signed_digest: 'aa',
      submitted_digest: 'bb',
    }),
    status: 409,
    body: {
      error: 'epoch-already-signed',
      message: 'epoch 5 is signed with another digest',
      signed_digest: 'aa',
      submitted_digest: 'bb',
    },
  },
  {
    name: 'SigningUnavailableError',
    error: new domain.SigningUnavailableError('signing is halted: doppelganger', { halted_because: 'doppelganger' }),
    status: 503,
    body: { error: 'signing-halted', message: 'signing is halted: doppelganger', halted_because: 'doppelganger' },
  },
  {
    name: 'InvalidRequestError',
    error: new domain.InvalidRequestError('namespace-mismatch', 'the report is for namespace "b", not "a"'),
    status: 400,
    body: { error: 'namespace-mismatch', message: 'the report is for namespace "b", not "a"' },
  },
];

describe('HTTP statuses of typed errors', () => {
  let app: FastifyInstance;
  const thrown = new Map<string, Error>();

  beforeAll(async () => {
    ({ app } = await createServer({
      logger: pino({ level: 'silent' }),
      bodyLimitBytes: 1024,
      rateLimit: { max: 1000, windowMs: 60_000 },
    }));
    app.get('/throw/:name', async (req) => {
      throw thrown.get((req.params as { name: string }).name) as Error;
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it('names every error class the domain exports', () => {
    const exported = Object.entries(domain)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k)
      .sort();
    expect(cases.map((c) => c.name).sort()).toEqual(exported);
  });

  for (const c of cases) {
    it(`${c.name} is a ${c.status} with its code, message and details`, async () => {
      thrown.set(c.name, c.error);
      const r = await app.inject({ method: 'GET', url: `/throw/${c.name}` });
      expect(r.statusCode).toBe(c.status);
      expect(r.json()).toEqual(c.body);
    });
  }

  it("the api's own errors keep their status; other typed errors are 400; anything else is 500", async () => {
    const more: [string, Error, number, Record<string, unknown>][] = [
      [
        'not-found',
        new NotFoundError('no signature for epoch 3'),
        404,
        { error: 'not-found', message: 'no signature for epoch 3' },
      ],
      [
        'unauthorized',
        new UnauthorizedError('the admin token is required'),
        401,
        { error: 'unauthorized', message: 'the admin token is required' },
      ],
      [
        'bad-epoch',
        new BadRequestError('epoch: not a u64', 'bad-epoch'),
        400,
        { error: 'bad-epoch', message: 'epoch: not a u64' },
      ],
      [
        'no-network',
        new HttpError(409, 'no-network', 'no libp2p host'),
        409,
        { error: 'no-network', message: 'no libp2p host' },
      ],
      ['decode', new DecodeError('bad hex'), 400, { error: 'decode-error', message: 'bad hex' }],
      ['bug', new TypeError('x is undefined'), 500, { error: 'internal', message: 'internal error' }],
    ];
    for (const [name, error, status, body] of more) {
      thrown.set(name, error);
      const r = await app.inject({ method: 'GET', url: `/throw/${name}` });
      expect([name, r.statusCode, r.json()]).toEqual([name, status, body]);
    }
  });

  it('httpFailureOf leaves untyped errors to the caller', () => {
    expect(httpFailureOf(new Error('boom'))).toBeUndefined();
    expect(httpFailureOf('a string')).toBeUndefined();
    expect(httpFailureOf(new domain.UnknownNamespaceError('x'))?.status).toBe(404);
  });
});
