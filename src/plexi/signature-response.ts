// Plexi's SignatureResponse JSON (plexi_core/src/lib.rs): what an auditor serves at
// /namespaces/{ns}/audits/{epoch}. Serialised with serde's field order; `key_id` is omitted when
// absent, `serialized_message` is null when absent; on input `version` wins over `ciphersuite`.
import { z } from 'zod';
import { fromHex, toHex } from '../util/bytes.js';
import { DecodeError } from '../util/errors.js';
import { describeZodError, u32, u64, u8 } from '../util/schema.js';
import { DIGEST_LENGTH, type SignatureMessage } from './signature-message.js';

export interface SignatureResponse extends SignatureMessage {
  signature: Uint8Array; // 64 bytes
  keyId?: number;
  serializedMessage?: Uint8Array;
}

/** JSON object in Plexi's exact shape and order (bigints become exact JSON numbers). */
export function signatureResponseToJson(r: SignatureResponse): Record<string, unknown> {
  const out: Record<string, unknown> = {
    version: r.ciphersuite,
    ciphersuite: r.ciphersuite,
    namespace: r.namespace,
    timestamp: r.timestamp,
    epoch: r.epoch,
    digest: toHex(r.digest),
    signature: toHex(r.signature),
  };
  if (r.keyId !== undefined) out.key_id = r.keyId;
  out.serialized_message = r.serializedMessage ? toHex(r.serializedMessage) : null;
  return out;
}

const hexString = z.string().regex(/^([0-9a-fA-F]{2})*$/, { error: 'must be hex' });

const schema = z.object({
  version: u32.nullish(),
  ciphersuite: u32.nullish(),
  namespace: z.string(),
  timestamp: u64,
  epoch: u64,
  digest: hexString,
  signature: hexString,
  key_id: u8.nullish(),
  serialized_message: hexString.nullish(),
});

/**
 * Parse a SignatureResponse from lossless-parsed JSON (see util/json.ts). Stricter than serde on
 * lengths: the digest must be 32 bytes and the signature 64 (the plexi client panics otherwise).
 */
export function signatureResponseFromJson(value: unknown): SignatureResponse {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new DecodeError(`invalid SignatureResponse: ${describeZodError(parsed.error)}`);
  const v = parsed.data;
  const suite = v.version ?? v.ciphersuite;
  if (suite === undefined || suite === null) {
    throw new DecodeError('invalid SignatureResponse: either version or ciphersuite must be provided');
  }
  const r: SignatureResponse = {
    ciphersuite: Number(suite),
    namespace: v.namespace,
    timestamp: v.timestamp,
    epoch: v.epoch,
    digest: fromHex(v.digest, DIGEST_LENGTH, 'digest'),
    signature: fromHex(v.signature, 64, 'signature'),
  };
  if (v.key_id !== undefined && v.key_id !== null) r.keyId = Number(v.key_id);
  if (v.serialized_message !== undefined && v.serialized_message !== null) {
    r.serializedMessage = fromHex(v.serialized_message, undefined, 'serialized_message');
  }
  return r;
}
