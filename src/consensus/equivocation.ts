// Equivocation proofs (docs/protocol.md §3, §4.5) as pure functions: building the canonical proof from two
// observations, checking a proof against a roster, and finding a conflict among what is known
// for one (namespace, epoch). Signature checks are passed in, so these run anywhere.
import { sha256 } from '@noble/hashes/sha2.js';
import { EquivocationProofType } from '../proto/index.js';
import { bytesEqual, compareBytes, toHex } from '../util/bytes.js';
import { DecodeError } from '../util/errors.js';
import { observationFromRaw, observationToProto, observationSignedBytes, type Observation } from './observation.js';
import type { Roster } from './roster.js';

export interface EquivocationProof {
  first: Observation; // first.digest < second.digest (bytewise)
  second: Observation;
}

/**
 * - `auditor-equivocation`: one roster auditor's key signed two digests (that auditor is convicted);
 * - `log-equivocation`: the log's own key signed two digests;
 * - `split-view`: two different signers saw different digests (the log showed them different trees).
 */
export type EquivocationKind = 'auditor-equivocation' | 'log-equivocation' | 'split-view';

export const MAX_PROOF_BYTES = 2048;

export class ProofDecodeError extends DecodeError {}

/** Strict Ed25519 verification, synchronous (node:crypto) or not (WebCrypto, in browsers too). */
export type SignatureVerifier = (
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
) => boolean | Promise<boolean>;

/** Orders two conflicting observations canonically; throws if they do not conflict. */
export function makeEquivocationProof(a: Observation, b: Observation): EquivocationProof {
  if (a.namespace !== b.namespace || a.epoch !== b.epoch)
    throw new RangeError('observations of different (namespace, epoch) do not conflict');
  const c = compareBytes(a.digest, b.digest);
  if (c === 0) throw new RangeError('observations with the same digest do not conflict');
  return c < 0 ? { first: a, second: b } : { first: b, second: a };
}

export function encodeEquivocationProof(p: EquivocationProof): Uint8Array {
  return EquivocationProofType.encode({
    first: observationToProto(p.first),
    second: observationToProto(p.second),
  }).finish();
}

export function decodeEquivocationProof(bytes: Uint8Array): EquivocationProof {
  if (bytes.length > MAX_PROOF_BYTES)
    throw new ProofDecodeError(`proof of ${bytes.length} bytes is over ${MAX_PROOF_BYTES}`);
  let raw: { first?: object; second?: object };
  try {
    raw = EquivocationProofType.decode(bytes) as unknown as { first?: object; second?: object };
  } catch (err) {
    throw new ProofDecodeError(`undecodable equivocation proof: ${(err as Error).message}`, { cause: err });
  }
  if (!raw.first || !raw.second) throw new ProofDecodeError('an equivocation proof needs both observations');
  try {
    return { first: observationFromRaw(raw.first), second: observationFromRaw(raw.second) };
  } catch (err) {
    throw new ProofDecodeError(`equivocation proof: ${(err as Error).message}`, { cause: err });
  }
}

/** Content id of a proof: SHA-256 of its canonical encoding, hex. */
export function proofId(p: EquivocationProof): string {
  return toHex(sha256(encodeEquivocationProof(p)));
}

/**
 * What a proof proves, independent of which observations were picked: the same split view or
 * the same convicted signer is one fact, whichever pair of observations shows it. Nodes keep one
 * proof per fact (the one with the smallest id), so every node converges on the same proof.
 */
export function proofFact(p: EquivocationProof, kind: EquivocationKind, signers: readonly [string, string]): string {
  const base = `${p.first.namespace}\x00${p.first.epoch}`;
  if (kind === 'split-view') return `${base}\x00split\x00${toHex(p.first.digest)}\x00${toHex(p.second.digest)}`;
  // An auditor is convicted as an organisation, whichever of its keys signed: one fact per name.
  if (kind === 'auditor-equivocation') return `${base}\x00auditor\x00${signers[0]}`;
  return `${base}\x00signer\x00${toHex(p.first.signerKey)}`;
}

export type ProofCheck =
  | { ok: true; kind: EquivocationKind; signers: [string, string] }
  | {
      ok: false;
      reason:
        | 'namespace-mismatch'
        | 'epoch-mismatch'
        | 'same-digest'
        | 'not-canonical'
        | 'unknown-signer'
        | 'key-not-valid'
        | 'bad-signature';
      message: string;
    };

/**
 * What two conflicting observations prove, by identity rather than by key (pure): the same
 * roster auditor behind both (with one key or two of its keys) is `auditor-equivocation`, the same
 * log key is `log-equivocation`, anything else is a `split-view` between two signers.
 */
export function classifyEquivocation(a: Observation, b: Observation, roster: Roster): EquivocationKind {
  const ra = roster.signerRole(a.namespace, a.signerKey);
  const rb = roster.signerRole(b.namespace, b.signerKey);
  if (ra?.kind === 'auditor' && rb?.kind === 'auditor' && ra.auditor.name === rb.auditor.name)
    return 'auditor-equivocation';
  if (ra?.kind === 'log' && rb?.kind === 'log' && bytesEqual(a.signerKey, b.signerKey)) return 'log-equivocation';
  return 'split-view';
}

/** Whether the same signer (one auditor, whatever its key; or one log key) is behind both. */
function sameSigner(a: Observation, b: Observation, roster: Roster): boolean {
  return classifyEquivocation(a, b, roster) !== 'split-view';
}

/**
 * Design §3: valid iff both signatures verify, both signers are in the roster (or are the
 * namespace's log key) with keys in force at the observations' timestamps, namespace and epoch
 * are equal and the digests differ.
 */
export async function checkEquivocationProof(
  p: EquivocationProof,
  roster: Roster,
  verify: SignatureVerifier,
): Promise<ProofCheck> {
  const { first, second } = p;
  if (first.namespace !== second.namespace)
    return { ok: false, reason: 'namespace-mismatch', message: 'the observations are of different namespaces' };
  if (first.epoch !== second.epoch)
    return { ok: false, reason: 'epoch-mismatch', message: 'the observations are of different epochs' };
  const order = compareBytes(first.digest, second.digest);
  if (order === 0) return { ok: false, reason: 'same-digest', message: 'the observations have the same digest' };
  if (order > 0) return { ok: false, reason: 'not-canonical', message: 'first.digest must sort before second.digest' };
  const names: string[] = [];
  for (const o of [first, second]) {
    const name = roster.signerName(o.namespace, o.signerKey);
    if (!name)
      return { ok: false, reason: 'unknown-signer', message: `signer ${toHex(o.signerKey)} is not in the roster` };
    // An observation its own key could not sign then is never accepted, so it convicts nobody.
    const status = roster.keyStatus(o.namespace, o.signerKey, o.timestamp);
    if (status !== 'valid')
      return {
        ok: false,
        reason: 'key-not-valid',
        message: `the key ${toHex(o.signerKey)} of ${name} is ${status} at timestamp ${o.timestamp}`,
      };
    if (!(await verify(o.signerKey, observationSignedBytes(o), o.signature))) {
      return { ok: false, reason: 'bad-signature', message: `the signature of ${name} does not verify` };
    }
    names.push(name);
  }
  return {
    ok: true,
    kind: classifyEquivocation(first, second, roster),
    signers: [names[0] as string, names[1] as string],
  };
}

/**
 * Given the (already verified) observations known for one (namespace, epoch) and a newly stored
 * one, the proof it creates, if any: paired with the known observation of a different digest that
 * sorts first by (digest, signer key), so nodes with the same knowledge build the same proof.
 * A signer (an auditor with any of its keys, or a log) that signed two digests is preferred over
 * a split view: it convicts someone.
 */
export function detectEquivocation(
  known: Observation[],
  added: Observation,
  roster: Roster,
): EquivocationProof | undefined {
  const others = known.filter(
    (o) => o.namespace === added.namespace && o.epoch === added.epoch && !bytesEqual(o.digest, added.digest),
  );
  if (others.length === 0) return undefined;
  const convicting = others.filter((o) => sameSigner(o, added, roster));
  const pool = convicting.length ? convicting : others;
  pool.sort((x, y) => compareBytes(x.digest, y.digest) || compareBytes(x.signerKey, y.signerKey));
  return makeEquivocationProof(added, pool[0] as Observation);
}
