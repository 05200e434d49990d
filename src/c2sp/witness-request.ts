// The tlog-witness `add-checkpoint` exchange (c2sp.org/tlog-witness): request and response bodies, the
// 409 body, the monitoring path, and the pure decision of which status a request earns. Persisting the
// new state atomically with the check stays with the caller (the spec's race warning).
import { createHash } from 'node:crypto';
import { bytesEqual, toHex } from '../util/bytes.js';
import { ChorusError } from '../util/errors.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { C2spFormatError, NoteVerificationError } from './errors.js';
import { EMPTY_ROOT, verifyConsistency } from './rfc6962.js';
import {
  formatSignatureLine,
  MAX_NOTE_BYTES,
  openNote,
  parseNote,
  parseSignatureLines,
  type Note,
  type NoteSignature,
  type NoteVerifier,
} from './signed-note.js';
import { decodeBase64, encodeBase64, inputText, parseDecimal } from './text.js';

/** "The client MUST NOT send more than 63 consistency proof lines." */
export const MAX_CONSISTENCY_PROOF_LINES = 63;
/** Request body cap: the proof lines plus the largest note accepted. */
export const MAX_ADD_CHECKPOINT_BYTES = MAX_NOTE_BYTES + 8 * 1024;
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

export type WitnessStatus = 200 | 400 | 403 | 404 | 409 | 422;

/** A request refused with the HTTP status tlog-witness assigns to it. */
export class WitnessRequestError extends ChorusError {
  readonly status: Exclude<WitnessStatus, 200>;
  constructor(status: Exclude<WitnessStatus, 200>, message: string, options?: { cause?: unknown }) {
    super(`witness-${status}`, message, options);
    this.status = status;
  }
}

export interface AddCheckpointRequest {
  oldSize: bigint;
  proof: Uint8Array[];
  /** The checkpoint as a signed note (text and signature lines), not yet verified. */
  note: Note;
  checkpoint: Checkpoint;
}

function badRequest(message: string, cause?: unknown): WitnessRequestError {
  return new WitnessRequestError(400, message, cause === undefined ? undefined : { cause });
}

/** Parse an add-checkpoint body. Every malformation is a 400 (including old size above checkpoint size). */
export function parseAddCheckpointRequest(body: Uint8Array | string): AddCheckpointRequest {
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (size > MAX_ADD_CHECKPOINT_BYTES) {
    throw badRequest(`request body is larger than ${MAX_ADD_CHECKPOINT_BYTES} bytes`);
  }
  try {
    const text = inputText(body, 'request body');
    const blank = text.indexOf('\n\n');
    if (blank < 0) throw badRequest('request has no empty line before the checkpoint');
    const headerLines = text.slice(0, blank).split('\n');
    const oldLine = headerLines[0] as string;
    if (!oldLine.startsWith('old ')) throw badRequest('request must start with an "old <size>" line');
    const oldSize = parseDecimal(oldLine.slice(4), 'old size');
    const proofLines = headerLines.slice(1);
    if (proofLines.length > MAX_CONSISTENCY_PROOF_LINES) {
      throw badRequest(`more than ${MAX_CONSISTENCY_PROOF_LINES} consistency proof lines`);
    }
    const proof = proofLines.map((line, i) => {
      const hash = decodeBase64(line, `consistency proof line ${i + 1}`);
      if (hash.length !== 32) throw badRequest(`consistency proof line ${i + 1} is not a 32-byte hash`);
      return hash;
    });
    const note = parseNote(text.slice(blank + 2));
    const checkpoint = parseCheckpoint(note.text);
    if (oldSize > checkpoint.size) {
      throw badRequest(`old size ${oldSize} is above the checkpoint size ${checkpoint.size}`);
    }
    return { oldSize, proof, note, checkpoint };
  } catch (err) {
    if (err instanceof WitnessRequestError) throw err;
    if (err instanceof C2spFormatError) throw badRequest(err.message, err);
    throw err;
  }
}

export function formatAddCheckpointRequest(oldSize: bigint, proof: readonly Uint8Array[], signedNote: string): string {
  if (proof.length > MAX_CONSISTENCY_PROOF_LINES) {
    throw new C2spFormatError(`more than ${MAX_CONSISTENCY_PROOF_LINES} consistency proof lines`);
  }
  parseNote(signedNote);
  return `old ${oldSize.toString(10)}\n` + proof.map((h) => encodeBase64(h) + '\n').join('') + '\n' + signedNote;
}

/** 200 body: one or more signature lines. */
export function formatAddCheckpointResponse(signatures: readonly NoteSignature[]): string {
  if (signatures.length === 0) throw new C2spFormatError('a witness response carries at least one cosignature');
  return signatures.map(formatSignatureLine).join('');
}

export function parseAddCheckpointResponse(body: Uint8Array | string): NoteSignature[] {
  return parseSignatureLines(inputText(body, 'witness response'));
}

/** 409 body (Content-Type text/x.tlog.size): the latest cosigned size and a newline. */
export function formatConflictBody(size: bigint): string {
  return `${size.toString(10)}\n`;
}

export function parseConflictBody(body: string): bigint {
  if (!body.endsWith('\n')) throw new C2spFormatError('a text/x.tlog.size body ends with a newline');
  return parseDecimal(body.slice(0, -1), 'latest cosigned size');
}

/** `<lowercase hex SHA-256 of origin>/checkpoint`, relative to the monitoring prefix. */
export function checkpointPath(origin: string): string {
  return `${toHex(new Uint8Array(createHash('sha256').update(origin, 'utf8').digest()))}/checkpoint`;
}

/** What the witness knows about a log: its trusted keys and the latest checkpoint it cosigned. */
export interface WitnessLogState {
  verifiers: readonly NoteVerifier[];
  latest: { size: bigint; rootHash: Uint8Array } | null;
}

export type AddCheckpointDecision =
  | { status: 200; checkpoint: Checkpoint; logSignatures: NoteSignature[] }
  | { status: 400 | 403 | 404 | 422; message: string; checkpoint?: Checkpoint }
  | { status: 409; message: string; latestSize: bigint };

/**
 * Decide an add-checkpoint request in the order tlog-witness gives: 404 unknown origin, 403 signature,
 * 409 old size not ours, 422 bad empty root / proof / same-size fork. `state` is null for an unknown origin.
 * A 422 carries the (log-signed) checkpoint: it may be evidence of log misbehaviour.
 */
export function decideAddCheckpoint(req: AddCheckpointRequest, state: WitnessLogState | null): AddCheckpointDecision {
  const cp = req.checkpoint;
  if (state === null) return { status: 404, message: `unknown log origin ${JSON.stringify(cp.origin)}` };
  let logSignatures: NoteSignature[];
  try {
    logSignatures = openNote(req.note, state.verifiers).verified.map((v) => v.signature);
  } catch (err) {
    if (err instanceof NoteVerificationError) return { status: 403, message: err.message };
    throw err;
  }
  const latestSize = state.latest?.size ?? 0n;
  if (req.oldSize !== latestSize) {
    return { status: 409, message: `old size ${req.oldSize} is not the latest cosigned size`, latestSize };
  }
  const reject = (message: string): AddCheckpointDecision => ({ status: 422, message, checkpoint: cp });
  if (cp.size === 0n && !bytesEqual(cp.rootHash, EMPTY_ROOT)) return reject('size 0 with a non-empty root');
  if (req.oldSize === 0n) {
    if (req.proof.length !== 0) return reject('old size 0 takes no consistency proof');
    return { status: 200, checkpoint: cp, logSignatures };
  }
  const oldRoot = (state.latest as { rootHash: Uint8Array }).rootHash;
  if (req.oldSize === cp.size) {
    if (!bytesEqual(oldRoot, cp.rootHash)) return reject('same size as the latest cosigned checkpoint, other root');
    if (req.proof.length !== 0) return reject('equal sizes take no consistency proof');
    return { status: 200, checkpoint: cp, logSignatures };
  }
  if (!verifyConsistency(req.oldSize, cp.size, oldRoot, cp.rootHash, req.proof)) {
    return reject('consistency proof does not verify');
  }
  return { status: 200, checkpoint: cp, logSignatures };
}
