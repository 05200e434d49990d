// Co-signed epochs (docs/protocol.md §3 CosignedEpoch): what a client checks against the roster and its
// threshold. Pure: signature checks are injected (node:crypto in the CLI and node, WebCrypto in
// the dashboard), so the very same rules run everywhere.
import { CosignedEpochType, fromLong, toLong } from '../proto/index.js';
import { DIGEST_LENGTH, isKnownCiphersuite, signedBytes } from '../plexi/signature-message.js';
import { fromHex, toHex } from '../util/bytes.js';
import { DecodeError } from '../util/errors.js';
import { U64_MAX } from '../util/u64.js';
import type { SignatureVerifier } from './equivocation.js';
import type { Roster } from './roster.js';

export interface Cosignature {
  signerKey: Uint8Array;
  timestamp: bigint;
  signature: Uint8Array;
  ciphersuite: number;
}

export interface CosignedEpoch {
  namespace: string;
  epoch: bigint;
  digest: Uint8Array;
  cosignatures: Cosignature[];
}

export class CosignedEpochDecodeError extends DecodeError {}

export const MAX_BUNDLE_BYTES = 64 * 1024;

export function encodeCosignedEpoch(c: CosignedEpoch): Uint8Array {
  return CosignedEpochType.encode({
    namespace: c.namespace,
    epoch: toLong(c.epoch),
    digest: c.digest,
    cosignatures: c.cosignatures.map((s) => ({
      signer_key: s.signerKey,
      timestamp: toLong(s.timestamp),
      signature: s.signature,
      ciphersuite: s.ciphersuite,
    })),
  }).finish();
}

export function decodeCosignedEpoch(bytes: Uint8Array): CosignedEpoch {
  if (bytes.length > MAX_BUNDLE_BYTES)
    throw new CosignedEpochDecodeError(`bundle of ${bytes.length} bytes is over ${MAX_BUNDLE_BYTES}`);
  let raw: {
    namespace?: string;
    epoch?: unknown;
    digest?: Uint8Array;
    cosignatures?: { signer_key?: Uint8Array; timestamp?: unknown; signature?: Uint8Array; ciphersuite?: number }[];
  };
  try {
    raw = CosignedEpochType.decode(bytes) as unknown as typeof raw;
  } catch (err) {
    throw new CosignedEpochDecodeError(`undecodable co-signed epoch: ${(err as Error).message}`);
  }
  const c: CosignedEpoch = {
    namespace: raw.namespace ?? '',
    epoch: fromLong(raw.epoch, 'epoch'),
    digest: new Uint8Array(raw.digest ?? []),
    cosignatures: (raw.cosignatures ?? []).map((s) => ({
      signerKey: new Uint8Array(s.signer_key ?? []),
      timestamp: fromLong(s.timestamp, 'timestamp'),
      signature: new Uint8Array(s.signature ?? []),
      ciphersuite: s.ciphersuite ?? 0,
    })),
  };
  return checkShape(c);
}

function checkShape(c: CosignedEpoch): CosignedEpoch {
  if (!c.namespace) throw new CosignedEpochDecodeError('bundle without a namespace');
  if (c.digest.length !== DIGEST_LENGTH)
    throw new CosignedEpochDecodeError(`digest must be 32 bytes, got ${c.digest.length}`);
  return c;
}

/** The scripted JSON contract: {"namespace","epoch","digest","threshold","quorum","equivocated","cosignatures":[…]}. */
export function cosignedEpochToJson(
  c: CosignedEpoch,
  extra: { threshold: number; quorum: boolean; equivocated: boolean; names: (key: Uint8Array) => string | null },
): Record<string, unknown> {
  return {
    namespace: c.namespace,
    epoch: c.epoch,
    digest: toHex(c.digest),
    threshold: extra.threshold,
    quorum: extra.quorum,
    equivocated: extra.equivocated,
    cosignatures: c.cosignatures.map((s) => ({
      signer_key: toHex(s.signerKey),
      timestamp: s.timestamp,
      signature: toHex(s.signature),
      ciphersuite: s.ciphersuite,
      name: extra.names(s.signerKey),
    })),
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
function u64Field(v: unknown, what: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX)
    throw new CosignedEpochDecodeError(`${what} must be a u64 JSON number`);
  return v;
}

/**
 * Reads the JSON form (parsed with util/json.ts, integers as bigint); names/flags are ignored: a client recomputes
 * them.
 */
export function cosignedEpochFromJson(v: unknown): CosignedEpoch {
  if (!isObj(v)) throw new CosignedEpochDecodeError('bundle must be a JSON object');
  if (typeof v.namespace !== 'string') throw new CosignedEpochDecodeError('namespace must be a string');
  if (typeof v.digest !== 'string') throw new CosignedEpochDecodeError('digest must be hex');
  if (!Array.isArray(v.cosignatures)) throw new CosignedEpochDecodeError('cosignatures must be a list');
  try {
    return checkShape({
      namespace: v.namespace,
      epoch: u64Field(v.epoch, 'epoch'),
      digest: fromHex(v.digest, 32, 'digest'),
      cosignatures: v.cosignatures.map((s, i) => {
        if (!isObj(s)) throw new CosignedEpochDecodeError(`cosignatures.${i} must be an object`);
        if (typeof s.signer_key !== 'string' || typeof s.signature !== 'string')
          throw new CosignedEpochDecodeError(`cosignatures.${i}: signer_key and signature must be hex`);
        const suite = s.ciphersuite === undefined ? 1n : s.ciphersuite;
        if (typeof suite !== 'bigint')
          throw new CosignedEpochDecodeError(`cosignatures.${i}.ciphersuite must be an integer`);
        return {
          signerKey: fromHex(s.signer_key, undefined, `cosignatures.${i}.signer_key`),
          timestamp: u64Field(s.timestamp, `cosignatures.${i}.timestamp`),
          signature: fromHex(s.signature, undefined, `cosignatures.${i}.signature`),
          ciphersuite: Number(suite),
        };
      }),
    });
  } catch (err) {
    if (err instanceof CosignedEpochDecodeError) throw err;
    throw new CosignedEpochDecodeError((err as Error).message);
  }
}

export type CosignatureProblem =
  'malformed' | 'unknown-signer' | 'not-an-auditor' | 'key-not-valid' | 'bad-signature' | 'duplicate-signer';

export interface BundleCheck {
  /** Distinct roster auditors whose signature on exactly (namespace, epoch, digest) verifies. */
  signers: { name: string; signerKey: string }[];
  rejected: { signerKey: string; reason: CosignatureProblem }[];
  threshold: number;
  quorum: boolean;
}

/**
 * Counts distinct roster auditors that signed exactly this (namespace, epoch, digest). An auditor
 * with several keys (rotation) counts once; the log's own key, foreign keys, keys used outside
 * their validity window, tampered signatures and repeats do not count.
 */
export async function checkCosignedEpoch(
  c: CosignedEpoch,
  roster: Roster,
  verify: SignatureVerifier,
  threshold = roster.threshold,
): Promise<BundleCheck> {
  const signers: BundleCheck['signers'] = [];
  const rejected: BundleCheck['rejected'] = [];
  const counted = new Set<string>();
  for (const s of c.cosignatures) {
    const key = toHex(s.signerKey);
    if (s.signerKey.length !== 32 || s.signature.length !== 64 || !isKnownCiphersuite(s.ciphersuite)) {
      rejected.push({ signerKey: key, reason: 'malformed' });
      continue;
    }
    const role = roster.signerRole(c.namespace, s.signerKey);
    if (!role) {
      rejected.push({ signerKey: key, reason: 'unknown-signer' });
      continue;
    }
    if (role.kind !== 'auditor') {
      rejected.push({ signerKey: key, reason: 'not-an-auditor' });
      continue;
    }
    // A key signs only inside its validity window (docs/design-decisions.md, "Key validity windows").
    if (roster.keyStatus(c.namespace, s.signerKey, s.timestamp) !== 'valid') {
      rejected.push({ signerKey: key, reason: 'key-not-valid' });
      continue;
    }
    const message = {
      ciphersuite: s.ciphersuite,
      namespace: c.namespace,
      timestamp: s.timestamp,
      epoch: c.epoch,
      digest: c.digest,
    };
    if (!(await verify(s.signerKey, signedBytes(message), s.signature))) {
      rejected.push({ signerKey: key, reason: 'bad-signature' });
      continue;
    }
    if (counted.has(role.auditor.name)) {
      rejected.push({ signerKey: key, reason: 'duplicate-signer' });
      continue;
    }
    counted.add(role.auditor.name);
    signers.push({ name: role.auditor.name, signerKey: key });
  }
  return { signers, rejected, threshold, quorum: signers.length >= threshold };
}
