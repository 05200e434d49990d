// Signed notes (c2sp.org/signed-note v1.0.0): text, a blank line, then `— <name> base64(keyID || sig)`
// lines. Parsing is strict (docs/c2sp.md); verification follows the spec's rules for known and unknown
// keys. Ed25519 (type 0x01) is the only note signature type implemented here; cosignature.ts adds 0x04.
import { signingKeyFromSeed, verifyStrict, type SigningKey } from '../crypto/ed25519.js';
import { bytesEqual } from '../util/bytes.js';
import { C2spFormatError, NoteVerificationError } from './errors.js';
import {
  assertKeyName,
  formatVerifierKey,
  keyIdHex,
  keyNameProblem,
  noteKeyId,
  parseVerifierKey,
  SIG_TYPE_ED25519,
  type VerifierKey,
} from './note-keys.js';
import { assertNoControlChars, decodeBase64, encodeBase64, encodeUtf8, inputText } from './text.js';

// Key names, IDs and vkeys live in note-keys.ts (no Node.js: the roster needs them in the browser).
export {
  assertKeyName,
  ed25519VkeyProblem,
  formatVerifierKey,
  keyIdHex,
  keyNameProblem,
  noteKeyId,
  parseVerifierKey,
  SIG_TYPE_COSIGNATURE_V1,
  SIG_TYPE_ED25519,
  type VerifierKey,
} from './note-keys.js';

/** Largest note accepted: far above 16 post-quantum signatures (spec minimum), far below memory limits. */
export const MAX_NOTE_BYTES = 1 << 20;
/** Most signature lines accepted in one note (the spec requires at least 16). */
export const MAX_NOTE_SIGNATURES = 128;

const EM_DASH_PREFIX = '\u2014 ';

export interface NoteSignature {
  /** Key name, as in the signature line. */
  name: string;
  /** uint32 key ID (first four bytes of the decoded signature, big-endian). */
  keyId: number;
  /** The signature bytes after the key ID (for Ed25519: 64 bytes; for cosignature/v1: 8 + 64). */
  signature: Uint8Array;
}

export interface Note {
  /** Note text, including its final newline, excluding the separating blank line. */
  text: string;
  signatures: NoteSignature[];
}

/** Verifies one key's signatures; `verify` gets the raw note text bytes and the signature after the key ID. */
export interface NoteVerifier {
  name: string;
  keyId: number;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  name: string;
  keyId: number;
  sign(text: Uint8Array): Uint8Array;
}

/** Note text rules shared by parsing and signing: UTF-8, no control characters, ends in newline. */
export function assertNoteText(text: string): void {
  if (text.length === 0 || !text.endsWith('\n')) throw new C2spFormatError('note text must end with a newline');
  assertNoControlChars(text, 'note text');
}

function parseSignatureLine(line: string, lineNo: number): NoteSignature {
  if (!line.startsWith(EM_DASH_PREFIX)) {
    throw new C2spFormatError(`signature line ${lineNo} does not start with "— "`);
  }
  const rest = line.slice(EM_DASH_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new C2spFormatError(`signature line ${lineNo} has no signature after the key name`);
  const name = rest.slice(0, space);
  const b64 = rest.slice(space + 1);
  const problem = keyNameProblem(name);
  if (problem !== null) throw new C2spFormatError(`signature line ${lineNo}: ${problem}`);
  const raw = decodeBase64(b64, `signature line ${lineNo}`);
  if (raw.length < 5) throw new C2spFormatError(`signature line ${lineNo} is shorter than a key ID and a signature`);
  const keyId = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0);
  return { name, keyId, signature: raw.subarray(4) };
}

/** Parse signature lines (each `— name base64\n`), as in a note's signature block or a witness response. */
export function parseSignatureLines(block: string): NoteSignature[] {
  if (block.length === 0) throw new C2spFormatError('no signature lines');
  if (!block.endsWith('\n')) throw new C2spFormatError('signature lines must end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new C2spFormatError(`more than ${MAX_NOTE_SIGNATURES} signature lines`);
  }
  return lines.map((line, i) => parseSignatureLine(line, i + 1));
}

/** Parse a signed note strictly; signatures are not checked here (see `openNote`). */
export function parseNote(input: Uint8Array | string): Note {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > MAX_NOTE_BYTES) throw new C2spFormatError(`note is larger than ${MAX_NOTE_BYTES} bytes`);
  const msg = inputText(input, 'note');
  assertNoControlChars(msg, 'note');
  // The text ends at the last blank line; the text keeps its final newline (c2sp.org/signed-note).
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new C2spFormatError('note has no blank line before its signatures');
  const text = msg.slice(0, split + 1);
  const signatures = parseSignatureLines(msg.slice(split + 2));
  return { text, signatures };
}

export function formatSignatureLine(sig: NoteSignature): string {
  assertKeyName(sig.name);
  const raw = new Uint8Array(4 + sig.signature.length);
  new DataView(raw.buffer).setUint32(0, sig.keyId >>> 0);
  raw.set(sig.signature, 4);
  return `${EM_DASH_PREFIX}${sig.name} ${encodeBase64(raw)}\n`;
}

export function formatNote(note: Note): string {
  assertNoteText(note.text);
  if (note.signatures.length === 0) throw new C2spFormatError('a signed note needs at least one signature');
  return note.text + '\n' + note.signatures.map(formatSignatureLine).join('');
}

export interface OpenedNote {
  note: Note;
  /** Signatures from known keys that verified, one per key (first occurrence). */
  verified: { verifier: NoteVerifier; signature: NoteSignature }[];
  /** Signatures from keys not in the verifier list: kept, never trusted. */
  unknown: NoteSignature[];
}

/**
 * Verify a note against known keys. Signatures whose (name, key ID) match no verifier are kept as unknown;
 * a matching signature that fails rejects the whole note; no verified signature rejects it too.
 */
export function openNote(input: Uint8Array | string | Note, verifiers: readonly NoteVerifier[]): OpenedNote {
  const note = typeof input === 'object' && !(input instanceof Uint8Array) ? input : parseNote(input);
  // A caller-built Note skipped parsing: its text must still be note text before anything is verified.
  assertNoteText(note.text);
  const textBytes = encodeUtf8(note.text);
  const verified: OpenedNote['verified'] = [];
  const unknown: NoteSignature[] = [];
  const seen = new Set<NoteVerifier>();
  for (const sig of note.signatures) {
    const verifier = verifiers.find((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (verifier === undefined) {
      unknown.push(sig);
      continue;
    }
    if (!verifier.verify(textBytes, sig.signature)) {
      throw new NoteVerificationError(
        'bad-signature',
        `signature by ${sig.name}+${keyIdHex(sig.keyId)} does not verify`,
      );
    }
    if (!seen.has(verifier)) {
      seen.add(verifier);
      verified.push({ verifier, signature: sig });
    }
  }
  if (verified.length === 0) {
    throw new NoteVerificationError('no-known-signature', 'note has no signature by a known key');
  }
  return { note, verified, unknown };
}

/** Sign note text with one or more signers; returns the serialized note. */
export function signNote(text: string, signers: readonly NoteSigner[], existing: NoteSignature[] = []): string {
  assertNoteText(text);
  const bytes = encodeUtf8(text);
  const signatures = [...existing];
  for (const s of signers) signatures.push({ name: s.name, keyId: s.keyId, signature: s.sign(bytes) });
  return formatNote({ text, signatures });
}

// ---- verifier keys -------------------------------------------------------------------------------

/** Ed25519 note verifier (type 0x01), from a vkey string or name and 32-byte key. */
export function ed25519NoteVerifier(vkey: string | VerifierKey): NoteVerifier {
  const key = typeof vkey === 'string' ? parseVerifierKey(vkey) : vkey;
  if (key.type !== SIG_TYPE_ED25519) {
    throw new C2spFormatError(`verifier key ${key.name} has type 0x${key.type.toString(16)}, not Ed25519 (0x01)`);
  }
  const publicKey = key.publicKey;
  return {
    name: key.name,
    keyId: key.keyId,
    verify: (text, signature) => signature.length === 64 && verifyStrict(publicKey, text, signature),
  };
}

export function ed25519NoteSigner(name: string, key: SigningKey | Uint8Array): NoteSigner & { vkey: string } {
  assertKeyName(name);
  const signing = key instanceof Uint8Array ? signingKeyFromSeed(key) : key;
  return {
    name,
    keyId: noteKeyId(name, SIG_TYPE_ED25519, signing.publicKey),
    vkey: formatVerifierKey(name, SIG_TYPE_ED25519, signing.publicKey),
    sign: (text) => signing.sign(text),
  };
}

/** True when two verifier keys wrap the same public key material (tlog-policy's "duplicate"). */
export function sameKeyMaterial(a: VerifierKey, b: VerifierKey): boolean {
  return bytesEqual(a.publicKey, b.publicKey);
}
