// Typed errors of the C2SP building blocks (docs/c2sp.md). Parsing problems are DecodeErrors, failed
// signatures VerificationErrors, so callers can map them the same way as the rest of Chorus.
import { ChorusError, DecodeError, VerificationError } from '../util/errors.js';

/** A signed note, checkpoint, cosignature or request body that does not follow its spec. */
export class C2spFormatError extends DecodeError {}

/** Why a note was refused by `openNote` (c2sp.org/signed-note, "Signatures"). */
export type NoteRejection = 'bad-signature' | 'no-known-signature';

export class NoteVerificationError extends VerificationError {
  readonly reason: NoteRejection;
  constructor(reason: NoteRejection, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A tlog-policy file that does not validate; the message names the line. */
export class PolicyError extends ChorusError {
  readonly line: number;
  constructor(line: number, message: string) {
    super('policy-error', line > 0 ? `policy line ${line}: ${message}` : `policy: ${message}`);
    this.line = line;
  }
}
