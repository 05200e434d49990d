// POST /views in process (src/api/view-routes.ts) over the real server setup (src/api/server.ts), with a
// stand-in view service: the encodings each reach the right method, refusals map to their statuses,
// other media types stay 415, and the token bucket refills with the (injected) clock.
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createServer } from '../../src/api/server.js';
import { registerViewRoutes, type ViewRoutesContext } from '../../src/api/view-routes.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { encodeObservation, type Observation } from '../../src/consensus/observation.js';
import { Roster } from '../../src/consensus/roster.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { signatureResponseToJson } from '../../src/plexi/signature-response.js';
import { ViewRefusedError, type SignedView } from '../../src/services/view-reports.js';
import { toHex } from '../../src/util/bytes.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';

const key = signingKeyFromSeed(new Uint8Array(32).fill(1));
const roster = Roster.fromJson({
  network: 't',
  threshold: 1n,
  auditors: [{ name: 'org1', public_key: toHex(key.publicKey) }],
  namespaces: [{ name: 'ns' }],
});
const m = { ciphersuite: 1, namespace: 'ns', timestamp: 1000n, epoch: 7n, digest: new Uint8Array(32).fill(7) };
const view: Observation = { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };

describe('POST /views (in process)', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function serve(over: Partial<ViewRoutesContext> = {}, refuse?: ViewRefusedError) {
    const seen: (SignedView | Uint8Array)[] = [];
    const { app: a } = await createServer({
      logger: pino({ level: 'silent' }),
      bodyLimitBytes: 16384,
      rateLimit: { max: 1000, windowMs: 60_000 },
    });
    app = a;
    registerViewRoutes(a, {
      roster,
      bodyLimitBytes: 2048,
      rateLimit: { burst: 100, perMinute: 60 },
      views: {
        takesCheckpoints: true,
        submit: async (v) => {
          seen.push(v);
          if (refuse) throw refuse;
          return { outcome: 'new', view, signer: 'org1', compared: 0, held: [], proofs: [] };
        },
        submitCheckpoint: async (note) => {
          seen.push(note);
          return { outcome: 'consistent', origin: 'o', size: 3n, added: [], compared: 1, held: [], proofs: [] };
        },
      },
      ...over,
    });
    await a.ready();
    return { app: a, seen };
  }

  const post = (a: FastifyInstance, body: string | Buffer, type = 'application/json', ip = '10.0.0.1') =>
    a.inject({ method: 'POST', url: '/views', payload: body, headers: { 'content-type': type }, remoteAddress: ip });

  it('JSON, protobuf and note bodies each reach their method', async () => {
    const { app: a, seen } = await serve();
    const json = await post(a, stringifyJson({ ...signatureResponseToJson(view), signer_key: toHex(key.publicKey) }));
    expect(json.statusCode).toBe(200);
    expect(parseJson(json.body)).toMatchObject({ type: 'observation', outcome: 'new', epoch: 7n, signer: 'org1' });
    expect(seen[0]).toMatchObject({ kind: 'signature-response' });
    expect((seen[0] as { signerKey?: Uint8Array }).signerKey).toEqual(key.publicKey);
    const pb = await post(a, Buffer.from(encodeObservation(view)), 'application/x-protobuf');
    expect(pb.statusCode).toBe(200);
    expect(seen[1]).toMatchObject({ kind: 'observation', observation: { epoch: 7n } });
    const note = await post(a, 'o\n3\nAAAA\n\n\u2014 org1 AAAA\n', 'text/plain; charset=utf-8');
    expect(parseJson(note.body)).toMatchObject({ type: 'checkpoint', outcome: 'consistent', size: 3n });
    expect(new TextDecoder().decode(seen[2] as Uint8Array)).toContain('\u2014 org1');
  });

  it('bad bodies are 400 naming the problem, other media types 415, large bodies 413', async () => {
    const { app: a, seen } = await serve();
    const missing = await post(a, stringifyJson({ namespace: 'ns', epoch: 1n }));
    expect(missing.statusCode).toBe(400);
    expect(parseJson(missing.body)).toMatchObject({ error: 'invalid-request' });
    expect(missing.body).toMatch(/digest/);
    const badKey = await post(a, stringifyJson({ ...signatureResponseToJson(view), signer_key: 'abcd' }));
    expect(badKey.statusCode).toBe(400);
    expect((await post(a, 'junk', 'application/x-protobuf')).statusCode).toBe(400);
    expect((await post(a, 'x', 'application/xml')).statusCode).toBe(415);
    expect((await post(a, 'x'.repeat(3000), 'text/plain')).statusCode).toBe(413);
    expect(seen).toHaveLength(0);
  });

  it('without a checkpoint service a note is 415, like any media type the node does not take', async () => {
    const { app: a } = await serve({
      views: {
        takesCheckpoints: false,
        submit: async () => {
          throw new Error('not reached');
        },
        submitCheckpoint: async () => {
          throw new Error('not reached');
        },
      },
    });
    expect((await post(a, 'o\n3\nAAAA\n', 'text/plain')).statusCode).toBe(415);
  });

  it('refusals: 403 view-refused with the reason; 404 for a namespace or origin not known here', async () => {
    const body = stringifyJson(signatureResponseToJson(view));
    const forged = await serve({}, new ViewRefusedError('bad-signature', 'no'));
    const r = await post(forged.app, body);
    expect(r.statusCode).toBe(403);
    expect(parseJson(r.body)).toMatchObject({ error: 'view-refused', reason: 'bad-signature', message: 'no' });
    await forged.app.close();
    const elsewhere = await serve({}, new ViewRefusedError('unknown-namespace', 'not here'));
    expect((await post(elsewhere.app, body)).statusCode).toBe(404);
  });

  it('the token bucket: a burst per client, then 429 with Retry-After until the clock refills it', async () => {
    let now = 0;
    const { app: a } = await serve({ rateLimit: { burst: 2, perMinute: 2 }, nowMs: () => now });
    const body = stringifyJson(signatureResponseToJson(view));
    expect((await post(a, body)).statusCode).toBe(200);
    expect((await post(a, body)).statusCode).toBe(200);
    const limited = await post(a, body);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('30');
    expect(parseJson(limited.body)).toMatchObject({ error: 'rate-limited', retry_after_seconds: 30n });
    // Another client is not limited by the first one's bucket.
    expect((await post(a, body, 'application/json', '10.0.0.2')).statusCode).toBe(200);
    now = 29_000;
    expect((await post(a, body)).statusCode).toBe(429);
    now = 60_000;
    expect((await post(a, body)).statusCode).toBe(200);
  });
});
