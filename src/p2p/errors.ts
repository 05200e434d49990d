// Typed errors of the libp2p layer. Callers branch on the class (or `code`), never on messages.
import { ChorusError } from '../util/errors.js';

/** The libp2p identity file is missing, unreadable, malformed or has unsafe permissions. */
export class IdentityError extends ChorusError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('identity-error', `${path}: ${message}`, options);
    this.path = path;
  }
}

/** An operation needs a started host (publish, requestSync…). */
export class HostStateError extends ChorusError {
  constructor(message: string) {
    super('p2p-not-running', message);
  }
}

/** A sync request did not complete within its deadline (dial, write or read). */
export class SyncTimeoutError extends ChorusError {
  readonly timeoutMs: number;
  constructor(peerId: string, timeoutMs: number) {
    super('sync-timeout', `sync with ${peerId} timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** A sync request or response is larger than the configured cap. */
export class SyncOversizeError extends ChorusError {
  readonly which: 'request' | 'response';
  readonly limit: number;
  constructor(which: 'request' | 'response', limit: number, size?: number, options?: { cause?: unknown }) {
    super(
      'sync-oversize',
      `sync ${which} exceeds ${limit} bytes${size === undefined ? '' : ` (${size} bytes)`}`,
      options,
    );
    this.which = which;
    this.limit = limit;
  }
}

/** The sync exchange failed: dial failure, stream reset by the remote, bad framing, no response. */
export class SyncProtocolError extends ChorusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('sync-protocol', message, options);
  }
}

/** Refused to publish: data larger than the topic's cap (peers would reject it and penalise us). */
export class PublishOversizeError extends ChorusError {
  readonly limit: number;
  constructor(topic: string, size: number, limit: number) {
    super('publish-oversize', `message of ${size} bytes exceeds the ${limit}-byte cap of ${topic}`);
    this.limit = limit;
  }
}

/** A sync session used up its pages (`sync.maxPagesPerSession`): the caller keeps what it got and resumes next time. */
export class SyncPageLimitError extends ChorusError {
  readonly maxPages: number;
  constructor(peerId: string, maxPages: number) {
    super('sync-page-limit', `sync session with ${peerId} reached its limit of ${maxPages} pages`);
    this.maxPages = maxPages;
  }
}
