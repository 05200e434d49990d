// Checkpoint equivocation proofs (docs/c2sp.md, "Checkpoints in the network"), pure: two signed
// checkpoint notes for one (origin, size) with different bodies, built minimal and in canonical order,
// and checked offline with only the roster. The kinds say who is convicted:
// - `log-equivocation`: the origin's log keys signed both bodies (the log forked);
// - `witness-equivocation`: one roster witness (any of its keys) cosigned both (that auditor is convicted);
// - `split-view`: different roster witnesses cosigned different bodies (they were shown different logs).
import { sha256 } from '@noble/hashes/sha2.js';
import { C2spFormatError } from '../c2sp/errors.js';
import { formatNote } from '../c2sp/signed-note.js';
import { encodeUtf8 } from '../c2sp/text.js';
import { CheckpointEquivocationProofType } from '../proto/index.js';
import { compareBytes, toHex } from '../util/bytes.js';
import { DecodeError } from '../util/errors.js';
import {
  checkCheckpointSignatures,
  decodeCheckpointNote,
  MAX_CHECKPOINT_NOTE_BYTES,
  type CheckpointSignature,
} from './checkpoint-rules.js';
import type { Roster } from './roster.js';

export type CheckpointEquivocationKind = 'log-equivocation' | 'witness-equivocation' | 'split-view';
export const CHECKPOINT_EQUIVOCATION_KINDS: readonly CheckpointEquivocationKind[] = [
  'log-equivocation',
  'witness-equivocation',
  'split-view',
];

/** Two signed notes (body and signature lines); `first`'s body sorts before `second`'s (UTF-8 bytes). */
export interface CheckpointEquivocationProof {
  first: string;
  second: string;
}

/** Two notes and the protobuf framing. */
export const MAX_CHECKPOINT_PROOF_BYTES = 2 * MAX_CHECKPOINT_NOTE_BYTES + 16;

export class CheckpointProofDecodeError extends DecodeError {}

export function encodeCheckpointProof(p: CheckpointEquivocationProof): Uint8Array {
  return CheckpointEquivocationProofType.encode({ first: p.first, second: p.second }).finish();
}

export function decodeCheckpointProof(bytes: Uint8Array): CheckpointEquivocationProof {
  if (bytes.length > MAX_CHECKPOINT_PROOF_BYTES)
    throw new CheckpointProofDecodeError(`proof of ${bytes.length} bytes is over ${MAX_CHECKPOINT_PROOF_BYTES}`);
  let raw: { first?: string; second?: string };
  try {
    raw = CheckpointEquivocationProofType.decode(bytes) as unknown as { first?: string; second?: string };
  } catch (err) {
    throw new CheckpointProofDecodeError(`undecodable checkpoint proof: ${(err as Error).message}`, { cause: err });
  }
  if (!raw.first || !raw.second) throw new CheckpointProofDecodeError('a checkpoint proof needs two notes');
  return { first: raw.first, second: raw.second };
}

/** Content id: SHA-256 of the canonical encoding, hex. */
export function checkpointProofId(p: CheckpointEquivocationProof): string {
  return toHex(sha256(encodeCheckpointProof(p)));
}

export type CheckpointProofCheck =
  | {
      ok: true;
      kind: CheckpointEquivocationKind;
      origin: string;
      namespace: string;
      size: bigint;
      /** Who is convicted or who saw what: two auditor names, or `log:<namespace>` twice. */
      signers: [string, string];
      /** One proof per fact is kept: the one with the smallest id (like `proofFact`). */
      fact: string;
    }
  | {
      ok: false;
      reason:
        | 'malformed'
        | 'origin-mismatch'
        | 'size-mismatch'
        | 'same-body'
        | 'not-canonical'
        | 'unknown-origin'
        | 'bad-signature'
        | 'unknown-signer'
        | 'key-not-valid'
        | 'proves-nothing';
      message: string;
    };

/** A body with its verified signatures: what a proof is built from and what a checked note yields. */
export interface SignedBody {
  text: string;
  signatures: readonly CheckpointSignature[];
}

function byKey(a: CheckpointSignature, b: CheckpointSignature): number {
  return a.signature.name < b.signature.name
    ? -1
    : a.signature.name > b.signature.name
      ? 1
      : a.signature.keyId - b.signature.keyId;
}

function smallest(sigs: readonly CheckpointSignature[]): CheckpointSignature | undefined {
  return [...sigs].sort(byKey)[0];
}

type Classified = { kind: CheckpointEquivocationKind; pick: [CheckpointSignature, CheckpointSignature] };

/**
 * What two bodies' signatures prove, preferring a conviction: the log's, then one witness's, then a
 * split view. Each side keeps one signature (the smallest by name and key ID), so nodes holding the
 * same signatures build the same proof.
 */
function classify(a: SignedBody, b: SignedBody): Classified | undefined {
  const logA = smallest(a.signatures.filter((s) => s.role === 'log'));
  const logB = smallest(b.signatures.filter((s) => s.role === 'log'));
  if (logA && logB) return { kind: 'log-equivocation', pick: [logA, logB] };
  const witA = a.signatures.filter((s) => s.role === 'witness');
  const witB = b.signatures.filter((s) => s.role === 'witness');
  const common = [...new Set(witA.map((s) => s.signer))].filter((n) => witB.some((s) => s.signer === n)).sort();
  const convicted = common[0];
  if (convicted !== undefined) {
    const pa = smallest(witA.filter((s) => s.signer === convicted)) as CheckpointSignature;
    const pb = smallest(witB.filter((s) => s.signer === convicted)) as CheckpointSignature;
    return { kind: 'witness-equivocation', pick: [pa, pb] };
  }
  const wa = smallest(witA);
  const wb = smallest(witB);
  if (wa && wb) return { kind: 'split-view', pick: [wa, wb] };
  return undefined;
}

function bodyOrder(a: string, b: string): number {
  return compareBytes(encodeUtf8(a), encodeUtf8(b));
}

function factOf(
  kind: CheckpointEquivocationKind,
  origin: string,
  size: bigint,
  a: SignedBody,
  b: SignedBody,
  signer: string,
): string {
  const base = `${origin}\x00${size}`;
  if (kind === 'log-equivocation') return `${base}\x00log`;
  if (kind === 'witness-equivocation') return `${base}\x00witness\x00${signer}`;
  const h = (t: string) => toHex(sha256(encodeUtf8(t)));
  return `${base}\x00split\x00${h(a.text)}\x00${h(b.text)}`;
}

/**
 * The canonical proof two different bodies of one (origin, size) make, from their verified
 * signatures; undefined when they prove nothing (e.g. one side carries only a log signature).
 */
export function buildCheckpointEquivocationProof(
  a: SignedBody,
  b: SignedBody,
): { proof: CheckpointEquivocationProof; kind: CheckpointEquivocationKind } | undefined {
  const order = bodyOrder(a.text, b.text);
  if (order === 0) return undefined;
  const [x, y] = order < 0 ? [a, b] : [b, a];
  const c = classify(x, y);
  if (!c) return undefined;
  const note = (text: string, s: CheckpointSignature) => formatNote({ text, signatures: [s.signature] });
  return { proof: { first: note(x.text, c.pick[0]), second: note(y.text, c.pick[1]) }, kind: c.kind };
}

/** Checks a proof offline with only the roster (no clock: a proof stays valid forever). */
export function checkCheckpointEquivocationProof(p: CheckpointEquivocationProof, roster: Roster): CheckpointProofCheck {
  let first, second;
  try {
    first = decodeCheckpointNote(p.first);
    second = decodeCheckpointNote(p.second);
  } catch (err) {
    if (err instanceof C2spFormatError) return { ok: false, reason: 'malformed', message: err.message };
    throw err;
  }
  const cpA = first.checkpoint;
  const cpB = second.checkpoint;
  if (cpA.origin !== cpB.origin)
    return { ok: false, reason: 'origin-mismatch', message: 'the notes have different origins' };
  if (cpA.size !== cpB.size) return { ok: false, reason: 'size-mismatch', message: 'the notes have different sizes' };
  const order = bodyOrder(first.note.text, second.note.text);
  if (order === 0) return { ok: false, reason: 'same-body', message: 'the two notes have the same body' };
  if (order > 0) return { ok: false, reason: 'not-canonical', message: "first's body must sort before second's" };
  const sides: SignedBody[] = [];
  let namespace = '';
  for (const cn of [first, second]) {
    const checked = checkCheckpointSignatures(cn, roster, undefined);
    if (!('ok' in checked)) {
      if (checked.reason === 'unknown-origin')
        return {
          ok: false,
          reason: 'unknown-origin',
          message: `origin ${JSON.stringify(cpA.origin)} is not in the roster`,
        };
      if (checked.reason === 'bad-signature' || checked.reason === 'key-not-valid')
        return { ok: false, reason: checked.reason, message: checked.message };
      // A note a log alone signed is still evidence against that log: keep its log signatures.
      if (checked.reason !== 'no-witness-cosignature')
        return {
          ok: false,
          reason: 'unknown-signer',
          message: 'message' in checked ? checked.message : checked.reason,
        };
      const logOnly = logSignaturesOf(cn, roster);
      if (logOnly.length === 0) return { ok: false, reason: 'unknown-signer', message: checked.message };
      sides.push({ text: cn.note.text, signatures: logOnly });
      continue;
    }
    namespace = checked.facts.namespace;
    sides.push({ text: cn.note.text, signatures: checked.signatures });
  }
  const [a, b] = sides as [SignedBody, SignedBody];
  const c = classify(a, b);
  if (!c) return { ok: false, reason: 'proves-nothing', message: 'no signer in common and no witness on both sides' };
  namespace ||= roster.originFacts(cpA.origin)?.namespace ?? '';
  const signers: [string, string] = [c.pick[0].signer, c.pick[1].signer];
  const fact = factOf(c.kind, cpA.origin, cpA.size, a, b, signers[0]);
  return { ok: true, kind: c.kind, origin: cpA.origin, namespace, size: cpA.size, signers, fact };
}

/** A note's valid log signatures (a note carrying no witness cosignature). */
function logSignaturesOf(cn: ReturnType<typeof decodeCheckpointNote>, roster: Roster): CheckpointSignature[] {
  const facts = roster.originFacts(cn.checkpoint.origin);
  if (!facts || facts.logVerifiers.length === 0) return [];
  const out: CheckpointSignature[] = [];
  const text = encodeUtf8(cn.note.text);
  for (const v of facts.logVerifiers) {
    const sig = cn.note.signatures.find((s) => s.name === v.name && s.keyId === v.keyId);
    if (sig && v.verify(text, sig.signature))
      out.push({ signature: sig, role: 'log', signer: `log:${facts.namespace}` });
  }
  return out;
}

/** A proof from its JSON form (GET /checkpoints/equivocations/{id}); undefined for any other document. */
export function checkpointProofFromJson(v: unknown): CheckpointEquivocationProof | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { type, first, second } = v as { type?: unknown; first?: unknown; second?: unknown };
  if (type !== 'checkpoint-equivocation') return undefined;
  if (typeof first !== 'string' || typeof second !== 'string')
    throw new CheckpointProofDecodeError('a checkpoint equivocation proof has two notes, first and second, as text');
  return { first, second };
}

/** A protobuf proof of two checkpoint notes, or undefined when the bytes are not one (another kind of proof). */
export function sniffCheckpointProof(bytes: Uint8Array): CheckpointEquivocationProof | undefined {
  try {
    const p = decodeCheckpointProof(bytes);
    decodeCheckpointNote(p.first);
    decodeCheckpointNote(p.second);
    return p;
  } catch (err) {
    if (err instanceof DecodeError) return undefined;
    throw err;
  }
}

/** The JSON form (API, CLI): the two notes as text plus what they prove. */
export function checkpointProofToJson(
  p: CheckpointEquivocationProof,
  check: Extract<CheckpointProofCheck, { ok: true }>,
): Record<string, unknown> {
  return {
    type: 'checkpoint-equivocation',
    id: checkpointProofId(p),
    kind: check.kind,
    origin: check.origin,
    namespace: check.namespace,
    size: check.size.toString(),
    signers: check.signers,
    first: p.first,
    second: p.second,
  };
}
