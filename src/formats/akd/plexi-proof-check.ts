// The proof check `plexi audit` performs (plexi_core auditor::verify_raw_proof: akd's
// verify_consecutive_append_only with the WhatsApp v1 configuration), with plexi's own failure
// texts, so `chorus audit` prints what `plexi audit` prints. It lives with the AKD format, not in
// src/plexi: plexi's client and report know no log format (docs/log-formats.md).
import { formatBlobName } from '../../akd/blob-name.js';
import { AkdDecodeError } from '../../akd/errors.js';
import { verifyAuditBlob } from '../../akd/verifier.js';
import type { ProofVerifier } from '../../plexi/proof-verifier.js';

const CONVERTER_REASONS = new Set(['missing-field', 'label-val-too-long', 'label-len-too-long', 'bad-value-length']);

export const plexiProofVerifier: ProofVerifier = async (blob, proof) => {
  const name = formatBlobName(blob);
  const result = verifyAuditBlob(proof, name, 'whatsapp_v1');
  if (result.ok) return { ok: true };
  if (result.error instanceof AkdDecodeError) {
    return {
      ok: false,
      reason: CONVERTER_REASONS.has(result.error.reason)
        ? 'converting parsed protobuf proof to `SingleAppendOnlyProof`'
        : 'unable to parse proof bytes',
    };
  }
  return { ok: false, reason: `verifying raw proof: ${name}` };
};
