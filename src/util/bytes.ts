import { DecodeError } from './errors.js';

const HEX_RE = /^[0-9a-fA-F]*$/;

// Plain JavaScript (no Buffer) so the dashboard bundle can use it too.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] as number];
  return s;
}

/** Strict hex decoding: even length, hex digits only, and (when given) an exact byte length. */
export function fromHex(hex: string, expectedLength?: number, what = 'value'): Uint8Array {
  if (typeof hex !== 'string') throw new DecodeError(`${what} must be a hex string`);
  if (hex.length % 2 !== 0 || !HEX_RE.test(hex)) throw new DecodeError(`${what} is not valid hex`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new DecodeError(`${what} must be ${expectedLength} bytes, got ${out.length}`);
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytewise comparison, as memcmp: negative when a < b. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
