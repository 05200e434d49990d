// The strictness rules of ed25519-dalek's `verify_strict`, which Plexi uses, applied before the
// (cofactorless) signature equation is checked by a fast backend (node:crypto / WebCrypto).
// Pure JavaScript with no Node-only imports: the dashboard bundles this file too.
//
// Rejected, whatever the backend would say:
// - a public key that is not a canonical encoding of a curve point, or is of small order;
// - a signature whose S is not canonical (S >= L);
// - a signature whose R is a small-order point. Non-canonical R encodings never verify anyway:
//   both OpenSSL/BoringSSL and dalek compare the recomputed R's canonical encoding bytewise.
import { Point } from '@noble/ed25519';

export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;

// Group order L = 2^252 + 27742317777372353535851937790883648493.
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

// Canonical encodings of the eight points of the torsion subgroup (orders 1, 2, 4, 8).
const SMALL_ORDER_ENCODINGS: ReadonlySet<string> = (() => {
  // A point of order 8 (its encoding is the well-known libsodium blocklist entry).
  const t8 = Point.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');
  const out = new Set<string>();
  let p = Point.ZERO;
  for (let i = 0; i < 8; i++) {
    out.add(p.toHex());
    p = p.add(t8);
  }
  if (out.size !== 8) throw new Error('internal: torsion subgroup enumeration failed');
  return out;
})();

function littleEndianToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  return v;
}

export type KeyProblem = 'length' | 'not-a-point' | 'small-order' | null;

/** Why a public key would be refused by `verify_strict` (plus canonical-encoding check), or null. */
export function publicKeyProblem(publicKey: Uint8Array): KeyProblem {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) return 'length';
  let point: Point;
  try {
    point = Point.fromBytes(publicKey, false); // RFC 8032 strict: canonical y, no "-0"
  } catch {
    return 'not-a-point';
  }
  if (point.isSmallOrder()) return 'small-order';
  return null;
}

export type SignatureProblem = 'length' | 'non-canonical-s' | 'small-order-r' | null;

/** Why a signature's encoding would be refused before any curve arithmetic, or null. */
export function signatureProblem(signature: Uint8Array): SignatureProblem {
  if (signature.length !== ED25519_SIGNATURE_LENGTH) return 'length';
  if (littleEndianToBigInt(signature.subarray(32, 64)) >= L) return 'non-canonical-s';
  if (SMALL_ORDER_ENCODINGS.has(bytesToHex(signature.subarray(0, 32)))) return 'small-order-r';
  return null;
}
