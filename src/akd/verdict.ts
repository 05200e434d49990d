// Verdicts as plain data (structured-clone and JSON safe): what crosses the worker boundary, goes
// into the store and the API, and names the failure as precisely as the typed errors do.
import type { AkdConfiguration } from './configuration.js';
import {
  AkdDecodeError,
  AkdInputError,
  AkdLabelConflictError,
  AkdReadError,
  AkdRootMismatchError,
  type AkdElementRef,
} from './errors.js';
import type { AkdVerifyError, VerifyTimings } from './verifier.js';

export interface AkdFailure {
  /**
   * The error class's code: 'decode-error', 'verification-failed', 'akd-bad-input' or
   * 'akd-read-error' (verifyFile: the file could not be read; "could not check", not invalid).
   */
  code: string;
  /** decode: why (truncated, label-val-too-long…); verify: root-mismatch or label-conflict. */
  reason: string;
  message: string;
  /** Root mismatch: which root, the expected and the computed digest (hex). */
  root?: 'start' | 'end';
  expected?: string;
  computed?: string;
  /** Label conflict (akd#495): the two elements. */
  relation?: 'equal' | 'prefix' | 'root';
  elements?: AkdElementRef[];
  /** Decode error: byte offset in the blob. */
  offset?: number;
}

export interface AkdVerdict {
  ok: boolean;
  failure?: AkdFailure;
  inserted: number;
  unchanged: number;
  timings: VerifyTimings;
}

export function failureOf(error: AkdVerifyError | AkdReadError): AkdFailure {
  const base = { code: error.code, message: error.message };
  if (error instanceof AkdDecodeError) return { ...base, reason: error.reason, offset: error.offset };
  if (error instanceof AkdRootMismatchError) {
    return { ...base, reason: error.reason, root: error.root, expected: error.expected, computed: error.computed };
  }
  if (error instanceof AkdLabelConflictError) {
    const elements = error.second === null ? [error.first] : [error.first, error.second];
    return { ...base, reason: error.reason, relation: error.relation, elements };
  }
  if (error instanceof AkdInputError) return { ...base, reason: 'bad-input' };
  if (error instanceof AkdReadError) return { ...base, reason: 'unreadable' };
  return { ...base, reason: 'unknown' };
}

/** A verification request as it crosses to a worker. */
export interface AkdVerifyRequest {
  id: number;
  /** The proof's bytes, or (verifyFile) the path of a file the worker reads itself. */
  proof?: Uint8Array;
  path?: string;
  previous: Uint8Array;
  current: Uint8Array;
  endEpoch: bigint;
  configuration: AkdConfiguration;
}

export type AkdVerifyResponse = { id: number; verdict: AkdVerdict } | { id: number; crash: string };
