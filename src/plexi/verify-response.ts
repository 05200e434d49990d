// Verifying a SignatureResponse as plexi does (Node: node:crypto for the equation).
import { verifyStrict } from '../crypto/ed25519.js';
import { isKnownCiphersuite, signedBytes } from './signature-message.js';
import type { SignatureResponse } from './signature-response.js';

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Verify as plexi does: rebuild the signed message from the fields (ignoring
 * serialized_message) and check it strictly against the key.
 */
export function verifySignatureResponse(r: SignatureResponse, publicKey: Uint8Array): SignatureCheck {
  if (!isKnownCiphersuite(r.ciphersuite)) return { ok: false, reason: `unsupported ciphersuite ${r.ciphersuite}` };
  if (publicKey.length !== 32) return { ok: false, reason: 'verifying key must be 32 bytes' };
  const ok = verifyStrict(publicKey, signedBytes(r), r.signature);
  return ok ? { ok: true } : { ok: false, reason: 'signature does not verify for the key' };
}
