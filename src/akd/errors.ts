// Typed errors of the AKD module. Every failure says what was wrong in terms of akd's own
// objects (which element, which root), so an alert can carry it verbatim.
import { ChorusError, DecodeError, VerificationError } from '../util/errors.js';

/** Why a proof blob could not be decoded (akd: protobuf parse error or akd_core converter error). */
export type AkdDecodeReason =
  | 'truncated'
  | 'bad-varint'
  | 'bad-tag'
  | 'bad-wire-type'
  | 'missing-field'
  | 'label-val-too-long'
  | 'label-len-too-long'
  | 'bad-value-length'
  | 'too-deep';

export class AkdDecodeError extends DecodeError {
  readonly reason: AkdDecodeReason;
  /** Byte offset in the blob where decoding stopped. */
  readonly offset: number;
  constructor(reason: AkdDecodeReason, message: string, offset: number) {
    super(`AKD proof decoding failed at byte ${offset}: ${message}`);
    this.reason = reason;
    this.offset = offset;
  }
}

/** Which of akd's two trees did not produce the expected root. */
export type AkdRoot = 'start' | 'end';

/** Which list of the SingleAppendOnlyProof an element is in, with its index there. */
export interface AkdElementRef {
  list: 'inserted' | 'unchanged_nodes';
  index: number;
  /** The element's label as akd prints it: "(0x<label_val hex>, <label_len>)". */
  label: string;
}

export type AkdVerifyReason = 'root-mismatch' | 'label-conflict';

/** A well-formed proof that does not prove the transition. */
export class AkdProofError extends VerificationError {
  readonly reason: AkdVerifyReason;
  constructor(reason: AkdVerifyReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The tree rebuilt from the proof has another root than the blob name says. */
export class AkdRootMismatchError extends AkdProofError {
  readonly root: AkdRoot;
  readonly expected: string;
  readonly computed: string;
  constructor(root: AkdRoot, expected: string, computed: string) {
    const which = root === 'start' ? 'start root (previous hash)' : 'end root (current hash)';
    super('root-mismatch', `${which} does not match: expected ${expected}, computed ${computed}`);
    this.root = root;
    this.expected = expected;
    this.computed = computed;
  }
}

/**
 * akd#495 (fixed in akd 0.13): one element's label equals, or is a prefix of, another's. akd 0.12
 * silently dropped such an element while building the tree, so a proof could rewrite a key.
 */
export class AkdLabelConflictError extends AkdProofError {
  readonly relation: 'equal' | 'prefix' | 'root';
  readonly first: AkdElementRef;
  readonly second: AkdElementRef | null;
  constructor(relation: 'equal' | 'prefix' | 'root', first: AkdElementRef, second: AkdElementRef | null) {
    const name = (r: AkdElementRef): string => `${r.list}[${r.index}] ${r.label}`;
    let message: string;
    if (relation === 'root' || second === null) {
      message =
        `label conflict (akd#495): ${name(first)} has label_len 0, the root's label, which is a prefix of ` +
        `every label`;
    } else if (relation === 'equal') {
      message = `label conflict (akd#495): ${name(first)} and ${name(second)} have the same label`;
    } else {
      message = `label conflict (akd#495): the label of ${name(first)} is a prefix of the label of ${name(second)}`;
    }
    super('label-conflict', message);
    this.relation = relation;
    this.first = first;
    this.second = second;
  }
}

/** A caller passed something that is not a valid verification input (epoch, digest length…). */
export class AkdInputError extends ChorusError {
  constructor(message: string) {
    super('akd-bad-input', message);
  }
}

/**
 * The proof file could not be read (missing, unreadable, I/O error): "could not check", never a
 * verdict on the proof. The caller retries or withholds (docs/design-decisions.md: accuse only on
 * positive contradiction).
 */
export class AkdReadError extends ChorusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('akd-read-error', message, options);
  }
}
