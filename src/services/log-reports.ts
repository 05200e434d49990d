// Log-signed reports (Plexi's `/namespaces/{ns}/reports`): the log signs its head with its own
// Ed25519 key in Plexi's SignatureResponse format. A valid report authenticates the submission
// (no bearer token needed) and is an observation signed by the log's key (docs/protocol.md §3): stored,
// gossiped, and checked for equivocation like any other.
import type { Observation } from '../consensus/observation.js';
import type { SignatureResponse } from '../plexi/signature-response.js';
import { verifySignatureResponse } from '../plexi/verify-response.js';
import { bytesEqual, toHex } from '../util/bytes.js';
import { InvalidRequestError, NotAuthenticatedError, NotPermittedError } from './errors.js';

/** Checks a report against the namespace's log key; returns it as an observation. */
export function reportToObservation(
  ns: string,
  logKey: Uint8Array | undefined,
  report: SignatureResponse,
): Observation {
  if (!logKey)
    throw new NotPermittedError(
      'no-log-key',
      `namespace "${ns}" has no log key configured: reports cannot be authenticated`,
    );
  if (report.namespace !== ns)
    throw new InvalidRequestError(
      'namespace-mismatch',
      `the report is for namespace "${report.namespace}", not "${ns}"`,
    );
  if (report.keyId !== undefined && report.keyId !== logKey[31]) {
    throw new NotAuthenticatedError(`the report's key_id ${report.keyId} is not the log key's (${logKey[31]})`);
  }
  const check = verifySignatureResponse(report, logKey);
  if (!check.ok)
    throw new NotAuthenticatedError(`the report is not signed by the log key ${toHex(logKey)}: ${check.reason}`);
  return {
    ciphersuite: report.ciphersuite,
    namespace: ns,
    timestamp: report.timestamp,
    epoch: report.epoch,
    digest: report.digest,
    signature: report.signature,
    signerKey: logKey,
  };
}

export function sameKey(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && bytesEqual(a, b);
}
