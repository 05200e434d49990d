// Checkpoint note text (c2sp.org/tlog-checkpoint v1.0.0): origin, tree size in decimal, root hash in
// standard padded base64, then optional non-empty extension lines; every line ends in a newline.
import { C2spFormatError } from './errors.js';
import { assertDecimalRange, assertNoControlChars, decodeBase64, encodeBase64, parseDecimal } from './text.js';

/** RFC 6962 with SHA-256: root hashes are 32 bytes. */
export const HASH_SIZE = 32;

export interface Checkpoint {
  origin: string;
  /** Tree size (number of leaves); 0 ≤ size ≤ 2^63-1, see docs/c2sp.md. */
  size: bigint;
  rootHash: Uint8Array;
  /** Extension lines, without their newlines; usually empty. */
  extensions: string[];
}

/** Parse checkpoint note text strictly (the text of a signed note, signatures already split off). */
export function parseCheckpoint(text: string): Checkpoint {
  assertNoControlChars(text, 'checkpoint');
  if (!text.endsWith('\n')) throw new C2spFormatError('checkpoint must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new C2spFormatError('checkpoint needs an origin, a size and a root hash line');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw new C2spFormatError('checkpoint origin line is empty');
  const size = parseDecimal(sizeLine, 'checkpoint size');
  const rootHash = decodeBase64(rootLine, 'checkpoint root hash');
  if (rootHash.length !== HASH_SIZE) throw new C2spFormatError(`checkpoint root hash must be ${HASH_SIZE} bytes`);
  extensions.forEach((line, i) => {
    if (line.length === 0) throw new C2spFormatError(`checkpoint extension line ${i + 1} is empty`);
  });
  return { origin, size, rootHash, extensions };
}

/** Format checkpoint note text; rejects anything `parseCheckpoint` would reject, so the two round-trip. */
export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin.length === 0 || cp.origin.includes('\n')) {
    throw new C2spFormatError('checkpoint origin must be one non-empty line');
  }
  assertDecimalRange(cp.size, 'checkpoint size');
  if (cp.rootHash.length !== HASH_SIZE) throw new C2spFormatError(`checkpoint root hash must be ${HASH_SIZE} bytes`);
  for (const ext of cp.extensions) {
    if (ext.length === 0 || ext.includes('\n')) throw new C2spFormatError('extension lines must be non-empty lines');
  }
  const text = [cp.origin, cp.size.toString(10), encodeBase64(cp.rootHash), ...cp.extensions].join('\n') + '\n';
  assertNoControlChars(text, 'checkpoint');
  return text;
}
