// The kinds of gossip topic (docs/p2p.md, "Topic kinds"): per kind its topic name, size bound,
// codec, validator (a pure function of the message, injected facts and a signature checker,
// returning an explicit outcome), what is published on it and how it is synced. The node
// (src/services/network-service.ts) and the monitor (src/monitor/monitor.ts) both validate through
// this table, so they cannot drift apart; adding a topic is an entry here plus the kind's own module.
import {
  ALERT_MAX_AGE_MS,
  checkSignedAlert,
  decodeSignedAlert,
  encodeSignedAlert,
  MAX_ALERT_BYTES,
  type Alert,
  type SignedAlert,
} from '../consensus/alerts.js';
import {
  checkEquivocationProof,
  decodeEquivocationProof,
  encodeEquivocationProof,
  MAX_PROOF_BYTES,
  type EquivocationKind,
  type EquivocationProof,
  type SignatureVerifier,
} from '../consensus/equivocation.js';
import { decodeObservation, encodeObservation, MAX_OBSERVATION_BYTES } from '../consensus/observation.js';
import type { Observation } from '../consensus/observation.js';
import { judgeObservation, type ObservationFacts, type Verdict } from '../consensus/observation-rules.js';
import type { Roster } from '../consensus/roster.js';
import {
  decodeCheckpointNote,
  encodeCheckpointNote,
  judgeCheckpointNote,
  MAX_CHECKPOINT_NOTE_BYTES,
  type CheckedCheckpoint,
  type CheckpointFacts,
  type CheckpointNote,
  type CheckpointRefusal,
} from '../consensus/checkpoint-rules.js';
import {
  checkCheckpointEquivocationProof,
  decodeCheckpointProof,
  encodeCheckpointProof,
  MAX_CHECKPOINT_PROOF_BYTES,
  type CheckpointEquivocationProof,
  type CheckpointProofCheck,
} from '../consensus/checkpoint-equivocation.js';
import {
  alertsTopic,
  checkpointEquivocationsTopic,
  checkpointsTopic,
  equivocationsTopic,
  observationsTopic,
} from '../wire/topics.js';
import type { GossipCodec, Judged } from './outcome.js';

/** How a kind's past messages reach a node that missed them (docs/p2p.md, "Sync protocol"). */
export type SyncMethod = 'arrival' | 'proofs' | 'checkpoints' | 'none';

export interface TopicKind<M, F, A, Refusal = { outcome: 'ignore' | 'reject'; reason: string }> {
  readonly name: string;
  /** One topic per network, or one per audited namespace. */
  readonly scope: 'network' | 'namespace';
  /** The topic's name; `namespace` is used by namespace-scoped kinds only. */
  topic(network: string, namespace?: string): string;
  /** Messages over this many bytes are dropped before decoding. */
  readonly maxBytes: number;
  readonly codec: GossipCodec<M>;
  validate(message: M, facts: F): Promise<Judged<A, Refusal>>;
  /** What the node publishes on it (documentation, shown in docs/p2p.md). */
  readonly publishes: string;
  readonly sync: SyncMethod;
}

/** Facts an equivocation proof is judged with. */
export interface ProofFacts {
  roster: Roster;
  /** A proof of a namespace we know nothing of is ignored: nobody there to convict. */
  knownNamespace: (namespace: string) => boolean;
  /** Whether this very proof was verified and stored before (every sync offers it again). */
  alreadyStored: boolean;
  verify: SignatureVerifier;
}

export interface CheckedProof {
  proof: EquivocationProof;
  kind: EquivocationKind;
  signers: [string, string];
}

/** Facts an alert is judged with. */
export interface AlertFacts {
  roster: Roster;
  nowMs: bigint;
  maxFutureMs: bigint;
  verify: SignatureVerifier;
}

export interface CheckedAlert {
  alert: Alert;
  raisedBy: string;
}

function namespaceOf(namespace: string | undefined): string {
  if (namespace === undefined) throw new TypeError('an observations topic needs a namespace');
  return namespace;
}

type ObservationRefusal = Exclude<Verdict, { outcome: 'accept' }>;

const observations: TopicKind<Observation, ObservationFacts, Observation, ObservationRefusal> = {
  name: 'observations',
  scope: 'namespace',
  topic: (network, namespace) => observationsTopic(network, namespaceOf(namespace)),
  maxBytes: MAX_OBSERVATION_BYTES,
  codec: { what: 'observation', decode: decodeObservation, encode: encodeObservation },
  async validate(o, facts) {
    const v = await judgeObservation(o, facts);
    return v.outcome === 'accept' ? { outcome: 'accept', reason: 'valid', value: o } : v;
  },
  publishes: 'our own signed observations once stored, and observations imported from Plexi auditors',
  sync: 'arrival',
};

/** Slashing-style outcomes: ignore a fact already known, reject anything that proves nothing. */
const equivocations: TopicKind<EquivocationProof, ProofFacts, CheckedProof> = {
  name: 'equivocations',
  scope: 'network',
  topic: (network) => equivocationsTopic(network),
  maxBytes: MAX_PROOF_BYTES,
  codec: { what: 'equivocation proof', decode: decodeEquivocationProof, encode: encodeEquivocationProof },
  async validate(proof, facts) {
    if (!facts.knownNamespace(proof.first.namespace)) return { outcome: 'ignore', reason: 'unknown-namespace' };
    if (facts.alreadyStored) return { outcome: 'ignore', reason: 'duplicate' };
    const check = await checkEquivocationProof(proof, facts.roster, facts.verify);
    if (!check.ok) return { outcome: 'reject', reason: check.reason };
    return { outcome: 'accept', reason: 'valid', value: { proof, kind: check.kind, signers: check.signers } };
  },
  publishes: 'proofs this node built, or that replaced a larger proof of the same fact',
  sync: 'proofs',
};

const alerts: TopicKind<SignedAlert, AlertFacts, CheckedAlert> = {
  name: 'alerts',
  scope: 'network',
  topic: (network) => alertsTopic(network),
  maxBytes: MAX_ALERT_BYTES,
  codec: { what: 'alert', decode: decodeSignedAlert, encode: encodeSignedAlert },
  async validate(signed, facts) {
    const f = { nowMs: facts.nowMs, maxFutureMs: facts.maxFutureMs, maxAgeMs: ALERT_MAX_AGE_MS };
    const check = await checkSignedAlert(signed, facts.roster, facts.verify, f);
    if (!check.ok) return { outcome: check.outcome, reason: check.reason };
    return { outcome: 'accept', reason: 'valid', value: { alert: check.alert, raisedBy: check.raisedBy } };
  },
  publishes: 'alerts this node raised (not equivocations: their proofs travel on their own topic)',
  sync: 'none',
};

/**
 * Cosigned checkpoints (docs/c2sp.md, "Checkpoints in the network"): a signed note with at least one
 * roster witness cosignature (and a log signature when the origin has log keys). A note adding no
 * signature the node holds is ignored, so gossipsub forwards only notes that carry something new.
 */
const checkpoints: TopicKind<CheckpointNote, CheckpointFacts, CheckedCheckpoint, CheckpointRefusal> = {
  name: 'checkpoints',
  scope: 'network',
  topic: (network) => checkpointsTopic(network),
  maxBytes: MAX_CHECKPOINT_NOTE_BYTES,
  codec: { what: 'checkpoint note', decode: decodeCheckpointNote, encode: encodeCheckpointNote },
  async validate(cn, facts) {
    return judgeCheckpointNote(cn, facts);
  },
  publishes: 'its own cosignatures (with the log signatures it holds), and signatures it learnt outside gossip',
  sync: 'checkpoints',
};

/** Facts a checkpoint equivocation proof is judged with. */
export interface CheckpointProofFacts {
  roster: Roster;
  /** Whether this very proof was verified and stored before. */
  alreadyStored: boolean;
}

export interface CheckedCheckpointProof {
  proof: CheckpointEquivocationProof;
  check: Extract<CheckpointProofCheck, { ok: true }>;
}

/** Like `equivocations`: ignore a fact already known or an unknown origin, reject what proves nothing. */
const checkpointEquivocations: TopicKind<CheckpointEquivocationProof, CheckpointProofFacts, CheckedCheckpointProof> = {
  name: 'checkpoint-equivocations',
  scope: 'network',
  topic: (network) => checkpointEquivocationsTopic(network),
  maxBytes: MAX_CHECKPOINT_PROOF_BYTES,
  codec: { what: 'checkpoint equivocation proof', decode: decodeCheckpointProof, encode: encodeCheckpointProof },
  async validate(proof, facts) {
    if (facts.alreadyStored) return { outcome: 'ignore', reason: 'duplicate' };
    const check = checkCheckpointEquivocationProof(proof, facts.roster);
    if (check.ok) return { outcome: 'accept', reason: 'valid', value: { proof, check } };
    if (check.reason === 'unknown-origin') return { outcome: 'ignore', reason: 'unknown-origin' };
    return { outcome: 'reject', reason: check.reason };
  },
  publishes: 'checkpoint equivocation proofs this node built, or that replaced a larger proof of the same fact',
  sync: 'none',
};

/** Every kind of gossip topic. */
export const TOPIC_KINDS = { observations, equivocations, alerts, checkpoints, checkpointEquivocations } as const;

export type TopicKindName = keyof typeof TOPIC_KINDS;
