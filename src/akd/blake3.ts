// BLAKE3 for the short messages of the AKD tree (labels, node values, parents: 36 to ~150 bytes).
// A single-chunk (<= 1024 bytes) hasher on 32-bit words: no allocation per call, no WASM boundary.
// A benchmark (bench/akd.ts, docs/akd.md) picked it over @noble/hashes, hash-wasm and blake3-jit for
// this workload; tests check it byte for byte against @noble/hashes.
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';

// Digests are handled as Uint32Array views over their bytes: that is BLAKE3's word order only on
// a little-endian host (every platform Node ships for, except s390x).
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('the AKD verifier needs a little-endian host');
}

const IV0 = 0x6a09e667;
const IV1 = 0xbb67ae85;
const IV2 = 0x3c6ef372;
const IV3 = 0xa54ff53a;
const IV4 = 0x510e527f;
const IV5 = 0x9b05688c;
const IV6 = 0x1f83d9ab;
const IV7 = 0x5be0cd19;

export const CHUNK_START = 1;
export const CHUNK_END = 2;
export const ROOT = 8;

/** The BLAKE3 initial chaining value (the SHA-256 IV). */
export const BLAKE3_IV = new Uint32Array([IV0, IV1, IV2, IV3, IV4, IV5, IV6, IV7]);

/**
 * One BLAKE3 compression with chunk counter 0: `out[outOff..+8] = first 8 output words` for chaining
 * value `cv[cvOff..+8]` and the 16-word block `m[mOff..+16]` (little-endian words).
 * Written with locals only, the seven rounds spelled out and BLAKE3's message permutation applied to
 * the word names (round r uses the schedule permuted r times), so V8 keeps everything in registers
 * and moves nothing between rounds; this is the hot loop of the verifier.
 */
export function compress(
  cv: Uint32Array,
  cvOff: number,
  m: Uint32Array,
  mOff: number,
  blockLen: number,
  flags: number,
  out: Uint32Array,
  outOff: number,
): void {
  const m0 = m[mOff]! | 0, m1 = m[mOff + 1]! | 0, m2 = m[mOff + 2]! | 0, m3 = m[mOff + 3]! | 0;
  const m4 = m[mOff + 4]! | 0, m5 = m[mOff + 5]! | 0, m6 = m[mOff + 6]! | 0, m7 = m[mOff + 7]! | 0;
  const m8 = m[mOff + 8]! | 0, m9 = m[mOff + 9]! | 0, m10 = m[mOff + 10]! | 0, m11 = m[mOff + 11]! | 0;
  const m12 = m[mOff + 12]! | 0, m13 = m[mOff + 13]! | 0, m14 = m[mOff + 14]! | 0, m15 = m[mOff + 15]! | 0;
  let v0 = cv[cvOff]! | 0, v1 = cv[cvOff + 1]! | 0, v2 = cv[cvOff + 2]! | 0, v3 = cv[cvOff + 3]! | 0;
  let v4 = cv[cvOff + 4]! | 0, v5 = cv[cvOff + 5]! | 0, v6 = cv[cvOff + 6]! | 0, v7 = cv[cvOff + 7]! | 0;
  let v8 = IV0 | 0, v9 = IV1 | 0, v10 = IV2 | 0, v11 = IV3 | 0;
  let v12 = 0, v13 = 0, v14 = blockLen | 0, v15 = flags | 0;
  let t: number;
  // Round 1.
  v0 = (v0 + v4 + m0) | 0; t = v12 ^ v0; v12 = (t >>> 16) | (t << 16); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 12) | (t << 20);
  v0 = (v0 + v4 + m1) | 0; t = v12 ^ v0; v12 = (t >>> 8) | (t << 24); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 7) | (t << 25);
  v1 = (v1 + v5 + m2) | 0; t = v13 ^ v1; v13 = (t >>> 16) | (t << 16); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 12) | (t << 20);
  v1 = (v1 + v5 + m3) | 0; t = v13 ^ v1; v13 = (t >>> 8) | (t << 24); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 7) | (t << 25);
  v2 = (v2 + v6 + m4) | 0; t = v14 ^ v2; v14 = (t >>> 16) | (t << 16); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 12) | (t << 20);
  v2 = (v2 + v6 + m5) | 0; t = v14 ^ v2; v14 = (t >>> 8) | (t << 24); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 7) | (t << 25);
  v3 = (v3 + v7 + m6) | 0; t = v15 ^ v3; v15 = (t >>> 16) | (t << 16); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 12) | (t << 20);
  v3 = (v3 + v7 + m7) | 0; t = v15 ^ v3; v15 = (t >>> 8) | (t << 24); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 7) | (t << 25);
  v0 = (v0 + v5 + m8) | 0; t = v15 ^ v0; v15 = (t >>> 16) | (t << 16); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 12) | (t << 20);
  v0 = (v0 + v5 + m9) | 0; t = v15 ^ v0; v15 = (t >>> 8) | (t << 24); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 7) | (t << 25);
  v1 = (v1 + v6 + m10) | 0; t = v12 ^ v1; v12 = (t >>> 16) | (t << 16); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 12) | (t << 20);
  v1 = (v1 + v6 + m11) | 0; t = v12 ^ v1; v12 = (t >>> 8) | (t << 24); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 7) | (t << 25);
  v2 = (v2 + v7 + m12) | 0; t = v13 ^ v2; v13 = (t >>> 16) | (t << 16); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 12) | (t << 20);
  v2 = (v2 + v7 + m13) | 0; t = v13 ^ v2; v13 = (t >>> 8) | (t << 24); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 7) | (t << 25);
  v3 = (v3 + v4 + m14) | 0; t = v14 ^ v3; v14 = (t >>> 16) | (t << 16); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 12) | (t << 20);
  v3 = (v3 + v4 + m15) | 0; t = v14 ^ v3; v14 = (t >>> 8) | (t << 24); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 7) | (t << 25);
  // Round 2.
  v0 = (v0 + v4 + m2) | 0; t = v12 ^ v0; v12 = (t >>> 16) | (t << 16); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 12) | (t << 20);
  v0 = (v0 + v4 + m6) | 0; t = v12 ^ v0; v12 = (t >>> 8) | (t << 24); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 7) | (t << 25);
  v1 = (v1 + v5 + m3) | 0; t = v13 ^ v1; v13 = (t >>> 16) | (t << 16); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 12) | (t << 20);
  v1 = (v1 + v5 + m10) | 0; t = v13 ^ v1; v13 = (t >>> 8) | (t << 24); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 7) | (t << 25);
  v2 = (v2 + v6 + m7) | 0; t = v14 ^ v2; v14 = (t >>> 16) | (t << 16); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 12) | (t << 20);
  v2 = (v2 + v6 + m0) | 0; t = v14 ^ v2; v14 = (t >>> 8) | (t << 24); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 7) | (t << 25);
  v3 = (v3 + v7 + m4) | 0; t = v15 ^ v3; v15 = (t >>> 16) | (t << 16); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 12) | (t << 20);
  v3 = (v3 + v7 + m13) | 0; t = v15 ^ v3; v15 = (t >>> 8) | (t << 24); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 7) | (t << 25);
  v0 = (v0 + v5 + m1) | 0; t = v15 ^ v0; v15 = (t >>> 16) | (t << 16); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 12) | (t << 20);
  v0 = (v0 + v5 + m11) | 0; t = v15 ^ v0; v15 = (t >>> 8) | (t << 24); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 7) | (t << 25);
  v1 = (v1 + v6 + m12) | 0; t = v12 ^ v1; v12 = (t >>> 16) | (t << 16); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 12) | (t << 20);
  v1 = (v1 + v6 + m5) | 0; t = v12 ^ v1; v12 = (t >>> 8) | (t << 24); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 7) | (t << 25);
  v2 = (v2 + v7 + m9) | 0; t = v13 ^ v2; v13 = (t >>> 16) | (t << 16); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 12) | (t << 20);
  v2 = (v2 + v7 + m14) | 0; t = v13 ^ v2; v13 = (t >>> 8) | (t << 24); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 7) | (t << 25);
  v3 = (v3 + v4 + m15) | 0; t = v14 ^ v3; v14 = (t >>> 16) | (t << 16); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 12) | (t << 20);
  v3 = (v3 + v4 + m8) | 0; t = v14 ^ v3; v14 = (t >>> 8) | (t << 24); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 7) | (t << 25);
  // Round 3.
  v0 = (v0 + v4 + m3) | 0; t = v12 ^ v0; v12 = (t >>> 16) | (t << 16); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 12) | (t << 20);
  v0 = (v0 + v4 + m4) | 0; t = v12 ^ v0; v12 = (t >>> 8) | (t << 24); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 7) | (t << 25);
  v1 = (v1 + v5 + m10) | 0; t = v13 ^ v1; v13 = (t >>> 16) | (t << 16); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 12) | (t << 20);
  v1 = (v1 + v5 + m12) | 0; t = v13 ^ v1; v13 = (t >>> 8) | (t << 24); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 7) | (t << 25);
  v2 = (v2 + v6 + m13) | 0; t = v14 ^ v2; v14 = (t >>> 16) | (t << 16); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 12) | (t << 20);
  v2 = (v2 + v6 + m2) | 0; t = v14 ^ v2; v14 = (t >>> 8) | (t << 24); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 7) | (t << 25);
  v3 = (v3 + v7 + m7) | 0; t = v15 ^ v3; v15 = (t >>> 16) | (t << 16); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 12) | (t << 20);
  v3 = (v3 + v7 + m14) | 0; t = v15 ^ v3; v15 = (t >>> 8) | (t << 24); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 7) | (t << 25);
  v0 = (v0 + v5 + m6) | 0; t = v15 ^ v0; v15 = (t >>> 16) | (t << 16); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 12) | (t << 20);
  v0 = (v0 + v5 + m5) | 0; t = v15 ^ v0; v15 = (t >>> 8) | (t << 24); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 7) | (t << 25);
  v1 = (v1 + v6 + m9) | 0; t = v12 ^ v1; v12 = (t >>> 16) | (t << 16); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 12) | (t << 20);
  v1 = (v1 + v6 + m0) | 0; t = v12 ^ v1; v12 = (t >>> 8) | (t << 24); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 7) | (t << 25);
  v2 = (v2 + v7 + m11) | 0; t = v13 ^ v2; v13 = (t >>> 16) | (t << 16); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 12) | (t << 20);
  v2 = (v2 + v7 + m15) | 0; t = v13 ^ v2; v13 = (t >>> 8) | (t << 24); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 7) | (t << 25);
  v3 = (v3 + v4 + m8) | 0; t = v14 ^ v3; v14 = (t >>> 16) | (t << 16); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 12) | (t << 20);
  v3 = (v3 + v4 + m1) | 0; t = v14 ^ v3; v14 = (t >>> 8) | (t << 24); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 7) | (t << 25);
  // Round 4.
  v0 = (v0 + v4 + m10) | 0; t = v12 ^ v0; v12 = (t >>> 16) | (t << 16); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 12) | (t << 20);
  v0 = (v0 + v4 + m7) | 0; t = v12 ^ v0; v12 = (t >>> 8) | (t << 24); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 7) | (t << 25);
  v1 = (v1 + v5 + m12) | 0; t = v13 ^ v1; v13 = (t >>> 16) | (t << 16); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 12) | (t << 20);
  v1 = (v1 + v5 + m9) | 0; t = v13 ^ v1; v13 = (t >>> 8) | (t << 24); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 7) | (t << 25);
  v2 = (v2 + v6 + m14) | 0; t = v14 ^ v2; v14 = (t >>> 16) | (t << 16); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 12) | (t << 20);
  v2 = (v2 + v6 + m3) | 0; t = v14 ^ v2; v14 = (t >>> 8) | (t << 24); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 7) | (t << 25);
  v3 = (v3 + v7 + m13) | 0; t = v15 ^ v3; v15 = (t >>> 16) | (t << 16); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 12) | (t << 20);
  v3 = (v3 + v7 + m15) | 0; t = v15 ^ v3; v15 = (t >>> 8) | (t << 24); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 7) | (t << 25);
  v0 = (v0 + v5 + m4) | 0; t = v15 ^ v0; v15 = (t >>> 16) | (t << 16); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 12) | (t << 20);
  v0 = (v0 + v5 + m0) | 0; t = v15 ^ v0; v15 = (t >>> 8) | (t << 24); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 7) | (t << 25);
  v1 = (v1 + v6 + m11) | 0; t = v12 ^ v1; v12 = (t >>> 16) | (t << 16); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 12) | (t << 20);
  v1 = (v1 + v6 + m2) | 0; t = v12 ^ v1; v12 = (t >>> 8) | (t << 24); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 7) | (t << 25);
  v2 = (v2 + v7 + m5) | 0; t = v13 ^ v2; v13 = (t >>> 16) | (t << 16); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 12) | (t << 20);
  v2 = (v2 + v7 + m8) | 0; t = v13 ^ v2; v13 = (t >>> 8) | (t << 24); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 7) | (t << 25);
  v3 = (v3 + v4 + m1) | 0; t = v14 ^ v3; v14 = (t >>> 16) | (t << 16); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 12) | (t << 20);
  v3 = (v3 + v4 + m6) | 0; t = v14 ^ v3; v14 = (t >>> 8) | (t << 24); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 7) | (t << 25);
  // Round 5.
  v0 = (v0 + v4 + m12) | 0; t = v12 ^ v0; v12 = (t >>> 16) | (t << 16); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 12) | (t << 20);
  v0 = (v0 + v4 + m13) | 0; t = v12 ^ v0; v12 = (t >>> 8) | (t << 24); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 7) | (t << 25);
  v1 = (v1 + v5 + m9) | 0; t = v13 ^ v1; v13 = (t >>> 16) | (t << 16); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 12) | (t << 20);
  v1 = (v1 + v5 + m11) | 0; t = v13 ^ v1; v13 = (t >>> 8) | (t << 24); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 7) | (t << 25);
  v2 = (v2 + v6 + m15) | 0; t = v14 ^ v2; v14 = (t >>> 16) | (t << 16); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 12) | (t << 20);
  v2 = (v2 + v6 + m10) | 0; t = v14 ^ v2; v14 = (t >>> 8) | (t << 24); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 7) | (t << 25);
  v3 = (v3 + v7 + m14) | 0; t = v15 ^ v3; v15 = (t >>> 16) | (t << 16); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 12) | (t << 20);
  v3 = (v3 + v7 + m8) | 0; t = v15 ^ v3; v15 = (t >>> 8) | (t << 24); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 7) | (t << 25);
  v0 = (v0 + v5 + m7) | 0; t = v15 ^ v0; v15 = (t >>> 16) | (t << 16); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 12) | (t << 20);
  v0 = (v0 + v5 + m2) | 0; t = v15 ^ v0; v15 = (t >>> 8) | (t << 24); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 7) | (t << 25);
  v1 = (v1 + v6 + m5) | 0; t = v12 ^ v1; v12 = (t >>> 16) | (t << 16); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 12) | (t << 20);
  v1 = (v1 + v6 + m3) | 0; t = v12 ^ v1; v12 = (t >>> 8) | (t << 24); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 7) | (t << 25);
  v2 = (v2 + v7 + m0) | 0; t = v13 ^ v2; v13 = (t >>> 16) | (t << 16); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 12) | (t << 20);
  v2 = (v2 + v7 + m1) | 0; t = v13 ^ v2; v13 = (t >>> 8) | (t << 24); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 7) | (t << 25);
  v3 = (v3 + v4 + m6) | 0; t = v14 ^ v3; v14 = (t >>> 16) | (t << 16); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 12) | (t << 20);
  v3 = (v3 + v4 + m4) | 0; t = v14 ^ v3; v14 = (t >>> 8) | (t << 24); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 7) | (t << 25);
  // Round 6.
  v0 = (v0 + v4 + m9) | 0; t = v12 ^ v0; v12 = (t >>> 16) | (t << 16); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 12) | (t << 20);
  v0 = (v0 + v4 + m14) | 0; t = v12 ^ v0; v12 = (t >>> 8) | (t << 24); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 7) | (t << 25);
  v1 = (v1 + v5 + m11) | 0; t = v13 ^ v1; v13 = (t >>> 16) | (t << 16); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 12) | (t << 20);
  v1 = (v1 + v5 + m5) | 0; t = v13 ^ v1; v13 = (t >>> 8) | (t << 24); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 7) | (t << 25);
  v2 = (v2 + v6 + m8) | 0; t = v14 ^ v2; v14 = (t >>> 16) | (t << 16); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 12) | (t << 20);
  v2 = (v2 + v6 + m12) | 0; t = v14 ^ v2; v14 = (t >>> 8) | (t << 24); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 7) | (t << 25);
  v3 = (v3 + v7 + m15) | 0; t = v15 ^ v3; v15 = (t >>> 16) | (t << 16); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 12) | (t << 20);
  v3 = (v3 + v7 + m1) | 0; t = v15 ^ v3; v15 = (t >>> 8) | (t << 24); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 7) | (t << 25);
  v0 = (v0 + v5 + m13) | 0; t = v15 ^ v0; v15 = (t >>> 16) | (t << 16); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 12) | (t << 20);
  v0 = (v0 + v5 + m3) | 0; t = v15 ^ v0; v15 = (t >>> 8) | (t << 24); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 7) | (t << 25);
  v1 = (v1 + v6 + m0) | 0; t = v12 ^ v1; v12 = (t >>> 16) | (t << 16); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 12) | (t << 20);
  v1 = (v1 + v6 + m10) | 0; t = v12 ^ v1; v12 = (t >>> 8) | (t << 24); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 7) | (t << 25);
  v2 = (v2 + v7 + m2) | 0; t = v13 ^ v2; v13 = (t >>> 16) | (t << 16); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 12) | (t << 20);
  v2 = (v2 + v7 + m6) | 0; t = v13 ^ v2; v13 = (t >>> 8) | (t << 24); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 7) | (t << 25);
  v3 = (v3 + v4 + m4) | 0; t = v14 ^ v3; v14 = (t >>> 16) | (t << 16); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 12) | (t << 20);
  v3 = (v3 + v4 + m7) | 0; t = v14 ^ v3; v14 = (t >>> 8) | (t << 24); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 7) | (t << 25);
  // Round 7.
  v0 = (v0 + v4 + m11) | 0; t = v12 ^ v0; v12 = (t >>> 16) | (t << 16); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 12) | (t << 20);
  v0 = (v0 + v4 + m15) | 0; t = v12 ^ v0; v12 = (t >>> 8) | (t << 24); v8 = (v8 + v12) | 0; t = v4 ^ v8; v4 = (t >>> 7) | (t << 25);
  v1 = (v1 + v5 + m5) | 0; t = v13 ^ v1; v13 = (t >>> 16) | (t << 16); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 12) | (t << 20);
  v1 = (v1 + v5 + m0) | 0; t = v13 ^ v1; v13 = (t >>> 8) | (t << 24); v9 = (v9 + v13) | 0; t = v5 ^ v9; v5 = (t >>> 7) | (t << 25);
  v2 = (v2 + v6 + m1) | 0; t = v14 ^ v2; v14 = (t >>> 16) | (t << 16); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 12) | (t << 20);
  v2 = (v2 + v6 + m9) | 0; t = v14 ^ v2; v14 = (t >>> 8) | (t << 24); v10 = (v10 + v14) | 0; t = v6 ^ v10; v6 = (t >>> 7) | (t << 25);
  v3 = (v3 + v7 + m8) | 0; t = v15 ^ v3; v15 = (t >>> 16) | (t << 16); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 12) | (t << 20);
  v3 = (v3 + v7 + m6) | 0; t = v15 ^ v3; v15 = (t >>> 8) | (t << 24); v11 = (v11 + v15) | 0; t = v7 ^ v11; v7 = (t >>> 7) | (t << 25);
  v0 = (v0 + v5 + m14) | 0; t = v15 ^ v0; v15 = (t >>> 16) | (t << 16); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 12) | (t << 20);
  v0 = (v0 + v5 + m10) | 0; t = v15 ^ v0; v15 = (t >>> 8) | (t << 24); v10 = (v10 + v15) | 0; t = v5 ^ v10; v5 = (t >>> 7) | (t << 25);
  v1 = (v1 + v6 + m2) | 0; t = v12 ^ v1; v12 = (t >>> 16) | (t << 16); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 12) | (t << 20);
  v1 = (v1 + v6 + m12) | 0; t = v12 ^ v1; v12 = (t >>> 8) | (t << 24); v11 = (v11 + v12) | 0; t = v6 ^ v11; v6 = (t >>> 7) | (t << 25);
  v2 = (v2 + v7 + m3) | 0; t = v13 ^ v2; v13 = (t >>> 16) | (t << 16); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 12) | (t << 20);
  v2 = (v2 + v7 + m4) | 0; t = v13 ^ v2; v13 = (t >>> 8) | (t << 24); v8 = (v8 + v13) | 0; t = v7 ^ v8; v7 = (t >>> 7) | (t << 25);
  v3 = (v3 + v4 + m7) | 0; t = v14 ^ v3; v14 = (t >>> 16) | (t << 16); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 12) | (t << 20);
  v3 = (v3 + v4 + m13) | 0; t = v14 ^ v3; v14 = (t >>> 8) | (t << 24); v9 = (v9 + v14) | 0; t = v4 ^ v9; v4 = (t >>> 7) | (t << 25);
  out[outOff] = v0 ^ v8;
  out[outOff + 1] = v1 ^ v9;
  out[outOff + 2] = v2 ^ v10;
  out[outOff + 3] = v3 ^ v11;
  out[outOff + 4] = v4 ^ v12;
  out[outOff + 5] = v5 ^ v13;
  out[outOff + 6] = v6 ^ v14;
  out[outOff + 7] = v7 ^ v15;
}

const SCRATCH_BYTES = new Uint8Array(1024);
const SCRATCH_WORDS = new Uint32Array(SCRATCH_BYTES.buffer);
const CV = new Uint32Array(8);

/** Flags of a one-block message (chunk start, chunk end, root): every hash of 64 bytes or less. */
export const ONE_BLOCK = CHUNK_START | CHUNK_END | ROOT;

/**
 * BLAKE3 of the message held in `words` (its bytes, little-endian words) of `len` bytes, len <= 1024
 * (one chunk). The caller guarantees zero bytes from `len` up to the end of its last 64-byte block.
 * Writes the 32-byte digest as 8 words into `out[outOff..+8]`.
 */
export function hashPadded(words: Uint32Array, len: number, out: Uint32Array, outOff: number): void {
  if (len <= 64) {
    compress(BLAKE3_IV, 0, words, 0, len, ONE_BLOCK, out, outOff);
    return;
  }
  const blocks = (len + 63) >>> 6;
  CV.set(BLAKE3_IV);
  for (let b = 0; b < blocks - 1; b++) {
    compress(CV, 0, words, b * 16, 64, b === 0 ? CHUNK_START : 0, CV, 0);
  }
  compress(CV, 0, words, (blocks - 1) * 16, len - (blocks - 1) * 64, CHUNK_END | ROOT, out, outOff);
}

/** BLAKE3 of `data`, written as 8 little-endian words into `out[outOff..+8]`. */
export function blake3Into(data: Uint8Array, out: Uint32Array, outOff: number): void {
  const len = data.length;
  if (len > 1024) {
    const digest = nobleBlake3(data);
    out.set(new Uint32Array(digest.buffer, digest.byteOffset, 8), outOff);
    return;
  }
  SCRATCH_BYTES.set(data);
  SCRATCH_BYTES.fill(0, len, Math.max(64, (len + 63) & ~63));
  hashPadded(SCRATCH_WORDS, len, out, outOff);
}

/** BLAKE3 of arbitrary bytes, as a new 32-byte array. */
export function blake3(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  blake3Into(data, new Uint32Array(out.buffer), 0);
  return out;
}
