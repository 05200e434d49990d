// Gossip validation outcomes (docs/p2p.md, "Validation queue and outcomes"). A peer is penalised
// (reject) only for what it sent: bytes that do not decode, or a message our rules refuse. Anything
// else that goes wrong while validating is our own bug: an `internal-error` outcome, counted and
// logged, reported to gossipsub as IGNORE so no honest peer is penalised for it.
import type { ValidationResult } from '../p2p/index.js';
import { DecodeError, errorMessage } from '../util/errors.js';
import { decodeCanonical, NonCanonicalError } from '../wire/canonical.js';

/** A validator's answer; `accept` carries what the checks established. */
export type Judged<A, Refusal = { outcome: 'ignore' | 'reject'; reason: string }> =
  { outcome: 'accept'; reason: 'valid'; value: A } | Refusal;

/** What a topic handler ends with, before it is reported to gossipsub. */
export type GossipOutcome = ValidationResult | { outcome: 'internal-error'; reason: 'internal-error'; error: string };

/** The codec of one kind of gossip message. */
export interface GossipCodec<M> {
  /** Names the message in errors. */
  readonly what: string;
  /** Throws `DecodeError` (and only that) for bytes a peer should not have sent. */
  decode(bytes: Uint8Array): M;
  encode(message: M): Uint8Array;
}

/**
 * Decodes gossip bytes, which must be canonical (a re-encoding would be a new message id that
 * dodges de-duplication: src/wire/canonical.ts). A `DecodeError` becomes a reject; any other error
 * is not the peer's fault and is thrown on, to become an internal error.
 */
export function decodeGossip<M>(codec: GossipCodec<M>, data: Uint8Array): { value: M } | ValidationResult {
  try {
    return {
      value: decodeCanonical(
        data,
        (b) => codec.decode(b),
        (m) => codec.encode(m),
        codec.what,
      ),
    };
  } catch (err) {
    if (err instanceof NonCanonicalError) return { outcome: 'reject', reason: 'non-canonical' };
    if (err instanceof DecodeError) return { outcome: 'reject', reason: 'undecodable' };
    throw err;
  }
}

/** Runs a validation; an exception becomes an `internal-error` outcome instead of a verdict. */
export async function runGuarded(validate: () => Promise<ValidationResult>): Promise<GossipOutcome> {
  try {
    return await validate();
  } catch (err) {
    return { outcome: 'internal-error', reason: 'internal-error', error: errorMessage(err) };
  }
}

/** gossipsub knows accept, ignore and reject: an internal error is ignored (no penalty). */
export function toValidationResult(o: GossipOutcome): ValidationResult {
  if (o.outcome === 'internal-error') return { outcome: 'ignore', reason: 'internal-error' };
  return { outcome: o.outcome, reason: o.reason };
}

/**
 * A topic handler's `validate`: decode and judge through `validate`, with internal errors reported
 * to `onInternalError` (which counts and logs them) and turned into IGNORE.
 */
export function guardedValidator(
  validate: (data: Uint8Array, from: string) => Promise<ValidationResult>,
  onInternalError: (error: string, from: string) => void,
): (data: Uint8Array, from: string) => Promise<ValidationResult> {
  return async (data, from) => {
    const outcome = await runGuarded(() => validate(data, from));
    if (outcome.outcome === 'internal-error') onInternalError(outcome.error, from);
    return toValidationResult(outcome);
  };
}
