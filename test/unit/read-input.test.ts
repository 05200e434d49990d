import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../src/cli/read-input.js';
import { DecodeError } from '../../src/util/errors.js';

describe('saved bundles and proofs (verify-bundle, verify-proof input)', () => {
  it('tell JSON from protobuf by the first non-blank byte', () => {
    expect(parseDocument(new TextEncoder().encode(' \n{"a":1}'))).toEqual({ kind: 'json', value: { a: 1n } });
    const pb = new Uint8Array([0x0a, 0x02, 0x7b, 0x7d]);
    expect(parseDocument(pb)).toEqual({ kind: 'protobuf', bytes: pb });
  });

  // Found by the decoder fuzzing: invalid UTF-8 after a "{" escaped as TextDecoder's TypeError, and
  // an oversize file as a plain Error.
  it('refuse invalid UTF-8 and oversize input with a DecodeError', () => {
    expect(() => parseDocument(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]))).toThrow(DecodeError);
    expect(() => parseDocument(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]))).toThrow(/not valid UTF-8/);
    expect(() => parseDocument(new Uint8Array(11), 'bundle.bin', 10)).toThrow(DecodeError);
    expect(() => parseDocument(new TextEncoder().encode('{"a":'))).toThrow(DecodeError);
  });
});
