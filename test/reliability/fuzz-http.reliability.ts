// Fuzzing the HTTP API of a real node process (issue 7 item 4, "fuzz-http"). One node (its own OS
// process, real TCP, LevelDB, AKD validation of a synthetic log from a file:// proof directory, a
// roster) gets batches of malformed requests on every route, over raw sockets so nothing is
// cleaned up on the way: unknown routes and methods, path traversal (the proof mirror route and
// the dashboard's assets), bad and huge epochs (negative, fractions, 2^64 and beyond), bad hex
// and digests, unknown and oversize namespaces, bad and repeated query parameters, wrong and
// missing tokens, malformed, mistyped and oversize JSON bodies, wrong content types, bad Accept
// headers, huge and invalid headers, conflicting framing, Last-Event-ID garbage on the event
// stream, admin endpoints without or with the wrong token, and raw garbage (random bytes,
// truncated and mutated requests, other protocols). Properties:
//   - every response arrives (per-request timeout) and is never a 5xx; a request that is bad for
//     sure gets a 4xx; raw garbage gets a 4xx from Node's parser or the connection closed;
//   - every error the server produces is JSON {"error": string, "message": string};
//   - a 200 only answers a request that is valid: a submission's signature verifies for exactly
//     what was submitted, a report is accepted only when the log signed it, a mirrored proof is
//     byte-identical to the log's blob;
//   - between batches the process is alive, a valid submission is signed, and every signature
//     returned so far is served byte-identical; at the end no log line shows a 500 or a crash.
// Separately, with a low rate limit, write endpoints answer 429 in the same JSON shape.
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { signingKeyFromSeed, verifyStrict } from '../../src/crypto/ed25519.js';
import { signedBytes, keyId } from '../../src/plexi/signature-message.js';
import { signatureResponseFromJson, signatureResponseToJson } from '../../src/plexi/signature-response.js';
import { writeSyntheticLog } from '../../src/akd-runtime/log-writer.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { DecodeError } from '../../src/util/errors.js';
import { U64_MAX } from '../../src/util/u64.js';
import { http } from '../support/http.js';
import { TestNetwork, waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';
import {
  arbitraryBytes,
  arbitraryText,
  fuzzSeed,
  mutatedBytes,
  mutatedJson,
  mutatedText,
  preview,
  scaled,
  subSeed,
  writeProvisional,
} from './fuzz-support.js';
import { alarmingLogs, Invariants, writePart } from './support.js';

const PART = 'fuzz-http';
/** The control namespace: only this test's own valid submissions are signed here. */
const NS = 'http.example';
/** The namespace the fuzzed submissions and reports go to (a valid one may be signed). */
const FUZZ_NS = 'fuzz.example';
const BATCHES = Number(process.env.RELIABILITY_HTTP_BATCHES ?? 30);
const PER_BATCH = scaled(600);
const CONCURRENCY = 8;
const TIMEOUT_MS = 10_000;
const LOG_EPOCHS = 60;

// ---- raw HTTP over a socket ------------------------------------------------------------------

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}
type RawResult =
  { kind: 'response'; res: RawResponse } | { kind: 'closed'; bytes: number; error?: string } | { kind: 'timeout' };

function parseResponse(buf: Buffer): { res: RawResponse; complete: boolean } | undefined {
  let start = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', start);
    if (end < 0) return undefined;
    const head = buf.subarray(start, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
    if (!m) return undefined;
    const status = Number(m[1]);
    const headers = new Map<string, string>();
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    if (status >= 100 && status < 200) {
      start = end + 4; // 100 Continue: the real answer follows
      continue;
    }
    let body = buf.subarray(end + 4);
    let complete = true;
    if ((headers.get('transfer-encoding') ?? '').includes('chunked')) {
      const parts: Buffer[] = [];
      let p = 0;
      complete = false;
      for (;;) {
        const nl = body.indexOf('\r\n', p);
        if (nl < 0) break;
        const size = parseInt(body.subarray(p, nl).toString('latin1'), 16);
        if (!Number.isFinite(size)) break;
        if (size === 0) {
          complete = true;
          break;
        }
        if (nl + 2 + size > body.length) break;
        parts.push(body.subarray(nl + 2, nl + 2 + size));
        p = nl + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers.has('content-length')) {
      const n = Number(headers.get('content-length'));
      complete = body.length >= n;
      body = body.subarray(0, n);
    }
    return { res: { status, headers, body }, complete };
  }
}

/**
 * Sends `data` on a fresh connection and reads one response. `halfClose` ends our side after
 * writing (the server sees EOF: truncated requests end instead of waiting). `stream` returns as
 * soon as the head of a 200 arrives (the SSE stream never ends by itself).
 */
function rawRequest(
  port: number,
  data: Buffer,
  opts: { halfClose?: boolean; stream?: boolean; timeoutMs?: number } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const socket = connect({ port, host: '127.0.0.1' });
    const finish = (r: RawResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const fromBytes = (error?: string): RawResult => {
      const parsed = parseResponse(Buffer.concat(chunks));
      if (parsed) return { kind: 'response', res: parsed.res };
      return error === undefined ? { kind: 'closed', bytes: size } : { kind: 'closed', bytes: size, error };
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), opts.timeoutMs ?? TIMEOUT_MS);
    socket.on('connect', () => {
      if (opts.halfClose) socket.end(data);
      else socket.write(data);
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      const parsed = parseResponse(Buffer.concat(chunks));
      // A 200 event stream never ends: its head is enough. Anything else is read to its end.
      if (parsed && (parsed.complete || (opts.stream && parsed.res.status === 200)))
        finish({ kind: 'response', res: parsed.res });
    });
    // A reset (EPIPE, ECONNRESET) ends the exchange like a close: judge what arrived. Any other
    // error (ECONNREFUSED: nobody listens any more) is reported with the result.
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(fromBytes(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : (err.code ?? err.message))),
    );
    socket.on('close', () => finish(fromBytes()));
  });
}

function buildRequest(method: string, path: string, headers: [string, string][], body?: Buffer): Buffer {
  const lines = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    ...headers.map(([k, v]) => `${k}: ${v}`),
    'Connection: close',
  ];
  if (body !== undefined && !headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k)))
    lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

// ---- the requests ----------------------------------------------------------------------------

type Expect = 'bad' | 'maybe';

interface Spec {
  cat: string;
  method: string;
  path: string;
  headers: [string, string][];
  body?: Buffer;
  /** Bytes sent as they are (no request built). */
  raw?: Buffer;
  halfClose?: boolean;
  stream?: boolean;
  expect: Expect;
  /** Node's own HTTP parser may answer (400/431 without a JSON body) or just close. */
  nodeLevel?: boolean;
  /** What to check about a 200 beyond the status. */
  oracle?: 'submission' | 'report' | 'mirror' | 'none';
  note?: string;
}

interface World {
  token: string;
  adminToken: string;
  blobs: Map<string, Buffer>;
  /** Blob names whose proofs the node verified (mirrored). */
  names: string[];
  reportTexts: string[];
  submissionTexts: string[];
  peerIds: string[];
}

const enc = (s: string): string => encodeURIComponent(s);
const isKnownNs = (seg: string): boolean | undefined => {
  try {
    const d = decodeURIComponent(seg);
    return d === NS || d === FUZZ_NS;
  } catch (err) {
    if (err instanceof URIError) return undefined;
    throw err;
  }
};
const EPOCH_RE = /^(0|[1-9][0-9]{0,19})$/;
const validEpoch = (seg: string): boolean => {
  let d: string;
  try {
    d = decodeURIComponent(seg);
  } catch (err) {
    if (err instanceof URIError) return false;
    throw err;
  }
  return EPOCH_RE.test(d) && BigInt(d) <= U64_MAX;
};

const nsSeg = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(NS, FUZZ_NS) },
  { weight: 1, arbitrary: fc.constantFrom(enc(NS).replace('.', '%2E'), NS.toUpperCase()) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'unknown.example',
      'a'.repeat(257),
      'a'.repeat(300),
      '..',
      '.',
      '%2e%2e',
      '%00',
      'x%2Fy',
      '%ZZ',
      '%',
      '%C3%BC',
      NS + '%00',
      `${NS}%20`,
      '*',
      '%u002e',
      'n;s',
      'n:s',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map(enc) },
);
const epochSeg = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('0', '1', '2', '3', '5', '18446744073709551615', '9007199254740993', '1000000'),
  },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '-1',
      '-0',
      '1.5',
      '1e3',
      '1E3',
      '18446744073709551616',
      '18446744073709551617',
      '99999999999999999999',
      '999999999999999999999999999999',
      '0x10',
      '+1',
      '01',
      '00',
      ' 1',
      '1%20',
      '%201',
      'abc',
      'NaN',
      'Infinity',
      '%EF%BC%91',
      '%00',
      '1%00',
      '%2D1',
      '',
      '1_000',
      '0b1',
      '%',
      '%ZZ',
    ),
  },
  { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map((b) => b.toString()) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map(enc) },
);
const hexSeg = (names: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b)) },
    { weight: 2, arbitrary: fc.constantFrom(...names.map((n) => n.split('/')[1] as string)) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '',
        'ab',
        'ab'.repeat(31) + 'a',
        'ab'.repeat(33),
        'zz'.repeat(32),
        'AB'.repeat(32),
        '..',
        '%2e%2e',
        '..%2F..%2Fetc%2Fpasswd',
        '%00',
        'g'.repeat(64),
        `${'ab'.repeat(32)}%00`,
      ),
    },
  );

/** GET requests on every read route, with their expectations. */
function getRequests(world: World): fc.Arbitrary<Spec> {
  const spec = (cat: string, path: string, expect: Expect, extra: Partial<Spec> = {}): Spec => ({
    cat,
    method: 'GET',
    path,
    headers: [],
    expect,
    ...extra,
  });
  const nsBad = (ns: string) => isKnownNs(ns) !== true;
  const accept = fc.constantFrom(
    'application/json',
    'application/x-protobuf',
    'application/x-protobuf, application/json',
    '*/*',
    'text/html',
    '',
    'garbage/;;;',
    'application/x-protobuf;q=0',
    'x'.repeat(4000),
  );
  const query = (allowed: Record<string, (v: string) => boolean>) =>
    fc
      .array(
        fc.tuple(
          fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom(...Object.keys(allowed)) },
            { weight: 1, arbitrary: fc.constantFrom('x', 'limit[]', '__proto__', 'constructor', 'LIMIT', '') },
          ),
          fc.oneof(
            {
              weight: 3,
              arbitrary: fc.constantFrom(
                '1',
                '100',
                '1000',
                '1001',
                '0',
                '-1',
                '1.5',
                '1e2',
                '0x10',
                'abc',
                '',
                ' 5 ',
                NS,
                'a'.repeat(300),
                'ab'.repeat(32),
                'log-stalled',
                'bogus',
                '%ZZ',
                '%00',
              ),
            },
            { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }).map(enc) },
          ),
        ),
        { maxLength: 4 },
      )
      .map((pairs) => {
        const keys = pairs.map(([k]) => k);
        const unsure = pairs.some(([k, v]) => k === '' || k === '__proto__' || k === 'constructor' || /%/.test(v));
        const unknown = keys.some((k) => /^[a-zA-Z[\]]+$/.test(k) && !Object.hasOwn(allowed, k));
        const repeated = new Set(keys).size !== keys.length;
        const invalid = pairs.some(([k, v]) => Object.hasOwn(allowed, k) && !(allowed[k] as (v: string) => boolean)(v));
        const q = pairs.map(([k, v]) => `${k}=${v.replace(/ /g, '+')}`).join('&');
        return { q: q ? `?${q}` : '', bad: !unsure && (unknown || repeated || invalid) };
      });
  const limitOk = (v: string) => {
    const n = Number(v);
    return Number.isInteger(n) && n >= 1 && n <= 1000;
  };
  const nsOk = (v: string) => v.length <= 256;
  const mirrorOk = (e: string, p: string, c: string) =>
    /^[0-9]{1,20}$/.test(e) && /^[0-9a-fA-F]{64}$/.test(p) && /^[0-9a-fA-F]{64}$/.test(c);
  return fc.oneof(
    fc.tuple(nsSeg).map(([ns]) => spec('namespace', `/namespaces/${ns}`, nsBad(ns) && ns !== '' ? 'bad' : 'maybe')),
    fc
      .tuple(nsSeg, epochSeg)
      .map(([ns, e]) =>
        spec('audits.get', `/namespaces/${ns}/audits/${e}`, nsBad(ns) || !validEpoch(e) ? 'bad' : 'maybe'),
      ),
    fc
      .tuple(nsSeg)
      .map(([ns]) => spec('last-verified', `/namespaces/${ns}/last-verified-epoch`, nsBad(ns) ? 'bad' : 'maybe')),
    fc
      .tuple(nsSeg, epochSeg)
      .map(([ns, e]) =>
        spec('epoch-view', `/namespaces/${ns}/epochs/${e}`, nsBad(ns) || !validEpoch(e) ? 'bad' : 'maybe'),
      ),
    fc
      .tuple(nsSeg, epochSeg, fc.option(hexSeg(world.names), { nil: undefined }), accept, fc.boolean())
      .map(([ns, e, d, a, extraKey]) =>
        spec(
          'cosignatures',
          `/namespaces/${ns}/epochs/${e}/cosignatures${d === undefined ? '' : `?digest=${d}`}${extraKey ? `${d === undefined ? '?' : '&'}x=1` : ''}`,
          nsBad(ns) || !validEpoch(e) || (d !== undefined && !/^[0-9a-fA-F]{64}$/.test(d)) || extraKey
            ? 'bad'
            : 'maybe',
          { headers: a ? [['Accept', a]] : [] },
        ),
      ),
    fc
      .tuple(epochSeg, hexSeg(world.names), hexSeg(world.names))
      .map(([e, p, c]) => spec('mirror', `/${e}/${p}/${c}`, mirrorOk(e, p, c) ? 'maybe' : 'bad', { oracle: 'mirror' })),
    fc.constantFrom(...world.names).map((n) => spec('mirror', `/${n}`, 'maybe', { oracle: 'mirror' })),
    fc
      .constantFrom(
        '/../../../etc/passwd',
        '/..%2F..%2F..%2Fetc%2Fpasswd',
        '/%2e%2e/%2e%2e/etc/passwd',
        '/1/..%2F..%2Fpackage.json/x',
        '/1/../..',
        '/1/%2e%2e/%2e%2e',
        '/dashboard/..%2F..%2Fpackage.json',
        '/dashboard/../package.json',
        '/dashboard/%2e%2e%2fpackage.json',
        '/dashboard/.env',
        '/dashboard/index.html',
        '/dashboard/app.js',
        '/etc/passwd',
        '/.env',
        '/.git/config',
        '/node_modules/fastify/package.json',
        '/admin',
        '/admin/peers',
        '/nope',
        '/namespaces/x/y/z/w',
        `/namespaces/${NS}/audits`,
        `/namespaces/${NS}/reports`,
        `/namespaces/${NS}/unknown`,
        '/info/x',
        '/metrics/x',
        '/%',
        '/%ZZ',
        '/\\..\\..\\etc\\passwd',
      )
      .map((p) => spec('unknown-route', p, 'bad')),
    fc
      .tuple(query({ namespace: nsOk, limit: limitOk }))
      .map(([{ q, bad }]) => spec('equivocations', `/equivocations${q}`, bad ? 'bad' : 'maybe')),
    fc
      .tuple(
        fc.oneof(
          hexSeg(world.names),
          fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b)),
        ),
        accept,
      )
      .map(([id, a]) =>
        // An empty id is the list route (trailing slashes are ignored).
        spec('equivocation', `/equivocations/${id}`, /^[0-9a-f]{64}$/.test(id) || id === '' ? 'maybe' : 'bad', {
          headers: a ? [['Accept', a]] : [],
        }),
      ),
    fc
      .tuple(
        query({
          namespace: nsOk,
          limit: limitOk,
          type: (v) =>
            ['equivocation', 'validation-failed', 'log-stalled', 'quorum-missed', 'auditor-silent'].includes(v),
        }),
      )
      .map(([{ q, bad }]) => spec('alerts', `/alerts${q}`, bad ? 'bad' : 'maybe')),
    fc
      .tuple(
        fc.option(
          fc.oneof(
            fc.constantFrom(
              '0',
              '1',
              '5',
              '99999999999999999999',
              '18446744073709551615',
              '-1',
              'abc',
              '',
              ' 1',
              '1.5',
              '0x1',
              '1'.repeat(21),
              'x'.repeat(5000),
            ),
            fc.string({ maxLength: 30 }),
          ),
          { nil: undefined },
        ),
        fc.constantFrom(
          '',
          '?types=epoch-signed',
          '?types=epoch-signed&types=equivocation',
          `?namespace=${NS}`,
          `?namespace=${NS}&namespace=x`,
          '?since=abc',
          '?since=5',
          '?since=5&since=6',
          '?types=',
          '?x=1',
        ),
      )
      .map(([id, q]) => {
        const valid = (v: string) => /^[0-9]{1,20}$/.test(v);
        const since = /since=([^&]*)/.exec(q)?.[1];
        const headerOk = id === undefined || /^[\x20-\x7e]*$/.test(id);
        // Node trims header values; the header wins over ?since=.
        const last = id !== undefined && headerOk ? id.trim() : since;
        const repeatedSince = id === undefined && (q.match(/since=/g) ?? []).length > 1;
        return spec('events', `/events${q}`, last !== undefined && (!valid(last) || repeatedSince) ? 'bad' : 'maybe', {
          headers: id !== undefined && headerOk ? [['Last-Event-ID', id]] : [],
          stream: true,
        });
      }),
    fc
      .constantFrom(
        '/info',
        '/namespaces',
        '/roster',
        '/network/status',
        '/metrics',
        '/healthz',
        '/',
        '/info?x=1',
        '/namespaces?limit=x',
        '/healthz?',
      )
      .map((p) => spec('read', p, 'maybe')),
  );
}

const SUBMIT_CT = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'application/vnd.api+json',
      '*/*',
      '',
      'application/json, text/plain',
      'application/x-protobuf',
      ';;;',
    ),
  },
  { weight: 1, arbitrary: fc.constant('(none)') },
);

/** POST requests: submissions, reports, admin. */
function postRequests(world: World): fc.Arbitrary<Spec> {
  const bodies = fc.oneof(
    { weight: 4, arbitrary: mutatedJson(world.submissionTexts).map((m) => m.value) },
    { weight: 3, arbitrary: mutatedText(world.submissionTexts).map((m) => m.value) },
    { weight: 1, arbitrary: arbitraryText(200) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'null',
        '[]',
        '"x"',
        '1',
        '{}',
        '{"epoch":1,"epoch":2,"digest":"' + 'ab'.repeat(32) + '"}',
        `{"epoch":1,"digest":"${'ab'.repeat(32)}","__proto__":{"x":1}}`,
        '['.repeat(5000),
        `{"epoch":1,"digest":"${'ab'.repeat(32)}","pad":"${'x'.repeat(17_000)}"}`,
      ),
    },
  );
  const authHeader = fc.oneof(
    fc.constantFrom(
      '(none)',
      '',
      'Bearer',
      'Bearer ',
      'Bearer  x',
      'bearer x',
      'Basic dXNlcjpwYXNz',
      'Bearer wrong-token',
      'Bearer ' + 'x'.repeat(9000),
      'Bearer \u00ff\u00fe',
      'Token abc',
    ),
    fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).map((s) => `Bearer ${s}`),
  );
  const submission = (ns: string, auth: string, ct: string, body: string, validToken: boolean): Spec => {
    const headers: [string, string][] = [];
    if (auth !== '(none)') headers.push(['Authorization', auth]);
    if (ct !== '(none)') headers.push(['Content-Type', ct]);
    return {
      cat: validToken ? 'submit.fuzz' : 'submit.unauthorized',
      method: 'POST',
      path: `/namespaces/${ns}/audits`,
      headers,
      body: Buffer.from(body, 'utf8'),
      expect: validToken ? 'maybe' : 'bad',
      oracle: 'submission',
      note: body,
    };
  };
  const peerSeg = fc.oneof(
    fc.constantFrom(...world.peerIds),
    fc.constantFrom(
      'garbage',
      'Qm',
      '12D3KooW',
      '12D3KooWxxxxxxxx',
      '%00',
      'a'.repeat(129),
      '..',
      '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXT',
    ),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 60 }).map(enc),
  );
  return fc.oneof(
    // The fuzz namespace with the right token: the body decides (a valid one is signed).
    {
      weight: 5,
      arbitrary: fc
        .tuple(SUBMIT_CT, bodies)
        .map(([ct, b]) => submission(FUZZ_NS, `Bearer ${world.token}`, ct, b, true)),
    },
    // Any namespace without the right token: always refused, whatever the body.
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(NS, FUZZ_NS, 'unknown.example'), authHeader, SUBMIT_CT, bodies)
        .map(([ns, a, ct, b]) => submission(ns, a, ct, b, false)),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.oneof(
            { weight: 3, arbitrary: mutatedJson(world.reportTexts).map((m) => m.value) },
            { weight: 2, arbitrary: mutatedText(world.reportTexts).map((m) => m.value) },
            { weight: 1, arbitrary: fc.constantFrom(...world.reportTexts) },
          ),
          fc.constantFrom(FUZZ_NS, FUZZ_NS, FUZZ_NS, NS, 'unknown.example'),
        )
        .map(([b, ns]): Spec => ({
          cat: 'report',
          method: 'POST',
          path: `/namespaces/${ns}/reports`,
          headers: [['Content-Type', 'application/json']],
          body: Buffer.from(b, 'utf8'),
          expect: ns === FUZZ_NS ? 'maybe' : 'bad',
          oracle: 'report',
          note: b,
        })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom('resume-signing', 'block', 'unblock'),
          peerSeg,
          fc.constantFrom(
            '(none)',
            'Bearer wrong',
            `Bearer ${world.adminToken}x`,
            'Basic x',
            `Bearer ${world.adminToken}`,
            `Bearer ${world.adminToken}`,
          ),
        )
        .map(([what, peer, auth]): Spec => {
          const path = what === 'resume-signing' ? '/admin/resume-signing' : `/admin/peers/${peer}/${what}`;
          const authorized = auth === `Bearer ${world.adminToken}`;
          const peerOk = world.peerIds.includes(peer);
          return {
            cat: authorized ? 'admin.authorized' : 'admin.unauthorized',
            method: 'POST',
            path,
            headers: auth === '(none)' ? [] : [['Authorization', auth]],
            expect: !authorized || (what !== 'resume-signing' && !peerOk) ? 'bad' : 'maybe',
          };
        }),
    },
  );
}

/** Wrong methods on known routes, and odd methods. */
function methodRequests(): fc.Arbitrary<Spec> {
  const paths = [
    '/info',
    '/namespaces',
    `/namespaces/${NS}`,
    `/namespaces/${NS}/audits`,
    `/namespaces/${NS}/audits/1`,
    `/namespaces/${NS}/reports`,
    '/events',
    '/equivocations',
    '/alerts',
    '/metrics',
    '/admin/resume-signing',
    `/1/${'ab'.repeat(32)}/${'cd'.repeat(32)}`,
  ];
  const post = new Set([`/namespaces/${NS}/audits`, `/namespaces/${NS}/reports`, '/admin/resume-signing']);
  return fc
    .tuple(
      fc.constantFrom(...paths),
      fc.constantFrom(
        'GET',
        'POST',
        'PUT',
        'DELETE',
        'PATCH',
        'OPTIONS',
        'HEAD',
        'TRACE',
        'FOO',
        'get',
        'M-SEARCH',
        'PROPFIND',
        'CONNECT',
      ),
    )
    .filter(([p, m]) => !((m === 'GET' && !post.has(p)) || (m === 'POST' && post.has(p))))
    .map(([p, m]): Spec => {
      // HEAD of a GET route is answered like GET; OPTIONS of a public path is a CORS preflight (204); CONNECT and odd tokens may be refused by Node's parser.
      const nodeLevel = m === 'CONNECT' || m === 'get' || m === 'FOO';
      return {
        cat: 'method',
        method: m,
        path: m === 'CONNECT' ? '127.0.0.1:1' : p,
        headers: [],
        expect:
          (m === 'HEAD' && !post.has(p)) || (m === 'OPTIONS' && !p.startsWith('/admin') && p !== '/metrics')
            ? 'maybe'
            : 'bad',
        nodeLevel,
        stream: p === '/events',
        halfClose: nodeLevel,
      };
    });
}

/** Header-level abuse: huge, many, invalid, conflicting framing. */
function headerRequests(world: World): fc.Arbitrary<Spec> {
  const body = Buffer.from(world.submissionTexts[0] as string);
  const auth: [string, string] = ['Authorization', `Bearer ${world.token}`];
  const ct: [string, string] = ['Content-Type', 'application/json'];
  const path = `/namespaces/${FUZZ_NS}/audits`;
  const cases: Spec[] = [
    {
      cat: 'headers',
      method: 'GET',
      path: '/info',
      headers: [['X-Big', 'x'.repeat(20_000)]],
      expect: 'bad',
      nodeLevel: true,
    },
    {
      cat: 'headers',
      method: 'GET',
      path: '/info',
      headers: [['X-Big', 'x'.repeat(70_000)]],
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'GET',
      path: '/info',
      headers: Array.from({ length: 3000 }, (_, i): [string, string] => [`X-H${i}`, 'v']),
      expect: 'maybe',
      nodeLevel: true,
    },
    {
      cat: 'headers',
      method: 'GET',
      path: '/info',
      headers: [['X-Bad\u0000', 'v']],
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'GET',
      path: '/info',
      headers: [['X-Bad', 'a\u0000b']],
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'GET',
      path: '/info',
      headers: [['Bad Name', 'v']],
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'GET',
      path: '/info',
      headers: [['X-Fold', 'a\r\n b']],
      expect: 'maybe',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ['Content-Length', '5'], ['Content-Length', '6']],
      body,
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ['Content-Length', String(body.length)], ['Transfer-Encoding', 'chunked']],
      body,
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ['Transfer-Encoding', 'chunked']],
      body: Buffer.from(`zz\r\n${body.toString()}\r\n0\r\n\r\n`),
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ['Transfer-Encoding', 'chunked']],
      body: Buffer.from(`${body.length.toString(16)}\r\n${body.toString()}\r\n0\r\n\r\n`),
      expect: 'maybe',
      oracle: 'submission',
      note: body.toString(),
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ['Content-Length', '-1']],
      body,
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ['Content-Length', '99999999999999999999']],
      body,
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ['Content-Length', '100000']],
      body,
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ['Content-Length', String(body.length + 50)]],
      body,
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ['Expect', '100-continue']],
      body,
      expect: 'maybe',
      oracle: 'submission',
      note: body.toString(),
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ['Content-Encoding', 'gzip']],
      body,
      expect: 'maybe',
      oracle: 'submission',
      note: body.toString(),
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, auth, ct],
      body,
      expect: 'maybe',
      oracle: 'submission',
      note: body.toString(),
    },
    // Node keeps the first of repeated Authorization headers (it discards duplicates of it).
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ['Authorization', 'Bearer wrong'], ct],
      body,
      expect: 'maybe',
      oracle: 'submission',
      note: body.toString(),
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [['Authorization', 'Bearer wrong'], auth, ct],
      body,
      expect: 'bad',
    },
    {
      cat: 'headers',
      method: 'POST',
      path,
      headers: [auth, ct, ct],
      body,
      expect: 'maybe',
      oracle: 'submission',
      note: body.toString(),
    },
    {
      cat: 'headers',
      method: 'GET',
      path: `/namespaces/${NS}/epochs/1/cosignatures`,
      headers: [['Accept', 'application/x-protobuf'.repeat(500)]],
      expect: 'maybe',
    },
    { cat: 'headers', method: 'GET', path: '/info', headers: [['Host', '']], expect: 'maybe', nodeLevel: true },
    {
      cat: 'headers',
      method: 'GET',
      path: `/${'a'.repeat(70_000)}`,
      headers: [],
      expect: 'bad',
      nodeLevel: true,
      halfClose: true,
    },
    { cat: 'headers', method: 'GET', path: `/namespaces/${'a'.repeat(5000)}`, headers: [], expect: 'bad' },
  ];
  return fc.constantFrom(...cases);
}

/** Raw bytes: random, other protocols, and valid requests mutated at the byte level. */
function rawRequests(world: World): fc.Arbitrary<Spec> {
  const valid = [
    buildRequest('GET', '/info', []),
    buildRequest('GET', `/namespaces/${NS}/audits/1`, [['Accept', 'application/json']]),
    buildRequest(
      'POST',
      `/namespaces/${FUZZ_NS}/audits`,
      [
        ['Authorization', 'Bearer wrong'],
        ['Content-Type', 'application/json'],
      ],
      Buffer.from(world.submissionTexts[0] as string),
    ),
    buildRequest('GET', '/events', [['Last-Event-ID', '0']]),
  ];
  const fixed = [
    'GET /\r\n\r\n',
    'GET / HTTP/0.9\r\n\r\n',
    'GET / HTTP/2.0\r\n\r\n',
    'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    'GET / HTTP/1.1\n\n',
    'GET / HTTP/1.1\r\nHost: x\r\n',
    'GET',
    'GET / HTTP/1.1\r\nHost: x\r\nX: \xff\xfe\r\n\r\n',
    `GET /${'x'.repeat(100_000)} HTTP/1.1\r\n\r\n`,
    '\r\n\r\n\r\n',
    ' GET / HTTP/1.1\r\n\r\n',
    'GET  /  HTTP/1.1\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab',
    'POST /namespaces/x/audits HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n',
    // Pipelined requests, the client gone at once (two event streams on one connection once
    // crashed the node: a write after the end of the second one).
    'GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\n\r\n'.repeat(2),
    'GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\n\r\n'.repeat(5),
    'GET /info HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(20),
  ].map((s) => Buffer.from(s, 'latin1'));
  const tls = Buffer.from(
    '16030100a5010000a10303' +
      '00'.repeat(32) +
      '000020c02bc02fc02cc030cca9cca8c009c013c00ac014009c009d002f0035c012000a0100',
    'hex',
  );
  return fc
    .oneof(
      { weight: 4, arbitrary: mutatedBytes(valid, () => []).map((m) => m.value) },
      { weight: 2, arbitrary: arbitraryBytes(400) },
      { weight: 1, arbitrary: fc.constantFrom(...fixed, tls) },
    )
    .map((raw): Spec => ({
      cat: 'raw',
      method: '',
      path: '',
      headers: [],
      raw: Buffer.from(raw),
      halfClose: true,
      expect: 'maybe',
      nodeLevel: true,
      stream: true,
    }));
}

function requestArb(world: World): fc.Arbitrary<Spec> {
  return fc.oneof(
    { weight: 10, arbitrary: getRequests(world) },
    { weight: 9, arbitrary: postRequests(world) },
    { weight: 2, arbitrary: methodRequests() },
    { weight: 1, arbitrary: headerRequests(world) },
    { weight: 3, arbitrary: rawRequests(world) },
  );
}

// ---- judging ----------------------------------------------------------------------------------

interface Counts {
  requests: number;
  byCategory: Record<string, number>;
  msByCategory: Record<string, number>;
  byStatus: Record<string, number>;
  closedWithoutResponse: number;
  timeouts: number;
  fuzzSigned: number;
  reportsAccepted: number;
  mirrorServed: number;
  slowestMs: number;
}

/** Is this the body of a valid submission (what the route's schema accepts)? */
function validSubmission(text: string): { epoch: bigint; digest: string } | undefined {
  let v: unknown;
  try {
    v = parseJson(text);
  } catch (err) {
    if (err instanceof DecodeError) return undefined;
    throw err;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (!Object.keys(o).every((k) => k === 'epoch' || k === 'digest' || k === 'previous')) return undefined;
  const hex64 = (x: unknown) => typeof x === 'string' && /^[0-9a-fA-F]{64}$/.test(x);
  if (typeof o.epoch !== 'bigint' || o.epoch < 0n || o.epoch > U64_MAX || !hex64(o.digest)) return undefined;
  if (o.previous !== undefined && o.previous !== null && !hex64(o.previous)) return undefined;
  return { epoch: o.epoch, digest: (o.digest as string).toLowerCase() };
}

// ---- the part ---------------------------------------------------------------------------------

describe('fuzzing the HTTP API of a node process', () => {
  const tmp = tempDir('chorus-rel-http-');
  const net = new TestNetwork(tmp.dir, NS);
  afterAll(async () => {
    await net.stopAll();
    tmp.cleanup();
  });

  it('answers malformed requests with JSON 4xx errors, never 5xx or a hang, and stays correct', async () => {
    const started = Date.now();
    writeProvisional(PART);
    const seed = fuzzSeed(PART);
    const inv = new Invariants();
    const counts: Counts = {
      requests: 0,
      byCategory: {},
      msByCategory: {},
      byStatus: {},
      closedWithoutResponse: 0,
      timeouts: 0,
      fuzzSigned: 0,
      reportsAccepted: 0,
      mirrorServed: 0,
      slowestMs: 0,
    };
    const timing: Record<string, number> = {};
    const rate = { limited: 0, sent: 0, readsAfter: 0 };
    let controlSigned = 0;
    try {
      // -- a node with a roster, a log with a proof directory, and a second namespace to fuzz ----
      let t0 = Date.now();
      await net.setup(1, 1);
      const node = net.node('org1');
      const proofs = join(tmp.dir, 'proofs');
      const log = await writeSyntheticLog({
        out: proofs,
        configuration: { name: 'whatsapp_v1' },
        epochs: LOG_EPOCHS,
        inserts: 3,
        seed: `http-${seed}`,
      });
      const logKey = signingKeyFromSeed(new Uint8Array(32).fill(77));
      net.editConfig('org1', (doc) => {
        (doc.http as Record<string, unknown>).rate_limit = { max: 1_000_000, window_seconds: 60 };
        const nss = doc.namespaces as Record<string, unknown>[];
        const first = nss[0] as Record<string, unknown>;
        first.proof_directory = `file://${proofs}`;
        nss.push({ ...first, name: FUZZ_NS, proof_directory: null, log_key: toHex(logKey.publicKey) });
      });
      const proc = await net.start('org1');
      const port = Number(new URL(proc.url).port);
      const nodeKey = fromHex(node.publicKey, 32);
      timing.setup = Date.now() - t0;

      // The log's epochs, as the control namespace is fed them.
      const chain = [
        { epoch: 0n, digest: log.root.digest },
        ...log.epochs.map((e) => ({ epoch: BigInt(e.epoch), digest: e.blob_name.split('/')[2] as string })),
      ];
      const blobs = new Map(
        log.epochs.map((e) => [e.blob_name, readFileSync(join(proofs, ...e.blob_name.split('/')))]),
      );
      const returned = new Map<bigint, string>();
      let next = 0;
      const submitControl = async (): Promise<void> => {
        const c = chain[next] as { epoch: bigint; digest: string };
        const body =
          next === 0
            ? { epoch: c.epoch, digest: c.digest }
            : { epoch: c.epoch, digest: c.digest, previous: (chain[next - 1] as { digest: string }).digest };
        const r = await http(`${proc.url}/namespaces/${NS}/audits`, { body, token: node.token });
        counts.requests++;
        if (
          !inv.check(
            r.status === 200,
            () => `control submission of epoch ${c.epoch} answered ${r.status} ${r.text.slice(0, 300)}`,
          )
        )
          return;
        const s = signatureResponseFromJson(r.body);
        inv.check(
          s.epoch === c.epoch && toHex(s.digest) === c.digest && verifyStrict(nodeKey, signedBytes(s), s.signature),
          () => `control signature of epoch ${c.epoch} is wrong: ${r.text}`,
        );
        returned.set(c.epoch, r.text);
        controlSigned++;
        next++;
      };
      for (let i = 0; i < 4; i++) await submitControl();

      // Genuine log-signed reports for the fuzz namespace (a chain of its own) and submissions.
      const reportFor = (epoch: bigint, digest: Uint8Array) => {
        const m = { ciphersuite: 1, namespace: FUZZ_NS, timestamp: 1_700_000_000_000n + epoch, epoch, digest };
        return stringifyJson(
          signatureResponseToJson({
            ...m,
            signature: logKey.sign(signedBytes(m)),
            keyId: keyId(logKey.publicKey),
            serializedMessage: signedBytes(m),
          }),
        );
      };
      const reportTexts = [1n, 2n, 3n, 4n].map((e) => reportFor(e, new Uint8Array(32).fill(Number(e))));
      const genuineReports = new Set(
        reportTexts.map((t) => {
          const r = signatureResponseFromJson(parseJson(t));
          return `${r.epoch}/${toHex(r.digest)}/${r.timestamp}/${toHex(r.signature)}/${r.ciphersuite}`;
        }),
      );
      const world: World = {
        token: node.token,
        adminToken: node.adminToken,
        blobs,
        names: log.epochs.slice(0, 4).map((e) => e.blob_name),
        reportTexts,
        // Replays of what the reports had signed (answered 200 with the same signature while
        // valid), a conflict, a gap, and u64's top.
        submissionTexts: [
          stringifyJson({ epoch: 2n, digest: '02'.repeat(32) }),
          stringifyJson({ digest: '03'.repeat(32), epoch: 3n, previous: '02'.repeat(32) }),
          stringifyJson({ epoch: 1n, digest: 'ab'.repeat(32) }),
          stringifyJson({ epoch: 7n, digest: 'cd'.repeat(32), previous: 'ab'.repeat(32) }),
          stringifyJson({ epoch: U64_MAX, digest: 'EF'.repeat(32), previous: null }),
        ],
        peerIds: [
          node.peerId,
          '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN',
          'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N',
        ],
      };
      // The log reports its first heads itself: the fuzz namespace's chain is 1..4.
      for (const t of reportTexts) {
        const r = await http(`${proc.url}/namespaces/${FUZZ_NS}/reports`, { rawBody: t });
        counts.requests++;
        inv.check(r.status === 200, () => `a genuine report was refused: ${r.status} ${r.text.slice(0, 300)}`);
      }
      await waitFor(
        'the first epochs to be verified and mirrored',
        async () => {
          const r = await http(`${proc.url}/namespaces/${NS}/last-verified-epoch`);
          counts.requests++;
          return r.status === 200 && (r.body.epoch as bigint) >= 3n;
        },
        60_000,
        100,
      );

      // -- the judge ----------------------------------------------------------------------------
      const judge = (s: Spec, r: RawResult, ms: number): void => {
        const what = () =>
          `${s.cat} ${s.raw ? preview(s.raw) : `${s.method} ${preview(s.path, 200)}`}${s.headers.length ? ` headers ${preview(JSON.stringify(s.headers), 200)}` : ''}${s.body ? ` body ${preview(s.body.toString('utf8'), 200)}` : ''}`;
        counts.byCategory[s.cat] = (counts.byCategory[s.cat] ?? 0) + 1;
        counts.msByCategory[s.cat] = Math.round((counts.msByCategory[s.cat] ?? 0) + ms);
        if (ms > counts.slowestMs) counts.slowestMs = ms;
        if (r.kind === 'timeout') {
          counts.timeouts++;
          inv.fail(`no answer within ${TIMEOUT_MS} ms (hang): ${what()}`);
          return;
        }
        if (r.kind === 'closed') {
          counts.closedWithoutResponse++;
          if (r.error !== undefined) {
            inv.fail(`the connection failed (${r.error}): ${what()}`);
            return;
          }
          inv.check(s.nodeLevel === true, () => `the connection closed without a response: ${what()}`);
          return;
        }
        const { status, headers, body } = r.res;
        counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
        const isReadyz = s.path.startsWith('/readyz');
        inv.check(
          status < 500 || (isReadyz && status === 503),
          () => `${status} ${body.toString('utf8').slice(0, 300)}: ${what()}`,
        );
        if (s.expect === 'bad')
          inv.check(status >= 400 && status < 500, () => `a bad request got ${status}: ${what()}`);
        if (status >= 400 && s.method !== 'HEAD') {
          const json = (headers.get('content-type') ?? '').includes('application/json');
          if (!json) {
            inv.check(
              s.nodeLevel === true && body.length < 200,
              () =>
                `error ${status} is not JSON (${headers.get('content-type') ?? 'no content-type'}): ${body.toString('utf8').slice(0, 200)}: ${what()}`,
            );
          } else {
            let e: unknown;
            try {
              e = parseJson(body.toString('utf8'));
            } catch (err) {
              if (!(err instanceof DecodeError)) throw err;
            }
            const o = e as { error?: unknown; message?: unknown } | undefined;
            inv.check(
              typeof o === 'object' && o !== null && typeof o.error === 'string' && typeof o.message === 'string',
              () => `error body is not {"error","message"}: ${body.toString('utf8').slice(0, 300)}: ${what()}`,
            );
          }
        }
        if (status !== 200 || s.stream) return;
        if (s.oracle === 'submission') {
          const v = validSubmission(s.note ?? '');
          if (v === undefined) {
            inv.fail(`an invalid submission was signed: ${what()} -> ${body.toString('utf8').slice(0, 300)}`);
            return;
          }
          const resp = signatureResponseFromJson(parseJson(body.toString('utf8')));
          inv.check(
            resp.namespace === FUZZ_NS &&
              resp.epoch === v.epoch &&
              toHex(resp.digest) === v.digest &&
              verifyStrict(nodeKey, signedBytes(resp), resp.signature),
            () => `a fuzzed submission's signature does not match it: ${what()} -> ${body.toString('utf8')}`,
          );
          counts.fuzzSigned++;
        } else if (s.oracle === 'report') {
          let key = '';
          try {
            const r0 = signatureResponseFromJson(parseJson(s.note ?? ''));
            key = `${r0.epoch}/${toHex(r0.digest)}/${r0.timestamp}/${toHex(r0.signature)}/${r0.ciphersuite}`;
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
          }
          inv.check(genuineReports.has(key), () => `a report the log did not sign was accepted: ${what()}`);
          counts.reportsAccepted++;
        } else if (s.oracle === 'mirror') {
          const parts = decodeURIComponent(s.path).slice(1).split('/');
          const name = `${BigInt(parts[0] as string)}/${(parts[1] as string).toLowerCase()}/${(parts[2] as string).toLowerCase()}`;
          const blob = blobs.get(name);
          inv.check(
            blob !== undefined && blob.equals(body),
            () => `the mirror served ${body.length} bytes for ${name}, not the log's blob: ${what()}`,
          );
          counts.mirrorServed++;
        }
      };

      const send = async (s: Spec): Promise<void> => {
        const data = s.raw ?? buildRequest(s.method, s.path, s.headers, s.body);
        const t = performance.now();
        const r = await rawRequest(port, data, { halfClose: s.halfClose === true, stream: s.stream === true });
        counts.requests++;
        judge(s, r, performance.now() - t);
      };

      /** Between batches: alive, healthy, a valid submission signs, everything returned is unchanged. */
      const control = async (sampleAll: boolean): Promise<void> => {
        if (proc.exited) {
          const how = `code ${proc.proc.exitCode} signal ${proc.proc.signalCode}`;
          inv.fail(
            `the node process exited (${how}): stderr ${proc.stderr.slice(-30).join('\n').slice(-3000)} | last logs ${proc.logs
              .slice(-5)
              .map((l) => JSON.stringify(l))
              .join('\n')
              .slice(-3000)}`,
          );
          throw new Error(`the node died (${how})`);
        }
        const h = await http(`${proc.url}/healthz`);
        counts.requests++;
        inv.check(h.status === 200, () => `/healthz answered ${h.status}`);
        if (next < chain.length) await submitControl();
        const epochs = [...returned.keys()];
        const sample = sampleAll ? epochs : epochs.sort(() => Math.random() - 0.5).slice(0, 6);
        for (const e of sample) {
          const r = await http(`${proc.url}/namespaces/${NS}/audits/${e}`);
          counts.requests++;
          inv.check(
            r.status === 200 && r.text === returned.get(e),
            () => `epoch ${e} served ${r.status} ${r.text.slice(0, 200)}, returned before: ${returned.get(e)}`,
          );
        }
        const name = world.names[0] as string;
        const m = await rawRequest(port, buildRequest('GET', `/${name}`, []));
        counts.requests++;
        inv.check(
          m.kind === 'response' && m.res.status === 200 && m.res.body.equals(blobs.get(name) as Buffer),
          () => `the mirrored proof ${name} changed or is gone`,
        );
      };

      // -- the batches ------------------------------------------------------------------------------
      t0 = Date.now();
      const arb = requestArb(world);
      for (let b = 0; b < BATCHES; b++) {
        const specs = fc.sample(arb, { numRuns: PER_BATCH, seed: subSeed(seed, `batch-${b}`) });
        let i = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (i < specs.length) await send(specs[i++] as Spec);
          }),
        );
        await control(false);
      }
      timing.batches = Date.now() - t0;

      // -- every signature, every mirrored proof, the logs --------------------------------------------
      t0 = Date.now();
      await control(true);
      const lastControl = (chain[next - 1] as { epoch: bigint }).epoch;
      await waitFor(
        'every control epoch to be verified',
        async () => {
          const r = await http(`${proc.url}/namespaces/${NS}/last-verified-epoch`);
          counts.requests++;
          return r.status === 200 && (r.body.epoch as bigint) >= lastControl;
        },
        60_000,
        200,
      );
      for (const e of log.epochs.filter((x) => BigInt(x.epoch) <= lastControl)) {
        const r = await rawRequest(port, buildRequest('GET', `/${e.blob_name}`, []));
        counts.requests++;
        inv.check(
          r.kind === 'response' && r.res.status === 200 && r.res.body.equals(blobs.get(e.blob_name) as Buffer),
          () => `the mirrored proof ${e.blob_name} is not the log's blob`,
        );
      }
      for (const l of alarmingLogs(proc.logs)) inv.fail(`alarming log line: ${JSON.stringify(l).slice(0, 500)}`);
      timing.final = Date.now() - t0;

      // -- rate limits: with a low limit, write endpoints answer 429 in the same JSON shape -------------
      t0 = Date.now();
      await net.stop('org1', 'SIGTERM');
      net.editConfig(
        'org1',
        (doc) => ((doc.http as Record<string, unknown>).rate_limit = { max: 5, window_seconds: 60 }),
      );
      const limited = await net.start('org1');
      for (let k = 0; k < 12; k++) {
        const r = await http(`${limited.url}/namespaces/${NS}/audits`, {
          body: { epoch: 1n, digest: 'ab'.repeat(32) },
          token: 'wrong',
        });
        counts.requests++;
        rate.sent++;
        if (r.status === 429) {
          rate.limited++;
          inv.check(
            r.body.error === 'rate-limited' && typeof r.body.message === 'string',
            () => `429 body is not {"error":"rate-limited","message"}: ${r.text}`,
          );
        } else {
          inv.check(r.status === 401, () => `an unauthenticated submission got ${r.status} under the rate limit`);
        }
      }
      inv.check(
        rate.limited >= 6,
        () => `only ${rate.limited} of ${rate.sent} submissions over a limit of 5 were answered 429`,
      );
      const admin = await http(`${limited.url}/admin/resume-signing`, { method: 'POST', token: 'wrong' });
      counts.requests++;
      inv.check(admin.status === 429, () => `the admin endpoint over the limit answered ${admin.status}`);
      for (const p of ['/info', `/namespaces/${NS}/audits/1`]) {
        const r = await http(`${limited.url}${p}`);
        counts.requests++;
        rate.readsAfter++;
        inv.check(r.status === 200, () => `a read (${p}) is limited too: ${r.status}`);
      }
      for (const l of alarmingLogs(limited.logs))
        inv.fail(`alarming log line (rate-limited run): ${JSON.stringify(l).slice(0, 500)}`);
      timing.rateLimit = Date.now() - t0;
    } finally {
      writePart({
        part: PART,
        violations: inv.count,
        examples: inv.list,
        wallMs: Date.now() - started,
        requests: counts.requests,
        seed,
        batches: BATCHES,
        perBatch: PER_BATCH,
        controlSigned,
        byCategory: counts.byCategory,
        msByCategory: counts.msByCategory,
        byStatus: counts.byStatus,
        closedWithoutResponse: counts.closedWithoutResponse,
        timeouts: counts.timeouts,
        fuzzSubmissionsAnswered200: counts.fuzzSigned,
        reportsAccepted: counts.reportsAccepted,
        mirrorServed: counts.mirrorServed,
        slowestRequestMs: Math.round(counts.slowestMs),
        rateLimit: rate,
        timing,
      });
      process.stdout.write(
        `${PART}: ${counts.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, statuses ${JSON.stringify(counts.byStatus)}, violations ${inv.count}\n`,
      );
    }
    expect(inv.list).toEqual([]);
  });
});
