// The domain's typed errors: what went wrong, never how a transport answers it. The api maps
// each to an HTTP status in one place (src/api/http-errors.ts; docs/design-decisions.md
// "Composition root").
import { ChorusError } from '../util/errors.js';

/** A namespace this node does not audit. */
export class UnknownNamespaceError extends ChorusError {
  constructor(readonly namespace: string) {
    super('unknown-namespace', `namespace "${namespace}" is not audited by this node`);
  }
}

/** A caller's credentials (bearer token, report signature) do not authenticate it. */
export class NotAuthenticatedError extends ChorusError {
  constructor(message: string) {
    super('unauthorized', message);
  }
}

/** A request the namespace's settings forbid (a report where no log key is configured). */
export class NotPermittedError extends ChorusError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** A submission the chain rules refuse (a second digest for a signed epoch, a broken chain…). */
export class SubmissionRefusedError extends ChorusError {
  constructor(
    code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code, message);
  }
}

/** Signing is halted (doppelgänger, failed write, store behind its journal): nothing is signed. */
export class SigningUnavailableError extends ChorusError {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super('signing-halted', message);
  }
}

/** A request whose content is malformed or inconsistent with its target. */
export class InvalidRequestError extends ChorusError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}
