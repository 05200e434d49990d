// Shared text rules of the C2SP formats: strict UTF-8, no control characters, canonical base64.
import { C2spFormatError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Decode strict UTF-8 (no replacement characters; a BOM is kept as text, never stripped). */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new C2spFormatError(`${what} is not valid UTF-8`, { cause: err });
  }
}

export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Accept bytes (checked as UTF-8) or a string (checked for lone surrogates, which have no UTF-8 form). */
export function inputText(input: Uint8Array | string, what: string): string {
  if (typeof input !== 'string') return decodeUtf8(input, what);
  // With the u flag, a surrogate class matches only unpaired surrogates.
  if (/[\uD800-\uDFFF]/u.test(input)) throw new C2spFormatError(`${what} is not valid UTF-8 (lone surrogate)`);
  return input;
}

/** Index of the first ASCII control character other than newline, or -1. */
export function controlCharIndex(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return i;
  }
  return -1;
}

export function assertNoControlChars(text: string, what: string): void {
  const at = controlCharIndex(text);
  if (at >= 0) {
    const code = text.charCodeAt(at).toString(16).padStart(2, '0');
    throw new C2spFormatError(`${what} contains the control character 0x${code}`);
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64 (RFC 4648 §4), canonical only: the decoding must re-encode to the same text. */
export function decodeBase64(text: string, what: string): Uint8Array {
  if (!BASE64.test(text)) throw new C2spFormatError(`${what} is not standard padded base64`);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (encodeBase64(bytes) !== text) {
    throw new C2spFormatError(`${what} is not canonical base64 (non-zero padding bits)`);
  }
  return bytes;
}

// atob/btoa rather than Buffer: the roster checks and formats note keys in the dashboard's browser bundle too.
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  const CHUNK = 0x8000; // String.fromCharCode takes its bytes as arguments: keep the call's argument list short
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
/** Largest size or timestamp the C2SP formats allow: Go implementations parse them as int64. */
export const I63_MAX = (1n << 63n) - 1n;

/** ASCII decimal without leading zeroes, 0 ≤ v ≤ 2^63-1, exact as a bigint. */
export function parseDecimal(text: string, what: string): bigint {
  if (text.length > 19 || !DECIMAL.test(text)) {
    throw new C2spFormatError(`${what} must be a decimal number without leading zeroes, got ${JSON.stringify(text)}`);
  }
  const v = BigInt(text);
  if (v > I63_MAX) throw new C2spFormatError(`${what} is above 2^63-1`);
  return v;
}

export function assertDecimalRange(v: bigint, what: string): void {
  if (v < 0n || v > I63_MAX) throw new C2spFormatError(`${what} must be between 0 and 2^63-1`);
}
