// Typed errors shared by every module. Each carries a stable machine-readable `code` (used in
// HTTP error bodies and CLI exit decisions) and a human-readable message.
export class ChorusError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input that cannot be decoded or does not have the required shape (bad hex, wrong length…). */
export class DecodeError extends ChorusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('decode-error', message, options);
  }
}

/** Configuration or roster file that does not validate; `path` names the offending field. */
export class ConfigError extends ChorusError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('config-error', path ? `${path}: ${message}` : message, options);
    this.path = path;
  }
}

/** A cryptographic check failed (signature, key). */
export class VerificationError extends ChorusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('verification-failed', message, options);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
