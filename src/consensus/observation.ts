// Observations (docs/protocol.md §3): "signer saw digest D as epoch E of namespace N at time T", carried
// on the wire as the chorus.v1.Observation protobuf. The signature covers the Plexi
// SignatureMessage of fields 1-5, so anyone can re-check an observation with the signer's key.
import { sha256 } from '@noble/hashes/sha2.js';
import { ObservationType, fromLong, toLong } from '../proto/index.js';
import { DIGEST_LENGTH, isKnownCiphersuite, signedBytes, type SignatureMessage } from '../plexi/signature-message.js';
import { DecodeError } from '../util/errors.js';
import { toHex } from '../util/bytes.js';
import { U64_MAX } from '../util/u64.js';

export interface Observation extends SignatureMessage {
  signature: Uint8Array; // 64 bytes
  signerKey: Uint8Array; // 32 bytes
}

export const MAX_NAMESPACE_BYTES = 256;
/** An encoded observation is ~180 bytes; anything much larger is not one. */
export const MAX_OBSERVATION_BYTES = 1024;

export class ObservationDecodeError extends DecodeError {}

interface RawObservation {
  ciphersuite?: number;
  namespace?: string;
  timestamp?: unknown;
  epoch?: unknown;
  digest?: Uint8Array;
  signature?: Uint8Array;
  signer_key?: Uint8Array;
}

/** The protobufjs object form (also nested inside proofs). */
export function observationToProto(o: Observation): Record<string, unknown> {
  return {
    ciphersuite: o.ciphersuite,
    namespace: o.namespace,
    timestamp: toLong(o.timestamp),
    epoch: toLong(o.epoch),
    digest: o.digest,
    signature: o.signature,
    signer_key: o.signerKey,
  };
}

export function encodeObservation(o: Observation): Uint8Array {
  return ObservationType.encode(observationToProto(o)).finish();
}

/** Checks shapes (lengths, ciphersuite, namespace size) of an observation from any source. */
export function checkObservationShape(o: Observation): Observation {
  if (!isKnownCiphersuite(o.ciphersuite)) throw new ObservationDecodeError(`unknown ciphersuite ${o.ciphersuite}`);
  if (o.namespace.length === 0) throw new ObservationDecodeError('namespace is empty');
  if (new TextEncoder().encode(o.namespace).length > MAX_NAMESPACE_BYTES)
    throw new ObservationDecodeError('namespace is too long');
  if (o.digest.length !== DIGEST_LENGTH)
    throw new ObservationDecodeError(`digest must be 32 bytes, got ${o.digest.length}`);
  if (o.signature.length !== 64)
    throw new ObservationDecodeError(`signature must be 64 bytes, got ${o.signature.length}`);
  if (o.signerKey.length !== 32)
    throw new ObservationDecodeError(`signer_key must be 32 bytes, got ${o.signerKey.length}`);
  if (o.epoch < 0n || o.epoch > U64_MAX || o.timestamp < 0n || o.timestamp > U64_MAX)
    throw new ObservationDecodeError('u64 out of range');
  return o;
}

export function observationFromRaw(raw: RawObservation): Observation {
  return checkObservationShape({
    ciphersuite: raw.ciphersuite ?? 0,
    namespace: raw.namespace ?? '',
    timestamp: fromLong(raw.timestamp, 'timestamp'),
    epoch: fromLong(raw.epoch, 'epoch'),
    digest: new Uint8Array(raw.digest ?? []),
    signature: new Uint8Array(raw.signature ?? []),
    signerKey: new Uint8Array(raw.signer_key ?? []),
  });
}

export function decodeObservation(bytes: Uint8Array): Observation {
  if (bytes.length > MAX_OBSERVATION_BYTES)
    throw new ObservationDecodeError(`observation of ${bytes.length} bytes is over ${MAX_OBSERVATION_BYTES}`);
  let raw: RawObservation;
  try {
    raw = ObservationType.decode(bytes) as unknown as RawObservation;
  } catch (err) {
    throw new ObservationDecodeError(`undecodable observation: ${(err as Error).message}`, { cause: err });
  }
  return observationFromRaw(raw);
}

/** The bytes the observation's signature covers. */
export function observationSignedBytes(o: Observation): Uint8Array {
  return signedBytes(o);
}

/** Content identifier: SHA-256 of the canonical encoding (what gossip de-duplicates on). */
export function observationId(o: Observation): string {
  return toHex(sha256(encodeObservation(o)));
}
