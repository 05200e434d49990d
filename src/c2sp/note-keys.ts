// Signed-note key names, key IDs and verifier key strings (c2sp.org/signed-note v1.0.0), without
// Node.js: the roster (src/consensus/roster.ts) formats its auditors' witness keys and checks log keys with these, and
// the roster runs in the dashboard's browser bundle too (docs/architecture.md, `api/dashboard`).
// signed-note.ts re-exports everything here.
import { sha256 } from '../crypto/sha256.js';
import { C2spFormatError } from './errors.js';
import { controlCharIndex, decodeBase64, encodeBase64, encodeUtf8 } from './text.js';

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

export interface VerifierKey {
  name: string;
  keyId: number;
  type: number;
  /** Public key material after the type byte. */
  publicKey: Uint8Array;
}

/** Parse `<name>+<hex key ID>+base64(type || key)`; for Ed25519 types the key ID must match the key. */
export function parseVerifierKey(vkey: string): VerifierKey {
  const parts = vkey.split('+');
  // The base64 part may itself contain '+': the name and key ID are the first two fields.
  if (parts.length < 3) throw new C2spFormatError(`verifier key ${JSON.stringify(vkey)} is not name+id+key`);
  const name = parts[0] as string;
  const idHex = parts[1] as string;
  const b64 = parts.slice(2).join('+');
  assertKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(idHex)) {
    throw new C2spFormatError(`verifier key ${name}: key ID must be 8 lowercase hex digits`);
  }
  const raw = decodeBase64(b64, `verifier key ${name}`);
  if (raw.length < 2) throw new C2spFormatError(`verifier key ${name} has no key material`);
  const type = raw[0] as number;
  const publicKey = raw.subarray(1);
  const keyId = Number.parseInt(idHex, 16);
  if (type === SIG_TYPE_ED25519 || type === SIG_TYPE_COSIGNATURE_V1) {
    if (publicKey.length !== 32) throw new C2spFormatError(`verifier key ${name}: an Ed25519 key is 32 bytes`);
    if (noteKeyId(name, type, publicKey) !== keyId) {
      throw new C2spFormatError(`verifier key ${name}: key ID ${idHex} does not match the key`);
    }
  }
  return { name, keyId, type, publicKey };
}

/** Why a string is not an Ed25519 (type 0x01) verifier key, or null: the check of a log key in a config or roster. */
export function ed25519VkeyProblem(vkey: string): string | null {
  let type: number;
  try {
    type = parseVerifierKey(vkey).type;
  } catch (err) {
    if (err instanceof C2spFormatError) return err.message;
    throw err;
  }
  return type === SIG_TYPE_ED25519 ? null : `has type 0x${type.toString(16).padStart(2, '0')}, not Ed25519 (0x01)`;
}
