// Gossipsub mesh and peer-scoring parameters. Every value is explained in docs/p2p.md; the short
// version: Chorus is a small permissioned network (3–30 roster members, one observation per
// namespace per epoch), so delivery-rate expectations are off, invalid messages are what we punish,
// and the thresholds let a single mistake pass while a flood gets the sender graylisted.
import {
  validatePeerScoreParams,
  validatePeerScoreThresholds,
  validateTopicScoreParams,
  type PeerScoreParams,
  type PeerScoreThresholds,
  type TopicScoreParams,
} from '@libp2p/gossipsub/score';

/** Mesh degree and timing. Gossipsub's defaults; a 3–5 node network simply meshes with everyone. */
export const GOSSIP_MESH = {
  D: 6,
  Dlo: 4,
  Dhi: 12,
  Dlazy: 6,
  Dout: 2,
  heartbeatIntervalMs: 1_000,
  /** Heartbeats a message stays in the cache; must outlast the validation queue (see docs). */
  mcacheLength: 10,
  mcacheGossip: 3,
  /** How long a message id is remembered for de-duplication. */
  seenTTLMs: 120_000,
} as const;

/** Per-message cap (bytes of `data`): observations are ~200 B, proofs ~500 B. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
/** Cap on one gossipsub RPC frame on the wire (it may batch several messages and control data). */
export const MAX_RPC_FRAME_BYTES = 1024 * 1024;

/** Decay and score parameters of one topic. */
export function topicScoreParams(topicWeight = 1): TopicScoreParams {
  const params: TopicScoreParams = {
    topicWeight,
    // P1: up to +10 after an hour in the mesh (quantum is in ms: meshTime is Date.now() based).
    timeInMeshWeight: 10 / 3600,
    timeInMeshQuantum: 1_000,
    timeInMeshCap: 3600,
    // P2: +1 per first delivery, capped at +10, half-life ~6 min (decay is per 1 s interval).
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: 0.998,
    firstMessageDeliveriesCap: 10,
    // P3/P3b off: traffic is one message per namespace per epoch, so any expected delivery rate
    // would punish honest peers during quiet periods.
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 100,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5_000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    // P4: -10 × (invalid count)², counter half-life ~69 s. 1 invalid: -10, 3: -90, 5: -250.
    invalidMessageDeliveriesWeight: -10,
    invalidMessageDeliveriesDecay: 0.99,
  };
  validateTopicScoreParams(params);
  return params;
}

/** Thresholds: 1–2 invalid messages keep a peer fully served; 5 in a short time graylist it. */
export const PEER_SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -40,
  publishThreshold: -80,
  graylistThreshold: -160,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 2,
};
validatePeerScoreThresholds(PEER_SCORE_THRESHOLDS);

/** Loopback is always whitelisted from the IP-colocation penalty: test and bench clusters share it. */
export const DEFAULT_IP_COLOCATION_WHITELIST: readonly string[] = ['127.0.0.1', '::1'];

export interface PeerScoreOptions {
  /** Topics scored from the start; more are added when subscribed (see host.ts). */
  topics?: readonly string[];
  /** Extra IPs exempt from the colocation penalty (e.g. a shared NAT of a known deployment). */
  ipColocationWhitelist?: readonly string[];
}

export function peerScoreParams(options: PeerScoreOptions = {}): PeerScoreParams {
  const topics: Record<string, TopicScoreParams> = {};
  for (const topic of options.topics ?? []) topics[topic] = topicScoreParams();
  const params: PeerScoreParams = {
    topics,
    // Positive topic contributions are capped so good behaviour cannot bank credit for a flood.
    topicScoreCap: 20,
    appSpecificScore: () => 0,
    appSpecificWeight: 0,
    // P6: more than 10 peers from one IP is a Sybil smell; -5 × surplus².
    IPColocationFactorWeight: -5,
    IPColocationFactorThreshold: 10,
    IPColocationFactorWhitelist: new Set([
      ...DEFAULT_IP_COLOCATION_WHITELIST,
      ...(options.ipColocationWhitelist ?? []),
    ]),
    // P7: GRAFT during backoff, broken IWANT promises. A few are tolerated (mcache eviction under
    // load can break a promise honestly); beyond 6, -10 × excess².
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.99,
    decayInterval: 1_000,
    decayToZero: 0.1,
    // Negative scores survive a disconnect for an hour, so reconnecting does not launder them.
    retainScore: 3_600_000,
  };
  validatePeerScoreParams(params);
  return params;
}
