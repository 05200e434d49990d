import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import {
  CIPHERSUITE_BINCODE_ED25519,
  CIPHERSUITE_PROTOBUF_ED25519,
  encodeBincode,
  encodeProtobuf,
  keyId,
  signedBytes,
} from '../../src/plexi/signature-message.js';
import {
  signatureResponseFromJson,
  signatureResponseToJson,
  type SignatureResponse,
} from '../../src/plexi/signature-response.js';
import { verifySignatureResponse } from '../../src/plexi/verify-response.js';
import { signingKeyFromSeed, verifyStrict } from '../../src/crypto/ed25519.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { U64_MAX } from '../../src/util/u64.js';
import { PlexiSignatureMessage, fromLong } from '../../src/proto/index.js';

ed.hashes.sha512 = sha512;

interface Vector {
  signing_key: string;
  verifying_key: string;
  key_id: bigint;
  namespace: string;
  timestamp: bigint;
  epoch: bigint;
  digest: string;
  signature: string;
  ciphersuite: bigint;
}

const vectors = parseJson(
  readFileSync(new URL('../fixtures/plexi-vectors/test-vectors.json', import.meta.url), 'utf8'),
) as Vector[];

describe('Plexi test vectors (cloudflare/plexi plexi_core/tests/test-vectors.json)', () => {
  it('has both ciphersuites', () => {
    expect(vectors.map((v) => Number(v.ciphersuite)).sort()).toEqual([1, 2]);
  });
  for (const v of vectors) {
    it(`ciphersuite ${v.ciphersuite} (${v.namespace}): key, key_id, signature bytes and strict verification`, () => {
      const key = signingKeyFromSeed(fromHex(v.signing_key, 32));
      expect(toHex(key.publicKey)).toBe(v.verifying_key);
      expect(keyId(key.publicKey)).toBe(Number(v.key_id));
      const message = {
        ciphersuite: Number(v.ciphersuite),
        namespace: v.namespace,
        timestamp: v.timestamp,
        epoch: v.epoch,
        digest: fromHex(v.digest, 32),
      };
      const bytes = signedBytes(message);
      // Ed25519 is deterministic: re-signing the encoded message must give Plexi's exact signature.
      expect(toHex(key.sign(bytes))).toBe(v.signature);
      expect(toHex(ed.sign(bytes, fromHex(v.signing_key, 32)))).toBe(v.signature);
      expect(verifyStrict(key.publicKey, bytes, fromHex(v.signature, 64))).toBe(true);
      const response: SignatureResponse = { ...message, signature: fromHex(v.signature, 64), keyId: Number(v.key_id) };
      expect(verifySignatureResponse(response, key.publicKey)).toEqual({ ok: true });
      const tampered = { ...response, timestamp: response.timestamp + 1n };
      expect(verifySignatureResponse(tampered, key.publicKey).ok).toBe(false);
    });
  }
});

describe('SignatureMessage encodings', () => {
  const base = { ciphersuite: 1, namespace: 'n', timestamp: 0n, epoch: 0n, digest: new Uint8Array(32) };

  it('proto2 writes every required field, even zero values', () => {
    const bytes = encodeProtobuf(base);
    // 08 01 | 12 01 6e | 18 00 | 22 02 08 00 | 2a 20 <32 zero bytes>
    expect(toHex(bytes)).toBe('0801' + '12016e' + '1800' + '22020800' + '2a20' + '00'.repeat(32));
  });

  it('bincode legacy layout: u32 LE, u64-length strings and vectors, u64 LE', () => {
    const bytes = encodeBincode({ ...base, ciphersuite: 2, timestamp: 0x0102n, epoch: 3n });
    expect(toHex(bytes)).toBe(
      '02000000' +
        '0100000000000000' +
        '6e' +
        '0201000000000000' +
        '0300000000000000' +
        '2000000000000000' +
        '00'.repeat(32),
    );
  });

  it('u64 extremes round-trip through the protobuf encoding exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64_MAX }), fc.bigInt({ min: 0n, max: U64_MAX }), (timestamp, epoch) => {
        const decoded = PlexiSignatureMessage.decode(encodeProtobuf({ ...base, timestamp, epoch })) as unknown as {
          timestamp: unknown;
          epoch: { inner: unknown };
        };
        return fromLong(decoded.timestamp, 't') === timestamp && fromLong(decoded.epoch.inner, 'e') === epoch;
      }),
    );
  });

  for (const suite of [CIPHERSUITE_PROTOBUF_ED25519, CIPHERSUITE_BINCODE_ED25519]) {
    it(`ciphersuite ${suite}: epoch and timestamp 2^64-1 sign, serialise to JSON, parse back and verify`, () => {
      const key = signingKeyFromSeed(new Uint8Array(32).fill(7));
      const message = {
        ciphersuite: suite,
        namespace: 'max.example',
        timestamp: U64_MAX,
        epoch: U64_MAX,
        digest: new Uint8Array(32).fill(0xab),
      };
      const response: SignatureResponse = {
        ...message,
        signature: key.sign(signedBytes(message)),
        keyId: keyId(key.publicKey),
      };
      const text = stringifyJson(signatureResponseToJson(response));
      expect(text).toContain('"epoch":18446744073709551615');
      expect(text).toContain('"timestamp":18446744073709551615');
      const back = signatureResponseFromJson(parseJson(text));
      expect(back.epoch).toBe(U64_MAX);
      expect(back.timestamp).toBe(U64_MAX);
      expect(verifySignatureResponse(back, key.publicKey)).toEqual({ ok: true });
    });
  }
});

describe('SignatureResponse JSON', () => {
  it('serialises in plexi_core field order (as its serialization test)', () => {
    const r: SignatureResponse = {
      ciphersuite: 1,
      namespace: 'n',
      timestamp: 2n,
      epoch: 3n,
      digest: new Uint8Array([4]),
      signature: new Uint8Array([5]),
      keyId: 6,
      serializedMessage: new Uint8Array([7]),
    };
    expect(stringifyJson(signatureResponseToJson(r))).toBe(
      '{"version":1,"ciphersuite":1,"namespace":"n","timestamp":2,"epoch":3,"digest":"04","signature":"05","key_id":6,"serialized_message":"07"}',
    );
  });

  it('omits key_id when absent and writes serialized_message as null', () => {
    const r: SignatureResponse = {
      ciphersuite: 1,
      namespace: 'n',
      timestamp: 2n,
      epoch: 3n,
      digest: new Uint8Array(32),
      signature: new Uint8Array(64),
    };
    const text = stringifyJson(signatureResponseToJson(r));
    expect(text).not.toContain('key_id');
    expect(text).toContain('"serialized_message":null');
  });

  const good = () => ({
    version: 1n,
    namespace: 'n',
    timestamp: 1n,
    epoch: 1n,
    digest: '11'.repeat(32),
    signature: '22'.repeat(64),
  });

  it('version wins over ciphersuite; either alone is enough', () => {
    expect(signatureResponseFromJson({ ...good(), version: 2n, ciphersuite: 1n }).ciphersuite).toBe(2);
    const { version: _v, ...noVersion } = good();
    expect(signatureResponseFromJson({ ...noVersion, ciphersuite: 1n }).ciphersuite).toBe(1);
    expect(() => signatureResponseFromJson(noVersion)).toThrow(/version or ciphersuite/);
  });

  it.each([
    ['digest of 31 bytes', { digest: '11'.repeat(31) }, /digest must be 32 bytes/],
    ['signature of 63 bytes', { signature: '22'.repeat(63) }, /signature must be 64 bytes/],
    ['odd-length hex', { digest: '1' }, /digest: must be hex/],
    ['epoch as a string', { epoch: '1' }, /epoch/],
    ['epoch above 2^64-1', { epoch: U64_MAX + 1n }, /epoch/],
    ['negative timestamp', { timestamp: -1n }, /timestamp/],
    ['fractional epoch', { epoch: 1.5 }, /epoch/],
    ['key_id above 255', { key_id: 256n }, /key_id/],
    ['missing namespace', { namespace: undefined }, /namespace/],
  ])('rejects %s', (_name, patch, re) => {
    expect(() => signatureResponseFromJson({ ...good(), ...patch })).toThrow(re);
  });
});
