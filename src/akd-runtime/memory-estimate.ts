// What verifying one AKD proof file in a pool worker can allocate, for the node's memory budget
// (docs/akd.md, "Where the bytes go" and "The node's memory"). An upper bound, not a guess: the
// element count is bounded by the file's size over the shortest element that can be valid (a
// shorter one is decoded through one scratch slot), so a hostile blob cannot exceed it.
import { MIN_ELEMENT_BYTES } from '../akd/proof-codec.js';

/** Decoded label, length and value (66), sort order (4) and common prefix (2), per element. */
export const VERIFY_BYTES_PER_ELEMENT = 72;

/** The worker's own isolate (≈ 10 MB), its 1 MiB read window and ≤ 4 MiB of bucket counts. */
export const VERIFY_FIXED_BYTES = 16 * 2 ** 20;

/** Bytes a worker may need to verify a proof file of `proofBytes` (≈ 1.8 × the file, + 16 MiB). */
export function akdVerificationBytes(proofBytes: number): number {
  const elements = Math.ceil(Math.max(0, proofBytes) / MIN_ELEMENT_BYTES);
  return elements * VERIFY_BYTES_PER_ELEMENT + VERIFY_FIXED_BYTES;
}
