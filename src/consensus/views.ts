// Signed views from anyone (docs/protocol.md, "Views from anyone"): a client or monitor hands a node
// something signed it was shown. These pure rules say who signed it and what it means against what
// the node holds for that (namespace, epoch); the service (src/services/view-reports.ts) looks the
// facts up and acts. Signature checks are injected, so the rules run anywhere.
import { bytesEqual } from '../util/bytes.js';
import { keyId } from '../plexi/signature-message.js';
import type { SignatureResponse } from '../plexi/signature-response.js';
import type { SignatureVerifier } from './equivocation.js';
import { observationSignedBytes, type Observation } from './observation.js';
import { judgeObservation, type ObservationFacts } from './observation-rules.js';
import type { Roster } from './roster.js';

/** Why a view is refused: nothing is stored, nobody is accused (the submitter gains nothing by lying). */
export type ViewRefusal =
  | 'unknown-namespace'
  | 'unknown-signer'
  | 'bad-signature'
  | 'future-timestamp'
  | 'key-not-yet-valid'
  | 'key-retired'
  /** Any other gossip refusal (none applies to a view today: it has no topic and is never a duplicate). */
  | 'invalid';

/**
 * - `contradiction`: signed, and another digest is held for that (namespace, epoch): an equivocation;
 * - `new`: signed, not held before, nothing contradicts it (`compared`: how many held observations
 *   of that epoch it was compared with; 0 is "could not check", never an accusation);
 * - `consistent`: this very view (signer, digest) is already held;
 * - `refused`: not signed by a roster signer in force, or of a namespace this node does not audit.
 */
export type ViewClassification =
  | { outcome: 'contradiction'; conflicting: Observation[]; alreadyHeld: boolean }
  | { outcome: 'new'; compared: number }
  | { outcome: 'consistent' }
  | { outcome: 'refused'; reason: ViewRefusal };

/** What a view is judged with: the gossip facts (without `alreadyStored`) and what is held for its epoch. */
export interface ViewFacts extends Omit<ObservationFacts, 'alreadyStored' | 'topicNamespace'> {
  /** Every observation the node holds for the view's (namespace, epoch), its own included. */
  held: readonly Observation[];
}

/**
 * Classifies one signed view. The signature is always checked, even for a (signer, digest) already
 * held: a forged signature over a held statement is refused, not answered as consistent.
 */
export async function classifyView(view: Observation, f: ViewFacts): Promise<ViewClassification> {
  const verdict = await judgeObservation(view, { ...f, alreadyStored: false });
  if (verdict.outcome !== 'accept') return { outcome: 'refused', reason: refusalOf(verdict.reason) };
  const sameEpoch = f.held.filter((o) => o.namespace === view.namespace && o.epoch === view.epoch);
  const alreadyHeld = sameEpoch.some(
    (o) => bytesEqual(o.digest, view.digest) && bytesEqual(o.signerKey, view.signerKey),
  );
  const conflicting = sameEpoch.filter((o) => !bytesEqual(o.digest, view.digest));
  if (conflicting.length > 0) return { outcome: 'contradiction', conflicting, alreadyHeld };
  if (alreadyHeld) return { outcome: 'consistent' };
  return { outcome: 'new', compared: sameEpoch.length };
}

const REFUSALS: ReadonlySet<string> = new Set<ViewRefusal>([
  'unknown-namespace',
  'unknown-signer',
  'bad-signature',
  'future-timestamp',
  'key-not-yet-valid',
  'key-retired',
]);

/** The gossip verdict's reason as a view's refusal. */
function refusalOf(reason: string): ViewRefusal {
  return REFUSALS.has(reason) ? (reason as ViewRefusal) : 'invalid';
}

/**
 * The keys that may have signed a Plexi SignatureResponse of `namespace` (it does not name its
 * signer): every roster auditor key and the namespace's log key, narrowed by `key_id` (the key's
 * last byte, as Plexi sets it) when the response carries one.
 */
export function candidateSigners(roster: Roster, namespace: string, keyIdHint?: number): Uint8Array[] {
  const keys = roster.auditors.flatMap((a) => a.keys.map((k) => k.publicKey));
  const logKey = roster.namespace(namespace)?.logKey;
  if (logKey) keys.push(logKey);
  return keyIdHint === undefined ? keys : keys.filter((k) => keyId(k) === keyIdHint);
}

/**
 * A SignatureResponse as the observation of whichever candidate key signed it, or undefined when
 * none did. With `signerKey` given (the submitter names it) only that key is tried.
 */
export async function signatureResponseAsObservation(
  r: SignatureResponse,
  candidates: readonly Uint8Array[],
  verify: SignatureVerifier,
  signerKey?: Uint8Array,
): Promise<Observation | undefined> {
  const tried = signerKey ? [signerKey] : candidates;
  for (const key of tried) {
    const o: Observation = {
      ciphersuite: r.ciphersuite,
      namespace: r.namespace,
      timestamp: r.timestamp,
      epoch: r.epoch,
      digest: r.digest,
      signature: r.signature,
      signerKey: key,
    };
    if (key.length === 32 && (await verify(key, observationSignedBytes(o), o.signature))) return o;
  }
  return undefined;
}
