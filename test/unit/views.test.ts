// The pure rules of signed views from anyone (src/consensus/views.ts) and the per-client token
// bucket of POST /views (src/api/token-bucket.ts), with injected facts and times.
import { describe, expect, it } from 'vitest';
import { signingKeyFromSeed, verifyStrict } from '../../src/crypto/ed25519.js';
import { keyId, signedBytes } from '../../src/plexi/signature-message.js';
import { encodeObservation, type Observation } from '../../src/consensus/observation.js';
import { Roster } from '../../src/consensus/roster.js';
import {
  candidateSigners,
  classifyView,
  signatureResponseAsObservation,
  type ViewFacts,
} from '../../src/consensus/views.js';
import { TokenBuckets } from '../../src/api/token-bucket.js';
import { configFromObject } from '../../src/config/config.js';
import { viewContentType } from '../../src/cli/commands/report-view.js';
import { toHex } from '../../src/util/bytes.js';

const keys = [1, 2, 3].map((i) => signingKeyFromSeed(new Uint8Array(32).fill(i)));
const logKey = signingKeyFromSeed(new Uint8Array(32).fill(9));
const outsider = signingKeyFromSeed(new Uint8Array(32).fill(7));
const rotated = signingKeyFromSeed(new Uint8Array(32).fill(4));
const roster = Roster.fromJson({
  network: 'test',
  threshold: 2n,
  auditors: [
    ...keys.map((k, i) => ({ name: `org${i + 1}`, public_key: toHex(k.publicKey) })),
    // org4's key is in force from t = 5000 only.
    { name: 'org4', keys: [{ public_key: toHex(rotated.publicKey), not_before: 5000n }] },
  ],
  namespaces: [{ name: 'ns', log_key: toHex(logKey.publicKey) }, { name: 'elsewhere' }],
});

type Key = (typeof keys)[number];

function observe(key: Key, digest: number, epoch = 5n, namespace = 'ns', timestamp = 1000n): Observation {
  const m = { ciphersuite: 1, namespace, timestamp, epoch, digest: new Uint8Array(32).fill(digest) };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
}

function facts(held: Observation[], over: Partial<ViewFacts> = {}): ViewFacts {
  return {
    audited: (ns) => ns === 'ns',
    roster,
    nowMs: 10_000n,
    maxFutureMs: 1000n,
    verify: verifyStrict,
    held,
    ...over,
  };
}

describe('classifyView', () => {
  const mine = observe(keys[0]!, 1);
  const peer = observe(keys[1]!, 1);

  it('a view of another digest than one held is a contradiction, naming what it contradicts', async () => {
    const forked = observe(logKey, 2);
    const c = await classifyView(forked, facts([mine, peer]));
    expect(c.outcome).toBe('contradiction');
    if (c.outcome !== 'contradiction') return;
    expect(c.alreadyHeld).toBe(false);
    expect(c.conflicting.map((o) => toHex(o.signerKey)).sort()).toEqual(
      [keys[0]!, keys[1]!].map((k) => toHex(k.publicKey)).sort(),
    );
  });

  it('a held view that conflicts with another held one is still a contradiction (already held)', async () => {
    const forked = observe(keys[2]!, 2);
    const c = await classifyView(forked, facts([mine, forked]));
    expect(c).toMatchObject({ outcome: 'contradiction', alreadyHeld: true });
  });

  it('a valid view not held and agreeing with what is held is new, compared with the held ones', async () => {
    expect(await classifyView(observe(keys[2]!, 1), facts([mine, peer]))).toEqual({ outcome: 'new', compared: 2 });
  });

  it('a view of an epoch the node holds nothing of is new with nothing compared: never an accusation', async () => {
    expect(await classifyView(observe(keys[2]!, 7, 99n), facts([mine]))).toEqual({ outcome: 'new', compared: 0 });
    // Observations of other epochs or namespaces are not compared with.
    expect(await classifyView(observe(keys[2]!, 7), facts([observe(keys[0]!, 1, 6n)]))).toEqual({
      outcome: 'new',
      compared: 0,
    });
  });

  it('the very view held already is consistent', async () => {
    expect(await classifyView(peer, facts([mine, peer]))).toEqual({ outcome: 'consistent' });
  });

  it('refuses an unknown signer, a bad signature, a key out of its window, a future timestamp', async () => {
    expect(await classifyView(observe(outsider, 2), facts([mine]))).toEqual({
      outcome: 'refused',
      reason: 'unknown-signer',
    });
    const forged = { ...observe(keys[1]!, 2), signature: observe(keys[1]!, 3).signature };
    expect(await classifyView(forged, facts([mine]))).toEqual({ outcome: 'refused', reason: 'bad-signature' });
    expect(await classifyView(observe(rotated, 2, 5n, 'ns', 1000n), facts([mine]))).toEqual({
      outcome: 'refused',
      reason: 'key-not-yet-valid',
    });
    expect(await classifyView(observe(keys[1]!, 2, 5n, 'ns', 11_001n), facts([mine]))).toEqual({
      outcome: 'refused',
      reason: 'future-timestamp',
    });
  });

  it('checks the signature even of a (signer, digest) already held: a forgery is refused, not consistent', async () => {
    const forgedCopy = { ...peer, signature: observe(keys[1]!, 3).signature };
    expect(await classifyView(forgedCopy, facts([mine, peer]))).toEqual({
      outcome: 'refused',
      reason: 'bad-signature',
    });
  });

  it('refuses a namespace the node does not audit', async () => {
    expect(await classifyView(observe(keys[1]!, 2, 5n, 'elsewhere'), facts([]))).toEqual({
      outcome: 'refused',
      reason: 'unknown-namespace',
    });
  });
});

describe('a SignatureResponse as an observation', () => {
  const signed = (key: Key, digest: number) => {
    const o = observe(key, digest);
    return { ...o, keyId: keyId(key.publicKey) };
  };

  it('candidates are every roster auditor key and the log key, narrowed by key_id', () => {
    expect(candidateSigners(roster, 'ns')).toHaveLength(5);
    expect(candidateSigners(roster, 'elsewhere')).toHaveLength(4);
    const narrowed = candidateSigners(roster, 'ns', keyId(logKey.publicKey));
    expect(narrowed.map(toHex)).toEqual([toHex(logKey.publicKey)]);
  });

  it("finds the signer among the candidates; none when nobody's key verifies", async () => {
    const r = signed(keys[2]!, 4);
    const o = await signatureResponseAsObservation(r, candidateSigners(roster, 'ns'), verifyStrict);
    expect(o && toHex(o.signerKey)).toBe(toHex(keys[2]!.publicKey));
    const byLog = await signatureResponseAsObservation(signed(logKey, 4), candidateSigners(roster, 'ns'), verifyStrict);
    expect(byLog && toHex(byLog.signerKey)).toBe(toHex(logKey.publicKey));
    expect(
      await signatureResponseAsObservation(signed(outsider, 4), candidateSigners(roster, 'ns'), verifyStrict),
    ).toBeUndefined();
  });

  it('with a named signer key only that key is tried', async () => {
    const r = signed(keys[2]!, 4);
    expect(await signatureResponseAsObservation(r, [], verifyStrict, keys[2]!.publicKey)).toBeDefined();
    expect(
      await signatureResponseAsObservation(r, candidateSigners(roster, 'ns'), verifyStrict, keys[1]!.publicKey),
    ).toBeUndefined();
  });
});

describe('TokenBuckets', () => {
  it('allows a burst, then refills at the configured rate, with the wait until the next token', () => {
    const b = new TokenBuckets({ burst: 3, perMinute: 6 }); // one token every 10 s
    for (let i = 0; i < 3; i++) expect(b.take('a', 0)).toEqual({ ok: true });
    expect(b.take('a', 0)).toEqual({ ok: false, retryAfterSeconds: 10 });
    expect(b.take('a', 4000)).toEqual({ ok: false, retryAfterSeconds: 6 });
    expect(b.take('a', 10_000)).toEqual({ ok: true });
    expect(b.take('a', 10_000).ok).toBe(false);
    // Another client has its own bucket.
    expect(b.take('b', 10_000)).toEqual({ ok: true });
    // A long idle time refills to the burst, never beyond.
    for (let i = 0; i < 3; i++) expect(b.take('a', 10_000_000).ok).toBe(true);
    expect(b.take('a', 10_000_000).ok).toBe(false);
  });

  it('remembers at most maxClients, forgetting the longest-unseen first', () => {
    const b = new TokenBuckets({ burst: 1, perMinute: 1 }, 2);
    expect(b.take('a', 0).ok).toBe(true);
    expect(b.take('b', 0).ok).toBe(true);
    expect(b.take('b', 0).ok).toBe(false); // b is now the most recently seen
    expect(b.take('c', 0).ok).toBe(true); // a is forgotten
    expect(b.size).toBe(2);
    expect(b.take('b', 0).ok).toBe(false); // b was kept
  });
});

describe('config: views', () => {
  it('defaults to a 64 KiB body cap and a burst of 30 then 30 a minute', () => {
    const c = configFromObject({}, '/tmp/chorus.yaml');
    expect(c.views).toEqual({ bodyLimitBytes: 65536, rateLimit: { burst: 30, perMinute: 30 } });
  });

  it('takes its fields, and refuses bad ones naming the field', () => {
    const c = configFromObject({ views: { body_limit_bytes: 1024n, rate_limit: { burst: 2n } } }, '/tmp/chorus.yaml');
    expect(c.views).toEqual({ bodyLimitBytes: 1024, rateLimit: { burst: 2, perMinute: 30 } });
    expect(() => configFromObject({ views: { rate_limit: { burst: 0n } } }, '/tmp/chorus.yaml')).toThrow(
      /views\.rate_limit\.burst/,
    );
    expect(() => configFromObject({ views: { body_limit: 1n } }, '/tmp/chorus.yaml')).toThrow(/views/);
  });
});

describe('report-view: what a file is sent as', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('JSON when it starts with {, a note when it has a signature block, protobuf otherwise', () => {
    expect(viewContentType(enc('  \n{"epoch": 1}'))).toBe('application/json');
    expect(viewContentType(enc('origin\n10\nAAAA\n\n\u2014 org1 AbCd\n'))).toBe('text/plain');
    expect(viewContentType(encodeObservation(observe(keys[0]!, 1)))).toBe('application/x-protobuf');
    expect(viewContentType(enc('plain text without signatures\n'))).toBe('application/x-protobuf');
    expect(viewContentType(new Uint8Array([0xff, 0xfe, 0x0a, 0x0a]))).toBe('application/x-protobuf');
  });
});
