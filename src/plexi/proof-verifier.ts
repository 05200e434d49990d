// What `plexi audit` needs from a proof check, and where it finds the proof: Plexi's proof path is
// `{epoch}/{previous_hex}/{current_hex}` under the namespace's log directory (plexi_core, the same
// text as akd's AuditBlobName). The check itself belongs to the log's format (src/formats).
import { toHex } from '../util/bytes.js';

export interface PlexiProofBlob {
  epoch: bigint;
  previousHash: Uint8Array;
  currentHash: Uint8Array;
}

export type ProofVerifier = (
  blob: PlexiProofBlob,
  proof: Uint8Array,
) => Promise<{ ok: true } | { ok: false; reason: string }>;

export function plexiProofPath(blob: PlexiProofBlob): string {
  return `${blob.epoch}/${toHex(blob.previousHash)}/${toHex(blob.currentHash)}`;
}
