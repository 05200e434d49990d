// AKD epochs as checkpoint bodies, following the mapping of kt-witness's docs/akd-checkpoint.md (see
// docs/c2sp.md): exactly three lines — origin, epoch in base 10, root digest in standard padded base64 —
// and no extension lines, so every witness following the mapping signs the same bytes.
import { fromHex } from '../util/bytes.js';
import { formatCheckpoint, HASH_SIZE, parseCheckpoint } from './checkpoint.js';
import { C2spFormatError } from './errors.js';
import { controlCharIndex } from './text.js';

/** The origins the published mapping fixes for Meta's two deployments. */
export const AKD_ORIGINS = {
  whatsapp: 'whatsapp.kt/v2',
  messenger: 'meta.messenger.kt/v1',
} as const;

/** Checkpoint body for AKD `epoch` with root digest `root` (32 bytes) under `origin`. */
export function akdCheckpointBody(origin: string, epoch: bigint, root: Uint8Array): string {
  if (origin.length === 0 || origin.includes('\n') || controlCharIndex(origin) >= 0) {
    throw new C2spFormatError('AKD checkpoint origin must be a non-empty line without control characters');
  }
  if (root.length !== HASH_SIZE) throw new C2spFormatError(`AKD root digest must be ${HASH_SIZE} bytes`);
  return formatCheckpoint({ origin, size: epoch, rootHash: root, extensions: [] });
}

export interface AkdCheckpoint {
  origin: string;
  epoch: bigint;
  root: Uint8Array;
}

/** Parse a body produced by the mapping; extension lines, or another origin than `origin`, are refused. */
export function parseAkdCheckpointBody(text: string, origin?: string): AkdCheckpoint {
  const cp = parseCheckpoint(text);
  if (cp.extensions.length > 0) throw new C2spFormatError('an AKD checkpoint body has exactly three lines');
  if (origin !== undefined && cp.origin !== origin) {
    const want = JSON.stringify(origin);
    throw new C2spFormatError(`AKD checkpoint origin is ${JSON.stringify(cp.origin)}, expected ${want}`);
  }
  return { origin: cp.origin, epoch: cp.size, root: cp.rootHash };
}

/**
 * Checkpoint body from a published audit object key `<epoch>/<prev_root hex>/<curr_root hex>` (the
 * mapping's source data): the body commits to the epoch and the root after the transition.
 */
export function akdCheckpointFromAuditKey(origin: string, key: string): string {
  const m = /^(0|[1-9][0-9]*)\/([0-9a-f]{64})\/([0-9a-f]{64})$/.exec(key);
  if (m === null) throw new C2spFormatError(`audit key ${JSON.stringify(key)} is not <epoch>/<prev hex>/<curr hex>`);
  if ((m[1] as string).length > 19) throw new C2spFormatError('audit key epoch is too large');
  return akdCheckpointBody(origin, BigInt(m[1] as string), fromHex(m[3] as string, 32, 'current root'));
}
