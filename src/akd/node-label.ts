// akd's NodeLabel (akd_core/src/types/node_label): a bit string of `len` bits (0..256) stored in a
// 32-byte `val`, most significant bit first. Bits of `val` beyond `len` are kept as they are: akd
// hashes all 32 bytes, so they matter for hashes but not for the tree's shape.
import { toHex } from '../util/bytes.js';

export interface NodeLabel {
  val: Uint8Array; // exactly 32 bytes
  len: number; // 0..256
}

export const LABEL_BYTES = 32;
export const MAX_LABEL_LEN = 256;

export function rootLabel(): NodeLabel {
  return { val: new Uint8Array(32), len: 0 };
}

/** akd `NodeLabel::to_bytes`: label_len as a big-endian u32, then the 32 bytes of label_val. */
export function labelToBytes(label: NodeLabel): Uint8Array {
  const out = new Uint8Array(36);
  new DataView(out.buffer).setUint32(0, label.len);
  out.set(label.val, 4);
  return out;
}

/** As akd's Display for NodeLabel: "(0x<hex of label_val>, <label_len>)". */
export function formatLabel(val: Uint8Array, len: number): string {
  return `(0x${toHex(val)}, ${len})`;
}

/** Bit `index` of a 32-byte label value, most significant bit of byte 0 first. */
export function getBit(val: Uint8Array, index: number): 0 | 1 {
  return (((val[index >>> 3] as number) >>> (7 - (index & 7))) & 1) as 0 | 1;
}

/** akd `get_prefix`: the first `len` bits, the rest zeroed (a length of 256 or more returns the label). */
export function getPrefix(label: NodeLabel, len: number): NodeLabel {
  if (len >= MAX_LABEL_LEN) return { val: label.val.slice(), len: label.len };
  const val = new Uint8Array(32);
  const full = len >>> 3;
  val.set(label.val.subarray(0, full));
  const rest = len & 7;
  if (rest !== 0) val[full] = (label.val[full] as number) & (0xff00 >>> rest) & 0xff;
  return { val, len };
}

/** Number of leading bits on which two 32-byte values agree (256 when equal). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = (a[i] as number) ^ (b[i] as number);
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return 256;
}

/** akd `is_prefix_of`: `a.len <= b.len` and the first `a.len` bits agree. */
export function isPrefixOf(a: NodeLabel, b: NodeLabel): boolean {
  return a.len <= b.len && commonPrefixBits(a.val, b.val) >= a.len;
}

/** Length of akd's longest common prefix of two labels (bits beyond either length ignored). */
export function commonPrefixLength(a: NodeLabel, b: NodeLabel): number {
  return Math.min(commonPrefixBits(a.val, b.val), a.len, b.len);
}

export function labelsEqual(a: NodeLabel, b: NodeLabel): boolean {
  if (a.len !== b.len) return false;
  for (let i = 0; i < 32; i++) if (a.val[i] !== b.val[i]) return false;
  return true;
}
