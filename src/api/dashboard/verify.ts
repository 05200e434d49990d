// In-browser verification with the very code the CLI uses (consensus/cosignature.ts,
// consensus/equivocation.ts), strict Ed25519 through WebCrypto (crypto/ed25519-async.ts), against
// the roster the operator published. Only what passes here is shown as verified.
import { checkCosignedEpoch, cosignedEpochFromJson, type CosignedEpoch } from '../../consensus/cosignature.js';
import { checkEquivocationProof, decodeEquivocationProof, proofId } from '../../consensus/equivocation.js';
import { Roster } from '../../consensus/roster.js';
import { verifyStrictAsync } from '../../crypto/ed25519-async.js';
import { fromHex, toHex } from '../../util/bytes.js';
import { DecodeError } from '../../util/errors.js';
import { ApiError, enc, getBytes, getRawJson, type CosignaturesJson, type EpochViewJson } from './api.js';
import { errorText } from './format.js';

export type Check =
  { state: 'verified'; note?: string } | { state: 'failing'; reason: string } | { state: 'unchecked'; reason: string };

export type VerifierStatus = { ready: true; roster: Roster } | { ready: false; reason: string };

const REASONS: Record<string, string> = {
  malformed: 'malformed signature or key',
  'unknown-signer': 'signer is not in the roster',
  'not-an-auditor': 'the log’s key is not a co-signer',
  'bad-signature': 'signature does not verify',
  'duplicate-signer': 'auditor already counted',
};

// RFC 8032 §7.1 test 1: a known-good signature, so a browser whose WebCrypto lacks Ed25519 (or
// answers wrongly) is caught before its verdicts are shown.
const SELF_TEST = {
  key: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  sig:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555' +
    'fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

async function selfTest(): Promise<string | null> {
  try {
    const key = fromHex(SELF_TEST.key, 32);
    const sig = fromHex(SELF_TEST.sig, 64);
    const good = await verifyStrictAsync(key, new Uint8Array(0), sig);
    const bad = await verifyStrictAsync(key, new Uint8Array([1]), sig);
    return good && !bad ? null : 'this browser’s Ed25519 gave a wrong answer on a test vector';
  } catch (err) {
    console.error('Ed25519 self-test failed', err);
    const secure = globalThis.isSecureContext === false ? ' (WebCrypto needs HTTPS or localhost)' : '';
    return `this browser cannot verify Ed25519: ${errorText(err)}${secure}`;
  }
}

/** Loads the published roster and checks the browser can verify; a missing roster means "unchecked". */
export async function loadVerifier(): Promise<VerifierStatus> {
  const broken = await selfTest();
  if (broken) return { ready: false, reason: broken };
  let json: unknown;
  try {
    json = await getRawJson('/roster');
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { ready: false, reason: 'the node publishes no roster' };
    throw err;
  }
  return { ready: true, roster: Roster.fromJson(json) };
}

export interface CosignerRow {
  signerKey: string;
  name: string | null; // the roster's name when the key is a roster auditor's, else the server's label
  timestamp: bigint;
  check: Check;
}

export interface CosignatureResult {
  rows: CosignerRow[];
  /** Distinct roster auditors with a valid signature, and the roster's threshold (null: unchecked). */
  quorum: { signers: number; threshold: number; reached: boolean } | null;
  /** Problem with the bundle as a whole (wrong epoch or digest, undecodable). */
  bundleProblem?: string;
}

/**
 * Checks a co-signature bundle for (ns, epoch, digest). Each row is checked on its own (so its
 * reason is exact); the quorum comes from checkCosignedEpoch over the whole bundle, which also
 * refuses repeats of one auditor.
 */
export async function checkCosignatures(
  v: VerifierStatus,
  json: CosignaturesJson,
  want: { namespace: string; epoch: bigint; digest: string },
): Promise<CosignatureResult> {
  const unchecked = (reason: string): CosignatureResult => ({
    rows: json.cosignatures.map((s) => ({
      signerKey: s.signer_key,
      name: s.name ?? null,
      timestamp: s.timestamp,
      check: { state: 'unchecked', reason },
    })),
    quorum: null,
  });
  if (!v.ready) return unchecked(v.reason);
  let bundle: CosignedEpoch;
  try {
    bundle = cosignedEpochFromJson(json);
  } catch (err) {
    console.error('undecodable co-signature bundle', err);
    const r = unchecked(`bundle undecodable: ${errorText(err)}`);
    return {
      ...r,
      rows: r.rows.map((row) => ({ ...row, check: { state: 'failing', reason: 'bundle undecodable' } })),
      bundleProblem: errorText(err),
    };
  }
  const mismatch =
    bundle.namespace !== want.namespace
      ? `bundle is for namespace “${bundle.namespace}”`
      : bundle.epoch !== want.epoch
        ? `bundle is for epoch ${bundle.epoch}, not ${want.epoch}`
        : toHex(bundle.digest) !== want.digest.toLowerCase()
          ? 'bundle is for another digest'
          : undefined;
  const roster = v.roster;
  const counted = new Set<string>();
  const rows: CosignerRow[] = [];
  for (const s of bundle.cosignatures) {
    const key = toHex(s.signerKey);
    const rosterName = roster.signerName(bundle.namespace, s.signerKey) ?? null;
    const row = {
      signerKey: key,
      name: rosterName ?? json.cosignatures.find((c) => c.signer_key.toLowerCase() === key)?.name ?? null,
      timestamp: s.timestamp,
    };
    if (mismatch) {
      rows.push({ ...row, check: { state: 'failing', reason: mismatch } });
      continue;
    }
    const one = await checkCosignedEpoch({ ...bundle, cosignatures: [s] }, roster, verifyStrictAsync, 1);
    const rejected = one.rejected[0];
    const signer = one.signers[0];
    if (rejected)
      rows.push({ ...row, check: { state: 'failing', reason: REASONS[rejected.reason] ?? rejected.reason } });
    else if (signer && counted.has(signer.name))
      rows.push({ ...row, check: { state: 'failing', reason: REASONS['duplicate-signer'] as string } });
    else if (signer) {
      counted.add(signer.name);
      rows.push({ ...row, check: { state: 'verified' } });
    } else rows.push({ ...row, check: { state: 'unchecked', reason: 'no verdict' } });
  }
  if (mismatch)
    return { rows, quorum: { signers: 0, threshold: roster.threshold, reached: false }, bundleProblem: mismatch };
  const all = await checkCosignedEpoch(bundle, roster, verifyStrictAsync);
  return { rows, quorum: { signers: all.signers.length, threshold: all.threshold, reached: all.quorum } };
}

export interface ProofResult {
  check: Check;
  /** The node no longer holds the proof (replaced by an equivalent one): the list should be reloaded. */
  gone?: true;
  kind?: string;
  signers?: [string, string];
}

// Proofs are content-addressed and immutable: one check per id per page load.
const proofCache = new Map<string, Promise<ProofResult>>();

/** Fetches the canonical protobuf bytes of a proof and checks them (never the JSON shown). */
export function checkProof(
  v: VerifierStatus,
  id: string,
  want: { namespace: string; epoch: bigint },
): Promise<ProofResult> {
  if (!v.ready) return Promise.resolve({ check: { state: 'unchecked', reason: v.reason } });
  const key = `${id}/${want.namespace}/${want.epoch}`;
  let p = proofCache.get(key);
  if (!p) {
    p = checkProofUncached(v.roster, id, want);
    proofCache.set(key, p);
    // A fetch failure is not a verdict: forget it so the next refresh tries again.
    p.then(
      (r) => {
        if (r.check.state === 'unchecked') proofCache.delete(key);
      },
      (err: unknown) => {
        proofCache.delete(key);
        console.error(`proof ${id}: check failed`, err);
      },
    );
  }
  return p;
}

async function checkProofUncached(
  roster: Roster,
  id: string,
  want: { namespace: string; epoch: bigint },
): Promise<ProofResult> {
  let bytes: Uint8Array;
  try {
    bytes = await getBytes(`/equivocations/${enc(id)}`, 'application/x-protobuf');
  } catch (err) {
    // Nodes keep the smallest proof id per fact (src/store/observation-store.ts), so a listed proof can be
    // replaced before it is fetched: not a verdict, and the next refresh lists its successor.
    if (err instanceof ApiError && err.status === 404) {
      console.warn(`proof ${id} is no longer held by the node (replaced?)`, err);
      return {
        check: {
          state: 'unchecked',
          reason: 'the node no longer holds this proof (replaced by an equivalent one); reloading the list',
        },
        gone: true,
      };
    }
    console.error(`could not fetch proof ${id}`, err);
    return { check: { state: 'unchecked', reason: `could not fetch the proof: ${errorText(err)}` } };
  }
  try {
    const proof = decodeEquivocationProof(bytes);
    if (proofId(proof) !== id) return { check: { state: 'failing', reason: 'the proof’s bytes do not match its id' } };
    if (proof.first.namespace !== want.namespace || proof.first.epoch !== want.epoch) {
      return {
        check: {
          state: 'failing',
          reason: `the proof is about ${proof.first.namespace} epoch ${proof.first.epoch}, not what is listed`,
        },
      };
    }
    const r = await checkEquivocationProof(proof, roster, verifyStrictAsync);
    if (!r.ok) return { check: { state: 'failing', reason: r.message } };
    return { check: { state: 'verified' }, kind: r.kind, signers: r.signers };
  } catch (err) {
    // Bad bytes are a verdict; anything else (e.g. WebCrypto failing) is not.
    console.error(`proof ${id}`, err);
    if (err instanceof DecodeError) return { check: { state: 'failing', reason: errorText(err) } };
    return { check: { state: 'unchecked', reason: `verification error: ${errorText(err)}` } };
  }
}

export interface CheckedEpoch {
  epoch: bigint;
  /** The node's word that the epoch is equivocated (a warning needs no proof). */
  serverEquivocated: boolean;
  incomplete: boolean;
  digests: { digest: string; rows: CosignerRow[]; quorum: CosignatureResult['quorum']; problem?: string }[];
  proofs: { id: string; result: ProofResult }[];
}

/**
 * Checks every signature of one epoch view (GET /namespaces/{ns}/history) digest by digest, as
 * a co-signature bundle each, and every proof listed at it from its protobuf bytes.
 */
export async function checkEpochView(v: VerifierStatus, ns: string, view: EpochViewJson): Promise<CheckedEpoch> {
  const digests = await Promise.all(
    view.digests.map(async (d) => {
      const json: CosignaturesJson = { namespace: ns, epoch: view.epoch, digest: d.digest, cosignatures: d.signers };
      const r = await checkCosignatures(v, json, { namespace: ns, epoch: view.epoch, digest: d.digest });
      return {
        digest: d.digest,
        rows: r.rows,
        quorum: r.quorum,
        ...(r.bundleProblem ? { problem: r.bundleProblem } : {}),
      };
    }),
  );
  const proofs = await Promise.all(
    view.proofs.map(async (id) => ({ id, result: await checkProof(v, id, { namespace: ns, epoch: view.epoch }) })),
  );
  return {
    epoch: view.epoch,
    serverEquivocated: view.equivocated,
    incomplete: view.incomplete === true,
    digests,
    proofs,
  };
}
