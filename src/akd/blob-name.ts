// Audit blob names, as akd's `AuditBlobName` writes them: "{epoch}/{previous_hex}/{current_hex}"
// (akd/src/local_auditing.rs). WhatsApp's proof bucket uses these as object keys.
import { DecodeError } from '../util/errors.js';
import { fromHex, toHex } from '../util/bytes.js';
import { U64_MAX } from '../util/u64.js';

export interface AuditBlobName {
  epoch: bigint;
  previousHash: Uint8Array; // 32 bytes
  currentHash: Uint8Array; // 32 bytes
}

export class BlobNameError extends DecodeError {}

export function formatBlobName(name: AuditBlobName): string {
  return `${name.epoch.toString()}/${toHex(name.previousHash)}/${toHex(name.currentHash)}`;
}

/**
 * Parse a blob name. Stricter than akd on shape (exactly three parts, a plain decimal epoch) so a
 * listing key that is not a proof blob is never mistaken for one.
 */
export function parseBlobName(text: string): AuditBlobName {
  if (typeof text !== 'string') throw new BlobNameError('blob name must be a string');
  if (text.length > 200) throw new BlobNameError('blob name is too long');
  const parts = text.split('/');
  if (parts.length !== 3) {
    throw new BlobNameError(`blob name must be "{epoch}/{previous_hex}/{current_hex}", got ${parts.length} part(s)`);
  }
  const [e, p, c] = parts as [string, string, string];
  if (!/^[0-9]{1,20}$/.test(e)) throw new BlobNameError(`blob name epoch "${e}" is not a decimal u64`);
  const epoch = BigInt(e);
  if (epoch > U64_MAX) throw new BlobNameError(`blob name epoch "${e}" is above 2^64-1`);
  let previousHash: Uint8Array;
  let currentHash: Uint8Array;
  try {
    previousHash = fromHex(p, 32, 'previous hash');
    currentHash = fromHex(c, 32, 'current hash');
  } catch (err) {
    throw new BlobNameError(`blob name: ${(err as Error).message}`);
  }
  return { epoch, previousHash, currentHash };
}
