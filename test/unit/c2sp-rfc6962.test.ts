// RFC 6962 Merkle trees (src/c2sp/rfc6962.ts) against the Certificate Transparency reference vectors,
// then exhaustively over small trees: every generated proof verifies, every tampered one does not.
import { describe, expect, it } from 'vitest';
import {
  C2spFormatError,
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  MAX_PROOF_HASHES,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from '../../src/c2sp/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

// The CT reference leaves and the root for each size 0..8 (RFC 6962 test data of certificate-transparency).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f']
  .map(unhex)
  .map(leafHash);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];
const CONSISTENCY = [
  {
    first: 1,
    second: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    first: 6,
    second: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    first: 2,
    second: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

describe('RFC 6962 reference vectors', () => {
  it('roots of sizes 0..8', () => {
    expect(hex(EMPTY_ROOT)).toBe(ROOTS[0]);
    for (let n = 0; n <= 8; n++) expect(hex(rootOf(LEAVES.slice(0, n))), `size ${n}`).toBe(ROOTS[n]);
  });

  it('inclusion proofs: generated equal the reference, and verify', () => {
    for (const v of INCLUSION) {
      const tree = LEAVES.slice(0, v.size);
      expect(inclusionProof(tree, v.index).map(hex)).toEqual(v.proof);
      const root = unhex(ROOTS[v.size] as string);
      expect(
        verifyInclusion(LEAVES[v.index] as Uint8Array, BigInt(v.index), BigInt(v.size), v.proof.map(unhex), root),
      ).toBe(true);
    }
  });

  it('consistency proofs: generated equal the reference, and verify', () => {
    for (const v of CONSISTENCY) {
      expect(consistencyProof(LEAVES.slice(0, v.second), v.first).map(hex)).toEqual(v.proof);
      const ok = verifyConsistency(
        BigInt(v.first),
        BigInt(v.second),
        unhex(ROOTS[v.first] as string),
        unhex(ROOTS[v.second] as string),
        v.proof.map(unhex),
      );
      expect(ok, `${v.first} -> ${v.second}`).toBe(true);
    }
  });
});

describe('RFC 6962 proofs over every small tree', () => {
  const many = Array.from({ length: 33 }, (_, i) => leafHash(Uint8Array.of(i, i * 3)));
  const roots = Array.from({ length: many.length + 1 }, (_, n) => rootOf(many.slice(0, n)));
  const flip = (h: Uint8Array) => {
    const c = new Uint8Array(h);
    c[0] = (c[0] as number) ^ 1;
    return c;
  };

  it('every consistency proof m -> n verifies, and any tampering is refused', () => {
    for (let n = 1; n <= many.length; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = consistencyProof(many.slice(0, n), m);
        const M = BigInt(m);
        const N = BigInt(n);
        const oldRoot = roots[m] as Uint8Array;
        const newRoot = roots[n] as Uint8Array;
        expect(verifyConsistency(M, N, oldRoot, newRoot, proof), `${m}->${n}`).toBe(true);
        if (m === 0 || m === n) {
          expect(proof).toEqual([]);
          if (m === n) expect(verifyConsistency(M, N, flip(oldRoot), newRoot, proof)).toBe(false);
          continue;
        }
        expect(verifyConsistency(M, N, flip(oldRoot), newRoot, proof)).toBe(false);
        expect(verifyConsistency(M, N, oldRoot, flip(newRoot), proof)).toBe(false);
        for (let i = 0; i < proof.length; i++) {
          const bad = proof.map((h, j) => (j === i ? flip(h) : h));
          expect(verifyConsistency(M, N, oldRoot, newRoot, bad), `${m}->${n} flip ${i}`).toBe(false);
        }
        expect(verifyConsistency(M, N, oldRoot, newRoot, proof.slice(0, -1))).toBe(false);
        expect(verifyConsistency(M, N, oldRoot, newRoot, [...proof, oldRoot])).toBe(false);
        // The sizes are bound by the signed checkpoints, not by the proof: a wrong size may share a path
        // shape, so only the roots of the other sizes are checked here.
        if (n < many.length)
          expect(verifyConsistency(M, N + 1n, oldRoot, roots[n + 1] as Uint8Array, proof)).toBe(false);
      }
    }
  });

  it('every inclusion proof verifies only for its own leaf, index and size', () => {
    for (let n = 1; n <= many.length; n++) {
      const tree = many.slice(0, n);
      const root = roots[n] as Uint8Array;
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(tree, i);
        const leaf = tree[i] as Uint8Array;
        expect(verifyInclusion(leaf, BigInt(i), BigInt(n), proof, root)).toBe(true);
        expect(verifyInclusion(flip(leaf), BigInt(i), BigInt(n), proof, root)).toBe(false);
        if (n > 1) expect(verifyInclusion(leaf, BigInt((i + 1) % n), BigInt(n), proof, root)).toBe(false);
        if (n < many.length) {
          expect(verifyInclusion(leaf, BigInt(i), BigInt(n + 1), proof, roots[n + 1] as Uint8Array)).toBe(false);
        }
      }
    }
  });
});

describe('RFC 6962 edge cases', () => {
  const r = rootOf(LEAVES);
  it('old size 0: any new tree, but only with an empty proof', () => {
    expect(verifyConsistency(0n, 8n, EMPTY_ROOT, r, [])).toBe(true);
    expect(verifyConsistency(0n, 8n, EMPTY_ROOT, r, [r])).toBe(false);
  });
  it('equal sizes: equal roots and an empty proof', () => {
    expect(verifyConsistency(8n, 8n, r, r, [])).toBe(true);
    expect(verifyConsistency(8n, 8n, r, EMPTY_ROOT, [])).toBe(false);
    expect(verifyConsistency(8n, 8n, r, r, [r])).toBe(false);
  });
  it('refuses oversize proofs and wrong hash lengths, throws on sizes out of order', () => {
    const long = Array.from({ length: MAX_PROOF_HASHES + 1 }, () => r);
    expect(verifyConsistency(3n, 1n << 62n, r, r, long)).toBe(false);
    expect(verifyConsistency(3n, 8n, r.subarray(1), r, [r])).toBe(false);
    expect(verifyConsistency(3n, 8n, r, r, [r.subarray(1)])).toBe(false);
    expect(verifyInclusion(r, 0n, 0n, [], r)).toBe(false);
    expect(() => verifyConsistency(9n, 8n, r, r, [])).toThrow(C2spFormatError);
    expect(() => consistencyProof(LEAVES, 9)).toThrow(C2spFormatError);
    expect(() => inclusionProof(LEAVES, 8)).toThrow(C2spFormatError);
  });
  it('handles sizes near 2^63 without precision loss (a proof for a huge tree fails cleanly)', () => {
    const big = (1n << 63n) - 1n;
    expect(verifyConsistency(big - 1n, big, r, r, [r, r])).toBe(false);
    expect(verifyInclusion(r, big - 1n, big, [r], r)).toBe(false);
  });
});
