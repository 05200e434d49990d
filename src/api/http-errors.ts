// HTTP statuses for every error, in one place: the api's own errors carry their status; the
// domain's typed errors (src/services/errors.ts) carry none and are mapped here
// (docs/design-decisions.md "Composition root").
import { ChorusError } from '../util/errors.js';
import {
  InvalidRequestError,
  NotAuthenticatedError,
  NotPermittedError,
  SigningUnavailableError,
  SubmissionRefusedError,
  UnknownNamespaceError,
} from '../services/errors.js';

/** An error raised by the api itself (bad path parameter, missing admin token…), with its status. */
export class HttpError extends ChorusError {
  readonly status: number;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message);
    this.status = status;
    this.details = details;
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, 'not-found', message);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(401, 'unauthorized', message);
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, code = 'bad-request') {
    super(400, code, message);
  }
}

/** What the api answers for an error: the status, the code and the details appended to the body. */
export interface HttpFailure {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** Domain error classes and the status each is answered with; anything else typed is a 400. */
const DOMAIN_STATUS: readonly [new (...args: never[]) => ChorusError, number][] = [
  [UnknownNamespaceError, 404],
  [NotAuthenticatedError, 401],
  [NotPermittedError, 403],
  [SubmissionRefusedError, 409],
  [SigningUnavailableError, 503],
  [InvalidRequestError, 400],
];

/**
 * The answer for a typed error, or undefined for anything else (a bug: the caller answers 500).
 * A ChorusError the table does not name (a decode error in a request, say) is the client's: 400.
 */
export function httpFailureOf(err: unknown): HttpFailure | undefined {
  if (err instanceof HttpError) {
    return { status: err.status, code: err.code, message: err.message, details: err.details };
  }
  if (!(err instanceof ChorusError)) return undefined;
  const status = DOMAIN_STATUS.find(([type]) => err instanceof type)?.[1] ?? 400;
  const details = err instanceof SubmissionRefusedError || err instanceof SigningUnavailableError ? err.details : {};
  return { status, code: err.code, message: err.message, details };
}
