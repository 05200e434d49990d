// The few protobuf wire-format primitives the AKD proofs need, reading straight from the blob's
// bytes (no per-field objects): an epoch can carry hundreds of thousands of elements.
import { AkdDecodeError } from './errors.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** Nesting limit for skipped groups, as protobuf parsers have (rust-protobuf: 100). */
const MAX_DEPTH = 100;

export class WireReader {
  readonly buf: Uint8Array;
  pos: number;
  /** Reading stops here (the end of the message being read); callers move it for sub-messages. */
  end: number;
  /** Offset of `buf[0]` in the whole blob, for error messages. */
  readonly base: number;
  /** High 32 bits of the last varint read by `varint()` (its return value is the low 32 bits). */
  hi = 0;

  constructor(buf: Uint8Array, base = 0) {
    // A plain Uint8Array view: Buffer's own subarray and indexing paths are slower.
    this.buf = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    this.pos = 0;
    this.end = buf.length;
    this.base = base;
  }

  fail(reason: ConstructorParameters<typeof AkdDecodeError>[0], message: string): never {
    throw new AkdDecodeError(reason, message, this.base + this.pos);
  }

  /** A varint of up to 10 bytes: returns its low 32 bits (unsigned), high bits in `this.hi`. */
  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    let lo = 0;
    let hi: number;
    let b: number;
    // Low 28 bits from the first 4 bytes.
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) this.fail('truncated', 'varint runs past the end of the data');
      b = buf[pos++] as number;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.hi = 0;
        return lo >>> 0;
      }
    }
    // Byte 5 straddles the 32-bit boundary.
    if (pos >= end) this.fail('truncated', 'varint runs past the end of the data');
    b = buf[pos++] as number;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >>> 4;
    if (b >= 0x80) {
      for (let shift = 3; ; shift += 7) {
        if (shift > 31) this.fail('bad-varint', 'varint longer than 10 bytes');
        if (pos >= end) this.fail('truncated', 'varint runs past the end of the data');
        b = buf[pos++] as number;
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    this.pos = pos;
    this.hi = hi >>> 0;
    return lo >>> 0;
  }

  /** A varint that must fit a length (below 2^31); anything larger cannot fit in the data. */
  length(): number {
    const v = this.varint();
    if (this.hi !== 0 || v > 0x7fffffff) this.fail('truncated', 'length prefix exceeds the data');
    if (this.pos + v > this.end) {
      this.fail('truncated', `field of ${v} bytes runs past the end of the data (${this.end - this.pos} left)`);
    }
    return v;
  }

  /** A field tag: returns field number * 8 + wire type; rejects field number 0. */
  tag(): number {
    const v = this.varint();
    if (this.hi !== 0 || v >>> 3 === 0) this.fail('bad-tag', `invalid field tag ${v}`);
    return v;
  }

  /** Skip the value of an unknown field (as protobuf parsers do), groups included. */
  skip(tag: number, depth = 0): void {
    switch (tag & 7) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LEN: {
        const n = this.length();
        this.pos += n;
        return;
      }
      case WIRE_FIXED32:
        this.advance(4);
        return;
      case WIRE_START_GROUP: {
        if (depth >= MAX_DEPTH) this.fail('too-deep', 'groups nested too deeply');
        const field = tag >>> 3;
        for (;;) {
          if (this.pos >= this.end) this.fail('truncated', 'group runs past the end of the data');
          const t = this.tag();
          if ((t & 7) === WIRE_END_GROUP) {
            if (t >>> 3 !== field) this.fail('bad-tag', 'mismatched end of group');
            return;
          }
          this.skip(t, depth + 1);
        }
      }
      case WIRE_END_GROUP:
        this.fail('bad-tag', 'end of group without a start');
        break;
      default:
        this.fail('bad-wire-type', `invalid wire type ${tag & 7}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) this.fail('truncated', 'fixed-size field runs past the end of the data');
    this.pos += n;
  }
}

export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Write a non-negative integer (below 2^53) as a varint; returns the new position. */
export function writeVarint(out: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    out[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}

/** Write a u64 as a varint; returns the new position. */
export function writeVarint64(out: Uint8Array, pos: number, v: bigint): number {
  while (v >= 0x80n) {
    out[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  out[pos++] = Number(v);
  return pos;
}
