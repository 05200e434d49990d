// Plexi's SignatureMessage and the bytes an auditor signs (cloudflare/plexi, plexi_core/src/lib.rs):
// ciphersuite 0x0001 "ed25519(protobuf)" signs the proto2 encoding; 0x0002 "ed25519(bincode)"
// signs bincode's legacy encoding (verify-only here).
import { PlexiSignatureMessage, toLong } from '../proto/index.js';
import { ChorusError } from '../util/errors.js';
import { assertU64 } from '../util/u64.js';

export const CIPHERSUITE_PROTOBUF_ED25519 = 1;
export const CIPHERSUITE_BINCODE_ED25519 = 2;
export const DIGEST_LENGTH = 32;

export interface SignatureMessage {
  ciphersuite: number;
  namespace: string;
  timestamp: bigint; // u64, ms since the Unix epoch
  epoch: bigint; // u64
  digest: Uint8Array;
}

export class UnsupportedCiphersuiteError extends ChorusError {
  constructor(ciphersuite: number) {
    super(
      'unsupported-ciphersuite',
      `ciphersuite ${ciphersuite} is not supported (1: ed25519(protobuf), 2: ed25519(bincode))`,
    );
  }
}

export function isKnownCiphersuite(c: number): boolean {
  return c === CIPHERSUITE_PROTOBUF_ED25519 || c === CIPHERSUITE_BINCODE_ED25519;
}

/** proto2 encoding as prost writes it: all five required fields, in field order. */
export function encodeProtobuf(m: SignatureMessage): Uint8Array {
  return PlexiSignatureMessage.encode({
    ciphersuite: m.ciphersuite >>> 0,
    namespace: m.namespace,
    timestamp: toLong(assertU64(m.timestamp, 'timestamp')),
    epoch: { inner: toLong(assertU64(m.epoch, 'epoch')) },
    digest: m.digest,
  }).finish();
}

/**
 * bincode 2 with `config::legacy()`: little-endian fixed-width integers, u64 length prefixes.
 * Struct fields in declaration order: ciphersuite u32, namespace String, timestamp u64,
 * epoch Epoch(u64), digest Vec<u8>.
 */
export function encodeBincode(m: SignatureMessage): Uint8Array {
  const ns = new TextEncoder().encode(m.namespace);
  const out = new Uint8Array(4 + 8 + ns.length + 8 + 8 + 8 + m.digest.length);
  const view = new DataView(out.buffer);
  let o = 0;
  view.setUint32(o, m.ciphersuite >>> 0, true);
  o += 4;
  view.setBigUint64(o, BigInt(ns.length), true);
  o += 8;
  out.set(ns, o);
  o += ns.length;
  view.setBigUint64(o, assertU64(m.timestamp, 'timestamp'), true);
  o += 8;
  view.setBigUint64(o, assertU64(m.epoch, 'epoch'), true);
  o += 8;
  view.setBigUint64(o, BigInt(m.digest.length), true);
  o += 8;
  out.set(m.digest, o);
  return out;
}

/** The exact bytes that the signature covers for the message's ciphersuite. */
export function signedBytes(m: SignatureMessage): Uint8Array {
  switch (m.ciphersuite) {
    case CIPHERSUITE_PROTOBUF_ED25519:
      return encodeProtobuf(m);
    case CIPHERSUITE_BINCODE_ED25519:
      return encodeBincode(m);
    default:
      throw new UnsupportedCiphersuiteError(m.ciphersuite);
  }
}

/** Plexi's key_id: the last byte of the 32-byte public key. */
export function keyId(publicKey: Uint8Array): number {
  if (publicKey.length !== 32) throw new ChorusError('bad-key', 'an Ed25519 public key is 32 bytes');
  return publicKey[31] as number;
}
