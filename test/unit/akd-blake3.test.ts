// The word-level BLAKE3 against @noble/hashes, byte for byte, for every length the tree uses and
// beyond (multi-block, a full chunk, and the fallback past one chunk).
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blake3 } from '../../src/akd/blake3.js';
import { toHex } from '../../src/util/bytes.js';

describe('akd BLAKE3', () => {
  it('matches @noble/hashes for every length from 0 to 1100 bytes', () => {
    const data = new Uint8Array(1100);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
    for (let n = 0; n <= data.length; n++) {
      const input = data.subarray(0, n);
      expect(toHex(blake3(input)), `length ${n}`).toBe(toHex(nobleBlake3(input)));
    }
  });

  it('matches @noble/hashes on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        expect(toHex(blake3(input))).toBe(toHex(nobleBlake3(input)));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the published digest of the empty input', () => {
    expect(toHex(blake3(new Uint8Array(0)))).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
  });
});
