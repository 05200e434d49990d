// Cosigned checkpoints in the network (docs/c2sp.md, "Checkpoints in the network"), as pure rules: the
// gossip form (a signed note: checkpoint body and signature lines), who may sign one (roster witnesses with
// `cosignature/v1`, the origin's log keys), and the judgement of a received note over injected facts.
import { parseCheckpoint, type Checkpoint } from '../c2sp/checkpoint.js';
import { cosignatureTimestamp, cosignatureVerifier } from '../c2sp/cosignature.js';
import { C2spFormatError, NoteVerificationError } from '../c2sp/errors.js';
import {
  formatNote,
  keyIdHex,
  openNote,
  parseNote,
  parseVerifierKey,
  type Note,
  type NoteSignature,
  type NoteVerifier,
} from '../c2sp/signed-note.js';
import { encodeUtf8 } from '../c2sp/text.js';
import { keyStatusAt, type OriginFacts, type Roster, type RosterAuditor } from './roster.js';

/** A gossiped checkpoint note: a body of a few lines and one signature line per signer (~120 bytes each). */
export const MAX_CHECKPOINT_NOTE_BYTES = 8 * 1024;

/** A checkpoint as a signed note, parsed (signatures not yet checked). */
export interface CheckpointNote {
  note: Note;
  checkpoint: Checkpoint;
}

/** Strict parse of a checkpoint note; throws `C2spFormatError` (a `DecodeError`) for anything malformed. */
export function decodeCheckpointNote(input: Uint8Array | string): CheckpointNote {
  const size = typeof input === 'string' ? encodeUtf8(input).length : input.length;
  if (size > MAX_CHECKPOINT_NOTE_BYTES) {
    throw new C2spFormatError(`checkpoint note of ${size} bytes is over ${MAX_CHECKPOINT_NOTE_BYTES}`);
  }
  const note = parseNote(input);
  return { note, checkpoint: parseCheckpoint(note.text) };
}

export function encodeCheckpointNote(cn: CheckpointNote): Uint8Array {
  return encodeUtf8(formatNote(cn.note));
}

/** One roster auditor key as a cosignature verifier. */
export interface RosterWitness {
  auditor: RosterAuditor;
  publicKey: Uint8Array;
  verifier: NoteVerifier;
}

/** Every roster auditor key that can cosign (it has a witness name), as a `cosignature/v1` verifier. */
export function rosterWitnesses(roster: Roster): RosterWitness[] {
  return roster.witnessVerifierKeys().map(({ auditor, vkey }) => ({
    auditor,
    publicKey: parseVerifierKey(vkey).publicKey,
    verifier: cosignatureVerifier(vkey),
  }));
}

/** A signature verified against the roster, with who made it. */
export interface CheckpointSignature {
  signature: NoteSignature;
  role: 'witness' | 'log';
  /** The roster auditor's name, or `log:<namespace>`. */
  signer: string;
  /** Cosignatures only: the cosignature's timestamp (POSIX seconds). */
  timestamp?: bigint;
}

/** (name, key ID): one signature per key is kept (docs/c2sp.md, "Checkpoints in the network"). */
export function signatureKey(sig: NoteSignature): string {
  return `${sig.name}+${keyIdHex(sig.keyId)}`;
}

export type CheckpointRefusal =
  | { outcome: 'ignore'; reason: 'unknown-origin' | 'duplicate' }
  | {
      outcome: 'reject';
      reason:
        | 'bad-signature'
        | 'no-roster-signature'
        | 'no-witness-cosignature'
        | 'no-log-signature'
        | 'key-not-valid'
        | 'future-timestamp';
      message: string;
    };

export type CheckedSignatures =
  | { ok: true; facts: OriginFacts; signatures: CheckpointSignature[] }
  | Exclude<CheckpointRefusal, { reason: 'duplicate' }>;

/**
 * Verifies a checkpoint note against the roster: every signature by a known key must verify; the roster
 * witnesses' cosignatures and the origin's log signatures are returned (one per key), unknown keys dropped.
 * Requires at least one witness cosignature by a key in force at its timestamp, none dated beyond
 * `nowSeconds + maxFutureSeconds`, and a log signature when the origin has log keys.
 */
export function checkCheckpointSignatures(
  cn: CheckpointNote,
  roster: Roster,
  time: { nowSeconds: bigint; maxFutureSeconds: bigint } | undefined,
  witnesses: readonly RosterWitness[] = rosterWitnesses(roster),
): CheckedSignatures {
  const facts = roster.originFacts(cn.checkpoint.origin);
  if (!facts) return { outcome: 'ignore', reason: 'unknown-origin' };
  let opened;
  try {
    opened = openNote(cn.note, [...witnesses.map((w) => w.verifier), ...facts.logVerifiers]);
  } catch (err) {
    if (!(err instanceof NoteVerificationError)) throw err;
    const reason = err.reason === 'bad-signature' ? 'bad-signature' : 'no-roster-signature';
    return { outcome: 'reject', reason, message: err.message };
  }
  const signatures: CheckpointSignature[] = [];
  for (const { verifier, signature } of opened.verified) {
    const w = witnesses.find((x) => x.verifier === verifier);
    if (w === undefined) {
      signatures.push({ signature, role: 'log', signer: `log:${facts.namespace}` });
      continue;
    }
    const timestamp = cosignatureTimestamp(signature.signature);
    if (time && timestamp > time.nowSeconds + time.maxFutureSeconds) {
      return {
        outcome: 'reject',
        reason: 'future-timestamp',
        message: `cosignature of ${w.auditor.name} is dated ${timestamp}`,
      };
    }
    // Roster key windows are in milliseconds (docs/design-decisions.md, "Key validity windows").
    const status = keyStatusAt(w.auditor.keys, w.publicKey, timestamp * 1000n);
    if (status !== 'valid') {
      const message = `the key of ${w.auditor.name} is ${status} at cosignature time ${timestamp}`;
      return { outcome: 'reject', reason: 'key-not-valid', message };
    }
    signatures.push({ signature, role: 'witness', signer: w.auditor.name, timestamp });
  }
  if (!signatures.some((s) => s.role === 'witness')) {
    return { outcome: 'reject', reason: 'no-witness-cosignature', message: 'no valid cosignature by a roster witness' };
  }
  if (facts.logVerifiers.length > 0 && !signatures.some((s) => s.role === 'log')) {
    return { outcome: 'reject', reason: 'no-log-signature', message: 'no valid signature by the log' };
  }
  return { ok: true, facts, signatures };
}

/** Facts a checkpoint note is judged with. */
export interface CheckpointFacts {
  roster: Roster;
  nowSeconds: bigint;
  maxFutureSeconds: bigint;
  /** The signature keys (`signatureKey`) already held for this note's body: nothing new is a duplicate. */
  held: ReadonlySet<string>;
  witnesses?: readonly RosterWitness[];
}

export interface CheckedCheckpoint {
  checkpoint: Checkpoint;
  /** The body (checkpoint note text). */
  text: string;
  namespace: string;
  signatures: CheckpointSignature[];
  /** Of those, the ones not held before. */
  fresh: CheckpointSignature[];
}

/** The gossip judgement of a checkpoint note (docs/p2p.md, "Topic kinds"). */
export function judgeCheckpointNote(
  cn: CheckpointNote,
  f: CheckpointFacts,
): { outcome: 'accept'; reason: 'valid'; value: CheckedCheckpoint } | CheckpointRefusal {
  const time = { nowSeconds: f.nowSeconds, maxFutureSeconds: f.maxFutureSeconds };
  const checked = checkCheckpointSignatures(cn, f.roster, time, f.witnesses);
  if (!('ok' in checked)) return checked;
  const fresh = checked.signatures.filter((s) => !f.held.has(signatureKey(s.signature)));
  if (fresh.length === 0) return { outcome: 'ignore', reason: 'duplicate' };
  const value = {
    checkpoint: cn.checkpoint,
    text: cn.note.text,
    namespace: checked.facts.namespace,
    signatures: checked.signatures,
    fresh,
  };
  return { outcome: 'accept', reason: 'valid', value };
}
