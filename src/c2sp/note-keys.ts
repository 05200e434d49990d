// Signed-note key names, key IDs and verifier key strings (c2sp.org/signed-note v1.0.0), without
// Node.js: the roster (src/consensus/roster.ts) formats its auditors' witness keys with these, and
// the roster runs in the dashboard's browser bundle too (docs/architecture.md, `api/dashboard`).
// signed-note.ts re-exports everything here.
import { sha256 } from '../crypto/sha256.js';
import { C2spFormatError } from './errors.js';
import { controlCharIndex, encodeBase64, encodeUtf8 } from './text.js';

export const SIG_TYPE_ED25519 = 0x01;
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;

/** A key name: non-empty, no Unicode spaces, no '+' (c2sp.org/signed-note, "Format"). */
export function keyNameProblem(name: string): string | null {
  if (name.length === 0) return 'key name is empty';
  if (/[\p{White_Space}+]/u.test(name)) return 'key name contains a space or "+"';
  if (controlCharIndex(name) >= 0) return 'key name contains a control character';
  return null;
}

export function assertKeyName(name: string): void {
  const problem = keyNameProblem(name);
  if (problem !== null) throw new C2spFormatError(`${problem}: ${JSON.stringify(name)}`);
}

/** key ID = SHA-256(name || 0x0A || type || public key)[:4], big-endian (the spec's recommended form). */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const nameBytes = encodeUtf8(name);
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  input.set(nameBytes);
  input.set([0x0a, type], nameBytes.length);
  input.set(publicKey, nameBytes.length + 2);
  const digest = sha256(input);
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0);
}

export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  assertKeyName(name);
  const raw = new Uint8Array(1 + publicKey.length);
  raw[0] = type;
  raw.set(publicKey, 1);
  return `${name}+${keyIdHex(noteKeyId(name, type, publicKey))}+${encodeBase64(raw)}`;
}
