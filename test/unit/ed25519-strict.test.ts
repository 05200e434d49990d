import { describe, expect, it } from 'vitest';
import { Point } from '@noble/ed25519';
import { signingKeyFromSeed, verifyStrict } from '../../src/crypto/ed25519.js';
import { publicKeyProblem, signatureProblem } from '../../src/crypto/ed25519-rules.js';
import { verifyStrictAsync } from '../../src/crypto/ed25519-async.js';
import { fromHex } from '../../src/util/bytes.js';

const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function le32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
function fromLe(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  return v;
}

const key = signingKeyFromSeed(new Uint8Array(32).fill(1));
const msg = new TextEncoder().encode('hello');
const sig = key.sign(msg);

describe('strict Ed25519 verification (verify_strict rules)', () => {
  it('accepts an honest signature and rejects a different message', () => {
    expect(verifyStrict(key.publicKey, msg, sig)).toBe(true);
    expect(verifyStrict(key.publicKey, new TextEncoder().encode('hellO'), sig)).toBe(false);
  });

  it('rejects a non-canonical S (S + L), which a lax verifier accepts', () => {
    const s = fromLe(sig.subarray(32));
    const malleable = new Uint8Array(sig);
    malleable.set(le32(s + L), 32);
    expect(s + L < 1n << 256n).toBe(true);
    expect(signatureProblem(malleable)).toBe('non-canonical-s');
    expect(verifyStrict(key.publicKey, msg, malleable)).toBe(false);
  });

  it('rejects every small-order public key and R', () => {
    const t8 = Point.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');
    let p = Point.ZERO;
    for (let i = 0; i < 8; i++) {
      const enc = p.toBytes();
      expect(publicKeyProblem(enc)).toBe('small-order');
      const s = new Uint8Array(64);
      s.set(enc, 0);
      expect(signatureProblem(s)).toBe('small-order-r');
      expect(verifyStrict(enc, msg, s)).toBe(false);
      p = p.add(t8);
    }
  });

  it('rejects a non-canonical key encoding (y >= p) and malformed lengths', () => {
    // y = p + 3 encodes the same field element as y = 3 but is not canonical.
    const p = (1n << 255n) - 19n;
    expect(publicKeyProblem(le32(p + 3n))).not.toBeNull();
    expect(publicKeyProblem(new Uint8Array(31))).toBe('length');
    expect(signatureProblem(new Uint8Array(63))).toBe('length');
    expect(verifyStrict(key.publicKey, msg, sig.subarray(0, 63))).toBe(false);
  });

  it('accepts a mixed-order-free honest key from the Plexi vectors', () => {
    expect(publicKeyProblem(fromHex('606a878700158d92b3a14a0fd37ec82e0f05f92fcf23146abfda2e3a2f10a9bc'))).toBeNull();
  });
});

describe('WebCrypto backend agrees with the node:crypto backend', () => {
  it('on honest, tampered, malleable and small-order inputs', async () => {
    const s = fromLe(sig.subarray(32));
    const malleable = new Uint8Array(sig);
    malleable.set(le32(s + L), 32);
    const small = new Uint8Array(32);
    small[0] = 1; // the identity point
    const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
      [key.publicKey, msg, sig],
      [key.publicKey, new TextEncoder().encode('x'), sig],
      [key.publicKey, msg, malleable],
      [small, msg, new Uint8Array(64)],
      [key.publicKey, msg, new Uint8Array(64)],
    ];
    for (const [pk, m, sg] of cases) expect(await verifyStrictAsync(pk, m, sg)).toBe(verifyStrict(pk, m, sg));
    expect(await verifyStrictAsync(key.publicKey, msg, sig)).toBe(true);
  });
});
