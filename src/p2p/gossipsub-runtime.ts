// @libp2p/gossipsub 17 exports a `GossipSub` interface that omits methods the implementation has
// and that async validation and scoring need. Declare them here, typed from the source of
// gossipsub.ts (17.1.1), instead of casting to `any`.
import type { GossipSub, TopicValidatorResult } from '@libp2p/gossipsub';
import type { PeerScoreParams, PeerScoreStatsDump } from '@libp2p/gossipsub/score';
import { ChorusError } from '../util/errors.js';

export interface GossipSubRuntime extends GossipSub {
  /** Required with `asyncValidation: true`: forwards on accept, applies P4 on reject. */
  reportMessageValidationResult(msgId: string, propagationSource: string, acceptance: TopicValidatorResult): void;
  getScore(peerId: string): number;
  /**
   * Asked once per incoming RPC, before any of it is handled: false drops the whole RPC unread
   * (gossipsub's graylist check). The host wraps it to refuse peers over their rate.
   */
  acceptFrom(peerId: string): boolean;
  getMeshPeers(topic: string): string[];
  dumpPeerScoreStats(): PeerScoreStatsDump;
  /**
   * The live PeerScore. Its `params.topics` is the map the score function reads on every call;
   * topics subscribed after construction get their parameters added there (see host.ts).
   */
  readonly score: {
    readonly params: PeerScoreParams;
    /** Counts one invalid message (P4) on `topic` against `from`, as a rejected delivery does. */
    rejectInvalidMessage(from: string, topic: string): void;
  };
  /**
   * The live allow-list built from the `allowedTopics` option (a copy of it): gossipsub drops
   * subscriptions and messages of any other topic unread. The host adds topics as it subscribes.
   */
  readonly allowedTopics: Set<string> | null;
  /**
   * Message ids remembered for de-duplication (seenTTL). `entries` is its backing map, keyed by
   * message id: the host deletes an id it dropped unvalidated (see host.ts, forgetDropped).
   */
  readonly seenCache: { readonly size: number; readonly entries: Map<string, unknown> };
  /** Messages kept for forwarding and IWANT answers (mcacheLength heartbeats). */
  readonly mcache: { readonly size: number };
}

export function asRuntime(pubsub: GossipSub): GossipSubRuntime {
  const rt = pubsub as GossipSubRuntime;
  // Fail at start-up, not at the first message, if a gossipsub upgrade renamed these.
  for (const m of [
    'reportMessageValidationResult',
    'getScore',
    'getMeshPeers',
    'dumpPeerScoreStats',
    'acceptFrom',
  ] as const) {
    if (typeof rt[m] !== 'function')
      throw new ChorusError('p2p-incompatible', `@libp2p/gossipsub has no ${m}(); check the version`);
  }
  if (typeof rt.score?.params?.topics !== 'object') {
    throw new ChorusError('p2p-incompatible', '@libp2p/gossipsub has no score.params.topics; check the version');
  }
  if (typeof rt.score.rejectInvalidMessage !== 'function') {
    throw new ChorusError(
      'p2p-incompatible',
      '@libp2p/gossipsub has no score.rejectInvalidMessage(); check the version',
    );
  }
  if (
    typeof rt.seenCache?.size !== 'number' ||
    !(rt.seenCache.entries instanceof Map) ||
    typeof rt.mcache?.size !== 'number'
  ) {
    throw new ChorusError('p2p-incompatible', '@libp2p/gossipsub has no seenCache/mcache sizes; check the version');
  }
  if (!(rt.allowedTopics instanceof Set)) {
    throw new ChorusError('p2p-incompatible', '@libp2p/gossipsub keeps no allowedTopics set; check the version');
  }
  return rt;
}
