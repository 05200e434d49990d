// Alerts (besides equivocation proofs, which prove themselves): what they are, the liveness rules
// that raise them, and their signed gossip form. Pure; signature checks are injected.
import { SignedAlertType } from '../proto/index.js';
import { concatBytes } from '../util/bytes.js';
import { DecodeError } from '../util/errors.js';
import { parseJson, stringifyJson } from '../util/json.js';
import type { SignatureVerifier } from './equivocation.js';
import type { Roster } from './roster.js';

export type AlertType = 'equivocation' | 'validation-failed' | 'log-stalled' | 'quorum-missed' | 'auditor-silent';
export const ALERT_TYPES: readonly AlertType[] = [
  'equivocation',
  'validation-failed',
  'log-stalled',
  'quorum-missed',
  'auditor-silent',
];

export interface Alert {
  type: AlertType;
  namespace: string;
  epoch?: bigint;
  /** When it was raised (ms). */
  timestamp: bigint;
  /** Human-readable cause. */
  reason: string;
  [detail: string]: unknown;
}

// ---- liveness rules (issue: log-stalled, quorum-missed, auditor-silent) -----------------------

/** A log that has produced no epoch for longer than its configured interval allows. */
export function logStalled(lastEpochAtMs: bigint | undefined, nowMs: bigint, maxIntervalMs: bigint): boolean {
  return lastEpochAtMs !== undefined && nowMs - lastEpochAtMs > maxIntervalMs;
}

/** An epoch first seen at `firstSeenMs` that has not reached the threshold within the timeout. */
export function quorumMissed(firstSeenMs: bigint, reached: boolean, nowMs: bigint, timeoutMs: bigint): boolean {
  return !reached && nowMs - firstSeenMs > timeoutMs;
}

/**
 * A roster auditor silent for too long: nothing from it for `silenceMs` while the namespace kept
 * producing epochs (a stalled log silences everyone; that is `log-stalled`, not this).
 */
export function auditorSilent(
  lastHeardMs: bigint,
  lastEpochAtMs: bigint | undefined,
  nowMs: bigint,
  silenceMs: bigint,
): boolean {
  return lastEpochAtMs !== undefined && lastEpochAtMs > lastHeardMs && nowMs - lastHeardMs > silenceMs;
}

// ---- signed alerts on gossip ------------------------------------------------------------------

// v2 binds an alert to its network: the body names the network and the domain tag changed, so a
// v1 signature (which bound neither) never verifies as v2. See docs/design-decisions.md ("Alerts").
const DOMAIN = new TextEncoder().encode('chorus-alert-v2\x00');
export const MAX_ALERT_BYTES = 4096;
/** How old a gossiped alert may be when it arrives: alerts travel live, older ones are replays. */
export const ALERT_MAX_AGE_MS = 3_600_000n;

export interface SignedAlert {
  body: Uint8Array;
  signerKey: Uint8Array;
  signature: Uint8Array;
}

export class AlertDecodeError extends DecodeError {}

export function alertSignedBytes(body: Uint8Array): Uint8Array {
  return concatBytes(DOMAIN, body);
}

/** The signed body: the alert with the network it was raised in. */
export function alertBody(a: Alert, network: string): Uint8Array {
  return new TextEncoder().encode(stringifyJson({ ...a, network }));
}

export function encodeSignedAlert(s: SignedAlert): Uint8Array {
  return SignedAlertType.encode({ body: s.body, signer_key: s.signerKey, signature: s.signature }).finish();
}

export function decodeSignedAlert(bytes: Uint8Array): SignedAlert {
  if (bytes.length > MAX_ALERT_BYTES)
    throw new AlertDecodeError(`alert of ${bytes.length} bytes is over ${MAX_ALERT_BYTES}`);
  let raw: { body?: Uint8Array; signer_key?: Uint8Array; signature?: Uint8Array };
  try {
    raw = SignedAlertType.decode(bytes) as unknown as typeof raw;
  } catch (err) {
    throw new AlertDecodeError(`undecodable alert: ${(err as Error).message}`);
  }
  const s = {
    body: new Uint8Array(raw.body ?? []),
    signerKey: new Uint8Array(raw.signer_key ?? []),
    signature: new Uint8Array(raw.signature ?? []),
  };
  if (s.signerKey.length !== 32 || s.signature.length !== 64)
    throw new AlertDecodeError('alert signer key or signature has the wrong length');
  return s;
}

/** A gossiped alert's body: an Alert and the network it names. */
export function parseAlertBody(body: Uint8Array): Alert & { network: string } {
  let v: unknown;
  try {
    v = parseJson(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (err) {
    throw new AlertDecodeError(`alert body is not JSON: ${(err as Error).message}`);
  }
  const a = v as Partial<Alert>;
  if (
    typeof v !== 'object' ||
    v === null ||
    !ALERT_TYPES.includes(a.type as AlertType) ||
    typeof a.namespace !== 'string' ||
    typeof a.timestamp !== 'bigint' ||
    typeof a.reason !== 'string'
  ) {
    throw new AlertDecodeError('alert body lacks type, namespace, timestamp or reason');
  }
  if (a.epoch !== undefined && typeof a.epoch !== 'bigint')
    throw new AlertDecodeError('alert epoch must be an integer');
  if (typeof a.network !== 'string') throw new AlertDecodeError('alert body names no network (a v1 alert)');
  return a as Alert & { network: string };
}

export interface AlertFacts {
  nowMs: bigint;
  /** Clock skew allowance for timestamps ahead of ours. */
  maxFutureMs: bigint;
  /** Oldest alert still taken as news (ALERT_MAX_AGE_MS on gossip). */
  maxAgeMs: bigint;
}

export type AlertRejection =
  'undecodable' | 'wrong-network' | 'unknown-signer' | 'key-not-valid' | 'future-timestamp' | 'bad-signature';
export type AlertCheck =
  | { ok: true; alert: Alert; raisedBy: string }
  | { ok: false; outcome: 'reject'; reason: AlertRejection }
  | { ok: false; outcome: 'ignore'; reason: 'stale' };

/**
 * An alert counts only when a roster auditor signed it, for this network, recently, with a key in
 * force at its timestamp. A stale alert is ignored rather than rejected: a slow path delivered it,
 * which is not the relaying peer's fault.
 */
export async function checkSignedAlert(
  s: SignedAlert,
  roster: Roster,
  verify: SignatureVerifier,
  f: AlertFacts,
): Promise<AlertCheck> {
  let alert: Alert & { network: string };
  try {
    alert = parseAlertBody(s.body);
  } catch {
    return { ok: false, outcome: 'reject', reason: 'undecodable' };
  }
  if (alert.network !== roster.network) return { ok: false, outcome: 'reject', reason: 'wrong-network' };
  const auditor = roster.auditorByKey(s.signerKey);
  if (!auditor) return { ok: false, outcome: 'reject', reason: 'unknown-signer' };
  if (alert.timestamp > f.nowMs + f.maxFutureMs) return { ok: false, outcome: 'reject', reason: 'future-timestamp' };
  if (alert.timestamp + f.maxAgeMs < f.nowMs) return { ok: false, outcome: 'ignore', reason: 'stale' };
  if (roster.keyStatus(alert.namespace, s.signerKey, alert.timestamp) !== 'valid')
    return { ok: false, outcome: 'reject', reason: 'key-not-valid' };
  if (!(await verify(s.signerKey, alertSignedBytes(s.body), s.signature)))
    return { ok: false, outcome: 'reject', reason: 'bad-signature' };
  return { ok: true, alert, raisedBy: auditor.name };
}
