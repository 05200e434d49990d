// The observation topic's validation rule (docs/protocol.md §5, lodestar-style explicit outcomes): pure,
// given the facts the node looked up. Cheap checks run before the signature check.
import type { Observation } from './observation.js';
import type { Roster } from './roster.js';
import { observationSignedBytes } from './observation.js';
import type { SignatureVerifier } from './equivocation.js';

/**
 * How far ahead of our clock a signed timestamp may be (clock skew allowance) unless configured
 * (`p2p.max_future_skew_ms`): the one default for observations and alerts, node and monitor.
 */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 600_000;

export type Verdict =
  | { outcome: 'accept'; reason: 'valid' }
  | { outcome: 'ignore'; reason: 'unknown-namespace' | 'duplicate' | 'queue-full' }
  | {
      outcome: 'reject';
      reason:
        | 'undecodable'
        | 'oversize'
        | 'topic-mismatch'
        | 'unknown-signer'
        | 'future-timestamp'
        | 'key-not-yet-valid'
        | 'key-retired'
        | 'bad-signature';
    };

export interface ObservationFacts {
  /** Namespace of the topic the message arrived on (undefined for sync). */
  topicNamespace?: string;
  audited: (namespace: string) => boolean;
  roster: Roster;
  nowMs: bigint;
  /** How far in the future a timestamp may be (clock skew allowance). */
  maxFutureMs: bigint;
  /** Whether this exact (namespace, epoch, digest, signer) is already stored. */
  alreadyStored: boolean;
  verify: SignatureVerifier;
}

export async function judgeObservation(o: Observation, f: ObservationFacts): Promise<Verdict> {
  if (f.topicNamespace !== undefined && o.namespace !== f.topicNamespace)
    return { outcome: 'reject', reason: 'topic-mismatch' };
  if (!f.audited(o.namespace)) return { outcome: 'ignore', reason: 'unknown-namespace' };
  if (!f.roster.signerRole(o.namespace, o.signerKey)) return { outcome: 'reject', reason: 'unknown-signer' };
  if (o.timestamp > f.nowMs + f.maxFutureMs) return { outcome: 'reject', reason: 'future-timestamp' };
  // The signer's key must be in force at the observation's own timestamp (docs/design-decisions.md,
  // "Key validity windows"): the signer chose that timestamp, so a key used outside its window is
  // the signer's mistake and the message is rejected, not merely ignored.
  const status = f.roster.keyStatus(o.namespace, o.signerKey, o.timestamp);
  if (status === 'not-yet-valid') return { outcome: 'reject', reason: 'key-not-yet-valid' };
  if (status === 'retired') return { outcome: 'reject', reason: 'key-retired' };
  if (f.alreadyStored) return { outcome: 'ignore', reason: 'duplicate' };
  if (!(await f.verify(o.signerKey, observationSignedBytes(o), o.signature)))
    return { outcome: 'reject', reason: 'bad-signature' };
  return { outcome: 'accept', reason: 'valid' };
}
