// Canonical encodings for gossip (docs/p2p.md, "Flood protection"). Gossip message ids are the
// SHA-256 of the bytes, so a second encoding of the same observation (an unknown field added,
// fields reordered, a varint padded) is a new message that skips de-duplication. Honest nodes only
// ever send what their encoder makes; anything else is rejected, which penalises the sender.
import { bytesEqual } from '../util/bytes.js';
import { DecodeError } from '../util/errors.js';

/** Bytes that decode, but are not what the encoder makes of the decoded value. */
export class NonCanonicalError extends DecodeError {}

/** Decodes `bytes`, then re-encodes the value and requires the very same bytes. */
export function decodeCanonical<T>(
  bytes: Uint8Array,
  decode: (b: Uint8Array) => T,
  encode: (v: T) => Uint8Array,
  what: string,
): T {
  const value = decode(bytes);
  const again = encode(value);
  if (!bytesEqual(again, bytes)) {
    throw new NonCanonicalError(
      `${what} is not canonically encoded (${bytes.byteLength} bytes; the canonical encoding has ${again.byteLength})`,
    );
  }
  return value;
}
