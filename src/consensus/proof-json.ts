// The JSON form of observations and proofs served by GET /equivocations/{id}: each observation is
// Plexi's SignatureResponse plus `signer_key`. Reading it back gives the exact signed fields, so
// a saved JSON proof can be re-checked offline like the protobuf one.
import { signatureResponseFromJson, signatureResponseToJson } from '../plexi/signature-response.js';
import { keyId, signedBytes } from '../plexi/signature-message.js';
import { fromHex, toHex } from '../util/bytes.js';
import { checkObservationShape, type Observation } from './observation.js';
import { ProofDecodeError, type EquivocationProof } from './equivocation.js';

/** An observation as JSON: Plexi's SignatureResponse fields plus the signer's key. */
export function observationToJson(o: Observation): Record<string, unknown> {
  return {
    ...signatureResponseToJson({ ...o, keyId: keyId(o.signerKey), serializedMessage: signedBytes(o) }),
    signer_key: toHex(o.signerKey),
  };
}

export function observationFromJson(v: unknown, what = 'observation'): Observation {
  if (typeof v !== 'object' || v === null) throw new ProofDecodeError(`${what} must be an object`);
  const key = (v as { signer_key?: unknown }).signer_key;
  if (typeof key !== 'string') throw new ProofDecodeError(`${what}.signer_key must be hex`);
  try {
    const r = signatureResponseFromJson(v);
    return checkObservationShape({
      ciphersuite: r.ciphersuite,
      namespace: r.namespace,
      timestamp: r.timestamp,
      epoch: r.epoch,
      digest: r.digest,
      signature: r.signature,
      signerKey: fromHex(key, 32, `${what}.signer_key`),
    });
  } catch (err) {
    throw new ProofDecodeError(`${what}: ${(err as Error).message}`);
  }
}

export function proofFromJson(v: unknown): EquivocationProof {
  if (typeof v !== 'object' || v === null) throw new ProofDecodeError('proof must be a JSON object');
  const { first, second } = v as { first?: unknown; second?: unknown };
  return { first: observationFromJson(first, 'first'), second: observationFromJson(second, 'second') };
}
