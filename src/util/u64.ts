import { DecodeError } from './errors.js';

export const U64_MAX = (1n << 64n) - 1n;

/** Parse a decimal u64 exactly (no rounding through `number`). */
export function parseU64(text: string, what = 'value'): bigint {
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(text)) {
    throw new DecodeError(`${what} must be a decimal unsigned 64-bit integer`);
  }
  const v = BigInt(text);
  if (v > U64_MAX) throw new DecodeError(`${what} is above 2^64-1`);
  return v;
}

export function assertU64(v: bigint, what = 'value'): bigint {
  if (v < 0n || v > U64_MAX) throw new DecodeError(`${what} is outside the u64 range`);
  return v;
}

/** 8-byte big-endian encoding: LevelDB keys sort numerically. */
export function u64ToBytesBE(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, assertU64(v));
  return out;
}

export function u64FromBytesBE(b: Uint8Array, offset = 0): bigint {
  if (b.length < offset + 8) throw new DecodeError('u64 needs 8 bytes');
  return new DataView(b.buffer, b.byteOffset + offset, 8).getBigUint64(0);
}
