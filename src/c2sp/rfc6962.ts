// RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256: leaf = H(0x00 || data), node = H(0x01 || l || r).
// Proof generation works on an in-memory list of leaf hashes (tests and test logs); verification works on
// u64 sizes as bigints, following RFC 9162 §2.1.3.2 and §2.1.4.2.
import { createHash } from 'node:crypto';
import { bytesEqual } from '../util/bytes.js';
import { C2spFormatError } from './errors.js';
import { HASH_SIZE } from './checkpoint.js';
import { assertDecimalRange } from './text.js';

/** A consistency or inclusion proof for trees below 2^64 leaves never needs more hashes than this. */
export const MAX_PROOF_HASHES = 64;

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** Root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1). */
export const EMPTY_ROOT: Uint8Array = sha256();

export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, data);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** Largest power of two strictly below n (n ≥ 2): RFC 6962's split point. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes (RFC 6962 §2.1). */
export function rootOf(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0] as Uint8Array;
  const k = splitPoint(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/** Audit path for leaf `index` in the tree of all `leaves` (RFC 6962 §2.1.1, PATH). */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new C2spFormatError(`leaf index ${index} is outside a tree of ${leaves.length} leaves`);
  }
  if (leaves.length === 1) return [];
  const k = splitPoint(leaves.length);
  if (index < k) return [...inclusionProof(leaves.slice(0, k), index), rootOf(leaves.slice(k))];
  return [...inclusionProof(leaves.slice(k), index - k), rootOf(leaves.slice(0, k))];
}

function subproof(m: number, leaves: readonly Uint8Array[], complete: boolean): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [rootOf(leaves)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(m, leaves.slice(0, k), complete), rootOf(leaves.slice(k))];
  return [...subproof(m - k, leaves.slice(k), false), rootOf(leaves.slice(0, k))];
}

/** Consistency proof from the first `oldSize` leaves to all `leaves` (RFC 6962 §2.1.2, PROOF). */
export function consistencyProof(leaves: readonly Uint8Array[], oldSize: number): Uint8Array[] {
  if (!Number.isInteger(oldSize) || oldSize < 0 || oldSize > leaves.length) {
    throw new C2spFormatError(`old size ${oldSize} is outside 0..${leaves.length}`);
  }
  // The empty tree is consistent with every tree, and a tree with itself: no proof (tlog-witness).
  if (oldSize === 0 || oldSize === leaves.length) return [];
  return subproof(oldSize, leaves, true);
}

function isHash(h: Uint8Array): boolean {
  return h.length === HASH_SIZE;
}

/** Verify an inclusion proof (RFC 9162 §2.1.3.2). Malformed input verifies as false. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: bigint,
  size: bigint,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (index < 0n || index >= size || proof.length > MAX_PROOF_HASHES) return false;
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && bytesEqual(r, root);
}

/**
 * Verify a consistency proof from (oldSize, oldRoot) to (newSize, newRoot) (RFC 9162 §2.1.4.2), with the
 * tlog-witness edge cases: old size 0 needs an empty proof; equal sizes need an empty proof and equal roots.
 * Malformed input verifies as false; sizes out of order are a caller error and throw.
 */
export function verifyConsistency(
  oldSize: bigint,
  newSize: bigint,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  assertDecimalRange(oldSize, 'old size');
  assertDecimalRange(newSize, 'new size');
  if (oldSize > newSize) throw new C2spFormatError(`old size ${oldSize} is above new size ${newSize}`);
  if (!isHash(oldRoot) || !isHash(newRoot) || !proof.every(isHash) || proof.length > MAX_PROOF_HASHES) return false;
  if (oldSize === 0n) return proof.length === 0;
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (proof.length === 0) return false;
  // When the old tree is a complete subtree, its root is the proof's implicit first element.
  const path = (oldSize & (oldSize - 1n)) === 0n ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1n;
  let sn = newSize - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}
