import { describe, expect, test } from 'vitest';
import { PeerScore } from '@libp2p/gossipsub/score';
import type { ComponentLogger, Logger } from '@libp2p/interface';
import { PEER_SCORE_THRESHOLDS, peerScoreParams, topicScoreParams } from '../../src/p2p/scoring.js';

// Gossipsub's real score engine, fed the parameters the host uses.
function quietLogger(): ComponentLogger {
  const make = (): Logger => {
    const log = (() => undefined) as unknown as Logger;
    return Object.assign(log, {
      error: () => undefined,
      trace: () => undefined,
      enabled: false,
      newScope: () => make(),
    });
  };
  return { forComponent: () => make() };
}

const TOPIC = '/chorus/1/test/observations/ns';
const PEER = 'peer-a';

function engine(): PeerScore {
  const ps = new PeerScore(peerScoreParams({ topics: [TOPIC] }), null, quietLogger(), { scoreCacheValidityMs: 0 });
  ps.addPeer(PEER);
  return ps;
}

function invalid(ps: PeerScore, n: number): void {
  for (let i = 0; i < n; i++) ps.markInvalidMessageDelivery(PEER, TOPIC);
}

/** One decay step per call: PeerScore decays once per decayInterval (1 s). */
function seconds(ps: PeerScore, s: number): void {
  for (let i = 0; i < s; i++) ps.refreshScores();
}

describe('peer scoring parameters', () => {
  const { gossipThreshold, publishThreshold, graylistThreshold } = PEER_SCORE_THRESHOLDS;

  test('thresholds are ordered as gossipsub requires', () => {
    expect(gossipThreshold).toBeLessThan(0);
    expect(publishThreshold).toBeLessThan(gossipThreshold);
    expect(graylistThreshold).toBeLessThan(publishThreshold);
  });

  test('one invalid message: negative, but the peer still gets gossip and our publishes', () => {
    const ps = engine();
    invalid(ps, 1);
    const s = ps.score(PEER);
    expect(s).toBeLessThan(0);
    expect(s).toBeGreaterThan(gossipThreshold);
  });

  test('two invalid messages still do not cut a peer off', () => {
    const ps = engine();
    invalid(ps, 2);
    expect(ps.score(PEER)).toBeGreaterThanOrEqual(gossipThreshold);
    expect(ps.score(PEER)).toBeGreaterThan(graylistThreshold);
  });

  test('a burst of five invalid messages graylists the peer', () => {
    const ps = engine();
    invalid(ps, 5);
    expect(ps.score(PEER)).toBeLessThan(graylistThreshold);
  });

  test('a single mistake is forgotten within minutes; a flood stays graylisted for minutes', () => {
    const once = engine();
    invalid(once, 1);
    seconds(once, 240);
    expect(once.score(PEER)).toBe(0);

    const flood = engine();
    invalid(flood, 100);
    seconds(flood, 60);
    expect(flood.score(PEER)).toBeLessThan(graylistThreshold);
    seconds(flood, 600);
    expect(flood.score(PEER)).toBeGreaterThan(graylistThreshold);
  });

  test('good behaviour is capped and cannot bank credit that hides a flood', () => {
    const ps = engine();
    for (let i = 0; i < 1000; i++) ps.markFirstMessageDelivery(PEER, TOPIC);
    expect(ps.score(PEER)).toBeLessThanOrEqual(20);
    invalid(ps, 5);
    expect(ps.score(PEER)).toBeLessThan(graylistThreshold);
  });

  test('topics missing from scoreParams.topics are not scored at all (why the host registers every topic)', () => {
    const ps = engine();
    for (let i = 0; i < 100; i++) ps.markInvalidMessageDelivery(PEER, '/unregistered');
    expect(ps.score(PEER)).toBe(0);
  });

  test('topic parameters pass gossipsub validation and penalise invalid messages', () => {
    const p = topicScoreParams();
    expect(p.invalidMessageDeliveriesWeight).toBeLessThan(0);
    expect(p.meshMessageDeliveriesWeight).toBe(0);
  });
});
