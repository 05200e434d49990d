// Ed25519 cosignatures (c2sp.org/tlog-cosignature, `cosignature/v1`, note signature type 0x04). The signed
// message is `cosignature/v1\ntime <T>\n` followed by the checkpoint text; the signature line carries
// key ID || u64 big-endian timestamp || 64-byte Ed25519 signature.
import { signingKeyFromSeed, verifyStrict, type SigningKey } from '../crypto/ed25519.js';
import { parseCheckpoint } from './checkpoint.js';
import { C2spFormatError, NoteVerificationError } from './errors.js';
import {
  formatVerifierKey,
  noteKeyId,
  parseVerifierKey,
  SIG_TYPE_COSIGNATURE_V1,
  type NoteSignature,
  type NoteVerifier,
  type VerifierKey,
} from './signed-note.js';
import { assertDecimalRange, decodeUtf8, encodeUtf8, I63_MAX } from './text.js';

export const COSIGNATURE_V1_HEADER = 'cosignature/v1';
/** 8-byte timestamp + 64-byte Ed25519 signature. */
export const COSIGNATURE_V1_SIZE = 72;

/** The exact bytes a cosigner signs for `checkpointText` at `timestamp` (POSIX seconds). */
export function cosignedMessage(checkpointText: string, timestamp: bigint): Uint8Array {
  assertDecimalRange(timestamp, 'cosignature timestamp');
  parseCheckpoint(checkpointText);
  return encodeUtf8(`${COSIGNATURE_V1_HEADER}\ntime ${timestamp.toString(10)}\n${checkpointText}`);
}

export function cosignatureKeyId(name: string, publicKey: Uint8Array): number {
  return noteKeyId(name, SIG_TYPE_COSIGNATURE_V1, publicKey);
}

export interface Cosigner {
  name: string;
  keyId: number;
  publicKey: Uint8Array;
  /** vkey string with type 0x04. */
  vkey: string;
  /** Cosign checkpoint text at `timestamp`; returns the note signature to append. */
  cosign(checkpointText: string, timestamp: bigint): NoteSignature;
}

export function cosigner(name: string, key: SigningKey | Uint8Array): Cosigner {
  const signing = key instanceof Uint8Array ? signingKeyFromSeed(key) : key;
  const vkey = formatVerifierKey(name, SIG_TYPE_COSIGNATURE_V1, signing.publicKey);
  const keyId = cosignatureKeyId(name, signing.publicKey);
  return {
    name,
    keyId,
    publicKey: signing.publicKey,
    vkey,
    cosign(checkpointText, timestamp) {
      const sig = signing.sign(cosignedMessage(checkpointText, timestamp));
      const out = new Uint8Array(COSIGNATURE_V1_SIZE);
      new DataView(out.buffer).setBigUint64(0, timestamp);
      out.set(sig, 8);
      return { name, keyId, signature: out };
    },
  };
}

/** The timestamp inside a cosignature/v1 signature (the bytes after the key ID). */
export function cosignatureTimestamp(signature: Uint8Array): bigint {
  if (signature.length !== COSIGNATURE_V1_SIZE) {
    throw new C2spFormatError(`a cosignature/v1 signature is ${COSIGNATURE_V1_SIZE} bytes, got ${signature.length}`);
  }
  return new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
}

function verifyCosignatureBytes(publicKey: Uint8Array, text: string, signature: Uint8Array): boolean {
  if (signature.length !== COSIGNATURE_V1_SIZE) return false;
  const timestamp = cosignatureTimestamp(signature);
  if (timestamp > I63_MAX) return false;
  let message: Uint8Array;
  try {
    message = cosignedMessage(text, timestamp);
  } catch (err) {
    // A note that is not a checkpoint cannot carry a valid cosignature: a failed check, not a crash.
    if (err instanceof C2spFormatError) return false;
    throw err;
  }
  return verifyStrict(publicKey, message, signature.subarray(8));
}

/** A note verifier for one cosigner (vkey type 0x04), usable with `openNote`. */
export function cosignatureVerifier(vkey: string | VerifierKey): NoteVerifier {
  const key = typeof vkey === 'string' ? parseVerifierKey(vkey) : vkey;
  if (key.type !== SIG_TYPE_COSIGNATURE_V1) {
    const type = key.type.toString(16);
    throw new C2spFormatError(`verifier key ${key.name} has type 0x${type}, not cosignature/v1 (0x04)`);
  }
  const publicKey = key.publicKey;
  return {
    name: key.name,
    keyId: key.keyId,
    verify: (text, signature) => verifyCosignatureBytes(publicKey, decodeUtf8(text, 'note text'), signature),
  };
}

/** Verify one cosignature over checkpoint text; returns its timestamp or throws NoteVerificationError. */
export function verifyCosignature(vkey: string | VerifierKey, checkpointText: string, sig: NoteSignature): bigint {
  const verifier = cosignatureVerifier(vkey);
  if (sig.name !== verifier.name || sig.keyId !== verifier.keyId) {
    throw new NoteVerificationError('no-known-signature', `cosignature is by ${sig.name}, not by ${verifier.name}`);
  }
  if (!verifier.verify(encodeUtf8(checkpointText), sig.signature)) {
    throw new NoteVerificationError('bad-signature', `cosignature by ${sig.name} does not verify`);
  }
  return cosignatureTimestamp(sig.signature);
}
