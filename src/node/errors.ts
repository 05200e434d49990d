// Errors the node's services raise, each with the HTTP status the API answers with.
import { ChorusError } from '../util/errors.js';

export class HttpError extends ChorusError {
  readonly status: number;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message);
    this.status = status;
    this.details = details;
  }
}

export class UnknownNamespaceError extends HttpError {
  constructor(ns: string) {
    super(404, 'unknown-namespace', `namespace "${ns}" is not audited by this node`);
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

export class ConflictError extends HttpError {
  constructor(code: string, message: string, details: Record<string, unknown>) {
    super(409, code, message, details);
  }
}
