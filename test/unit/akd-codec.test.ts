// The protobuf codec against akd's rules (akd_core/src/proto/mod.rs) and akd's own encodings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AkdDecodeError } from '../../src/akd/errors.js';
import {
  decodeAppendOnlyProof,
  decodeSingleAppendOnlyProof,
  encodeAppendOnlyProof,
  encodeSingleAppendOnlyProof,
  proofFromObjects,
  proofToObjects,
} from '../../src/akd/proof-codec.js';
import { toHex } from '../../src/util/bytes.js';
import { AKD_VECTORS, loadIndex, loadProof } from './akd-fixtures.js';

// A tiny protobuf writer for hand-made inputs.
function varint(v: number | bigint): number[] {
  let x = BigInt(v);
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}
const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
const ld = (field: number, body: number[]): number[] => [...tag(field, 2), ...varint(body.length), ...body];
const fill = (n: number, b: number): number[] => Array<number>(n).fill(b);
const nodeLabel = (val: number[], len: number): number[] => [...ld(1, val), ...tag(2, 0), ...varint(len)];
const element = (val: number[], len: number, value = fill(32, 7)): number[] => [
  ...ld(1, nodeLabel(val, len)),
  ...ld(2, value),
];
const bytes = (...parts: number[][]): Uint8Array => new Uint8Array(parts.flat());

function decodeError(input: Uint8Array): AkdDecodeError {
  try {
    decodeSingleAppendOnlyProof(input);
  } catch (err) {
    expect(err).toBeInstanceOf(AkdDecodeError);
    return err as AkdDecodeError;
  }
  throw new Error('decoding succeeded');
}

describe('akd proof codec: akd-made proofs', () => {
  const cases = loadIndex(AKD_VECTORS).filter((c) => /^(chain|experimental)-/.test(c.name));

  it('decodes every akd-made proof with the counts the index gives', () => {
    for (const c of cases) {
      const p = decodeSingleAppendOnlyProof(loadProof(AKD_VECTORS, c));
      expect([p.insertedCount, p.unchangedCount], c.name).toEqual([c.inserted_count, c.unchanged_count]);
    }
  });

  it('re-encodes each of them byte for byte (akd writes label_val in minimal form)', () => {
    let trimmed = 0;
    for (const c of cases) {
      const original = loadProof(AKD_VECTORS, c);
      const p = decodeSingleAppendOnlyProof(original);
      expect(toHex(encodeSingleAppendOnlyProof(p)), c.name).toBe(toHex(original));
      for (let i = 0; i < p.count; i++) if (p.labels[i * 32 + 31] === 0) trimmed++;
    }
    expect(trimmed).toBeGreaterThan(100); // minimal form really was exercised
  });

  it('writes the older full 32-byte form on request, as the enc-label-val-full-32 vector', () => {
    const p = decodeSingleAppendOnlyProof(readFileSync(join(AKD_VECTORS, 'chain-e06-k1000.bin')));
    const full = readFileSync(join(AKD_VECTORS, 'enc-label-val-full-32.bin'));
    expect(toHex(encodeSingleAppendOnlyProof(p, { fullLabels: true }))).toBe(toHex(full));
    const back = decodeSingleAppendOnlyProof(full);
    expect(toHex(back.labels)).toBe(toHex(p.labels));
  });

  it('converts to objects and back', () => {
    const original = readFileSync(join(AKD_VECTORS, 'chain-e05-k100.bin'));
    const p = decodeSingleAppendOnlyProof(original);
    const objects = proofToObjects(p);
    expect(objects.inserted.length).toBe(100);
    expect(toHex(encodeSingleAppendOnlyProof(proofFromObjects(objects)))).toBe(toHex(original));
  });
});

describe('akd proof codec: akd_core converter rules', () => {
  it('zero-pads a minimal label_val of any length from 0 to 32 bytes', () => {
    for (let n = 0; n <= 32; n++) {
      const p = decodeSingleAppendOnlyProof(bytes(ld(1, element(fill(n, 0xab), 256))));
      expect(p.count).toBe(1);
      expect(toHex(p.labels)).toBe('ab'.repeat(n) + '00'.repeat(32 - n));
    }
  });

  it('rejects a label_val over 32 bytes', () => {
    const e = decodeError(bytes(ld(2, element(fill(33, 1), 256))));
    expect(e.reason).toBe('label-val-too-long');
    expect(e.message).toContain('unchanged_nodes[0]: Label value is too long: 33');
  });

  it('accepts label_len 256, rejects 257 and above', () => {
    expect(decodeSingleAppendOnlyProof(bytes(ld(1, element([1], 256)))).lens[0]).toBe(256);
    for (const len of [257, 1000, 2 ** 31]) {
      const e = decodeError(bytes(ld(1, element([1], len))));
      expect(e.reason).toBe('label-len-too-long');
      expect(e.message).toContain(`should be at most 256: ${len}`);
    }
  });

  it('rejects a value that is not 32 bytes', () => {
    for (const n of [0, 31, 33, 64]) {
      const e = decodeError(bytes(ld(1, element([1], 8, fill(n, 3)))));
      expect(e.reason).toBe('bad-value-length');
    }
  });

  it('rejects missing required fields', () => {
    const value = ld(2, fill(32, 1));
    expect(decodeError(bytes(ld(1, value))).message).toContain('label is missing');
    expect(decodeError(bytes(ld(1, ld(1, nodeLabel([1], 3))))).message).toContain('value is missing');
    expect(decodeError(bytes(ld(1, [...ld(1, ld(1, [1])), ...value]))).message).toContain('label_len is missing');
    expect(decodeError(bytes(ld(1, [...ld(1, [...tag(2, 0), 5]), ...value]))).message).toContain(
      'label_val is missing',
    );
  });

  it('reports inserted elements before unchanged ones, as akd converts them in that order', () => {
    const e = decodeError(bytes(ld(2, element(fill(33, 1), 256)), ld(1, element([1], 300))));
    expect(e.message).toContain('inserted[0]: Label length is too long');
  });

  it('skips unknown fields of every wire type at every level', () => {
    const unknown = [
      ...tag(15, 0),
      ...varint(2n ** 63n),
      ...tag(16, 1),
      ...fill(8, 9),
      ...ld(17, [1, 2, 3]),
      ...tag(18, 5),
      ...fill(4, 9),
      ...tag(19, 3),
      ...tag(1, 0),
      5,
      ...ld(2, [1]),
      ...tag(19, 4),
    ];
    const plain = decodeSingleAppendOnlyProof(bytes(ld(1, element([0xcc], 7))));
    const noisy = decodeSingleAppendOnlyProof(
      bytes(
        unknown,
        ld(1, [
          ...unknown,
          ...ld(1, [...unknown, ...nodeLabel([0xcc], 7), ...unknown]),
          ...unknown,
          ...ld(2, fill(32, 7)),
        ]),
        unknown,
      ),
    );
    expect(toHex(noisy.labels)).toBe(toHex(plain.labels));
    expect(toHex(noisy.values)).toBe(toHex(plain.values));
    expect(noisy.lens[0]).toBe(7);
  });

  it('merges a repeated label message and keeps the last value (protobuf semantics)', () => {
    const p = decodeSingleAppendOnlyProof(
      bytes(
        ld(1, [...ld(1, ld(1, [0xaa])), ...ld(1, [...tag(2, 0), 9]), ...ld(2, fill(32, 1)), ...ld(2, fill(32, 2))]),
      ),
    );
    expect(p.labels[0]).toBe(0xaa);
    expect(p.lens[0]).toBe(9);
    expect(p.values[0]).toBe(2);
  });

  it('rejects every truncation that cuts an element, and no whole-element prefix', () => {
    const whole = bytes(ld(1, element(fill(32, 5), 256)), ld(2, element([1, 2], 9)), ld(2, element([], 1)));
    const boundaries = new Set<number>([0]);
    const r = decodeSingleAppendOnlyProof(whole);
    expect(r.count).toBe(3);
    let pos = 0;
    for (let i = 0; i < 3; i++) {
      pos += 1 + 1 + (whole[pos + 1] as number);
      boundaries.add(pos);
    }
    for (let cut = 0; cut < whole.length; cut++) {
      const prefix = whole.subarray(0, cut);
      if (boundaries.has(cut)) {
        expect(decodeSingleAppendOnlyProof(prefix).count).toBe([...boundaries].filter((b) => b > 0 && b <= cut).length);
      } else {
        expect(decodeError(prefix).reason, `cut at ${cut}`).toBe('truncated');
      }
    }
  });

  it('rejects malformed wire data', () => {
    expect(decodeError(bytes([...tag(1, 0), 1])).reason).toBe('bad-wire-type'); // inserted as a varint
    expect(decodeError(bytes([0x00, 1])).reason).toBe('bad-tag'); // field number 0
    expect(decodeError(bytes([...tag(9, 7)])).reason).toBe('bad-wire-type');
    expect(decodeError(bytes([...tag(9, 4)])).reason).toBe('bad-tag'); // end group without start
    expect(decodeError(bytes([...tag(9, 0), ...fill(10, 0xff), 1])).reason).toBe('bad-varint');
    expect(decodeError(bytes([...tag(9, 3)])).reason).toBe('truncated'); // group never closed
  });

  it('decodes an empty blob as an empty proof', () => {
    const p = decodeSingleAppendOnlyProof(new Uint8Array(0));
    expect([p.count, p.insertedCount, p.unchangedCount]).toEqual([0, 0, 0]);
  });
});

describe('akd proof codec: AppendOnlyProof', () => {
  it('round-trips proofs and u64 epochs, and reads packed epochs', () => {
    const a = decodeSingleAppendOnlyProof(readFileSync(join(AKD_VECTORS, 'chain-e02-k1.bin')));
    const b = decodeSingleAppendOnlyProof(readFileSync(join(AKD_VECTORS, 'chain-e03-k2.bin')));
    const epochs = [1n, 2n ** 64n - 1n];
    const encoded = encodeAppendOnlyProof({ proofs: [a, b], epochs });
    const back = decodeAppendOnlyProof(encoded);
    expect(back.epochs).toEqual(epochs);
    expect(back.proofs.map((p) => toHex(encodeSingleAppendOnlyProof(p)))).toEqual(
      [a, b].map((p) => toHex(encodeSingleAppendOnlyProof(p))),
    );
    const packed = bytes(ld(2, [...varint(5), ...varint(2n ** 40n)]));
    expect(decodeAppendOnlyProof(packed).epochs).toEqual([5n, 2n ** 40n]);
  });

  it('reports an error inside a nested proof at its offset in the whole blob', () => {
    const inner = [...ld(1, element(fill(33, 1), 256))];
    const outer = bytes([...tag(2, 0), 1], ld(1, inner));
    try {
      decodeAppendOnlyProof(outer);
      throw new Error('decoded');
    } catch (err) {
      expect(err).toBeInstanceOf(AkdDecodeError);
      expect((err as AkdDecodeError).offset).toBeGreaterThanOrEqual(4);
    }
  });
});
