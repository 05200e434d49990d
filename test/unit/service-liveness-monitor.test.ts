// The liveness monitor (issue 13 §7): log-stalled, quorum-missed and auditor-silent, each on an
// injected clock, exactly at its threshold (no alert: the rules are strict) and one ms after.
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/consensus/alerts.js';
import { LivenessMonitor, MAX_TRACKED_EPOCHS, type LivenessSettings } from '../../src/services/liveness-monitor.js';
import { digestOf, signedObservation, testKey, testRoster } from '../support/service-fixtures.js';

const NS = 'live.example';
const OTHER = 'quiet.example';
const logKey = testKey(20);
const roster = testRoster({ ns: NS, auditors: 3, threshold: 2, logKey });
const T0 = 1_000_000n;

/** The one place the monitor is built: settings, a settable clock, and the alerts it raised. */
function makeMonitor(settings: Partial<LivenessSettings>) {
  const clock = { now: T0 };
  const raised: { alert: Alert; key: string }[] = [];
  const monitor = new LivenessMonitor(
    roster,
    { maxEpochIntervalMs: () => undefined, ...settings },
    () => clock.now,
    (alert, key) => raised.push({ alert, key }),
  );
  return { monitor, clock, raised, types: () => raised.map((r) => r.alert.type) };
}
const obs = (signer: number, epoch: bigint, ns = NS) =>
  signedObservation(signer < 0 ? logKey : testKey(signer), ns, epoch, digestOf(Number(epoch % 256n)));

describe('LivenessMonitor: log-stalled', () => {
  const MAX = 60_000n;

  it('a watched namespace that never produces an epoch stalls one ms after the interval, without an epoch field', () => {
    const m = makeMonitor({ maxEpochIntervalMs: (ns) => (ns === NS ? MAX : undefined) });
    m.monitor.watch(NS);
    m.monitor.watch(OTHER); // no interval configured: never checked
    m.clock.now = T0 + MAX;
    m.monitor.check();
    expect(m.raised).toEqual([]);
    m.clock.now = T0 + MAX + 1n;
    m.monitor.check();
    expect(m.raised).toHaveLength(1);
    expect(m.raised[0]?.key).toBe(`log-stalled:${NS}:-1`);
    expect(m.raised[0]?.alert).toMatchObject({
      type: 'log-stalled',
      namespace: NS,
      timestamp: T0 + MAX + 1n,
      last_epoch_seen_at: T0,
    });
    expect(m.raised[0]?.alert).not.toHaveProperty('epoch');
  });

  it('a new epoch restarts the clock; an older or repeated epoch does not; the alert names the last epoch', () => {
    const m = makeMonitor({ maxEpochIntervalMs: () => MAX });
    m.monitor.watch(NS);
    const t1 = T0 + 50_000n;
    m.clock.now = t1;
    m.monitor.onObservation(obs(0, 5n));
    m.clock.now = t1 + 30_000n;
    m.monitor.onObservation(obs(1, 5n)); // same epoch from another auditor
    m.monitor.onObservation(obs(1, 4n)); // an older one
    m.clock.now = t1 + MAX;
    m.monitor.check();
    expect(m.raised).toEqual([]);
    m.clock.now = t1 + MAX + 1n;
    m.monitor.check();
    expect(m.raised.map((r) => r.key)).toEqual([`log-stalled:${NS}:5`]);
    expect(m.raised[0]?.alert).toMatchObject({
      epoch: 5n,
      last_epoch_seen_at: t1,
      reason: 'no new epoch for 60 s (allowed: 60 s)',
    });
  });

  it('watch() after an observation does not move the clock back', () => {
    const m = makeMonitor({ maxEpochIntervalMs: () => MAX });
    m.monitor.onObservation(obs(0, 9n));
    m.clock.now = T0 + 10n;
    m.monitor.watch(NS);
    m.clock.now = T0 + MAX + 1n;
    m.monitor.check();
    expect(m.raised[0]?.alert).toMatchObject({ epoch: 9n, last_epoch_seen_at: T0 });
  });
});

describe('LivenessMonitor: quorum-missed', () => {
  const TIMEOUT = 30_000n;

  it('an epoch waiting since its persisted first-seen time alerts one ms after the timeout, once', () => {
    const m = makeMonitor({ quorumTimeoutMs: TIMEOUT });
    const first = T0 - 10_000n; // first seen before this process started (QuorumTracker.pending)
    m.monitor.onEpochState(NS, 3n, { reached: false, firstSeenMs: first });
    // A later sighting does not move the first-seen time.
    m.monitor.onEpochState(NS, 3n, { reached: false, firstSeenMs: T0 });
    m.clock.now = first + TIMEOUT;
    m.monitor.check();
    expect(m.raised).toEqual([]);
    m.clock.now = first + TIMEOUT + 1n;
    m.monitor.check();
    m.monitor.check();
    expect(m.raised).toHaveLength(1);
    expect(m.raised[0]).toMatchObject({
      key: `quorum-missed:${NS}:3`,
      alert: { type: 'quorum-missed', namespace: NS, epoch: 3n, threshold: 2, timestamp: first + TIMEOUT + 1n },
    });
  });

  it('an epoch that reached its quorum one ms before the deadline is never timed', () => {
    const m = makeMonitor({ quorumTimeoutMs: TIMEOUT });
    m.monitor.onEpochState(NS, 4n, { reached: false, firstSeenMs: T0 });
    m.clock.now = T0 + TIMEOUT - 1n;
    m.monitor.onQuorum(NS, 4n);
    m.monitor.onEpochState(NS, 4n, { reached: false, firstSeenMs: T0 }); // a late, stale "waiting" changes nothing
    m.clock.now = T0 + 10n * TIMEOUT;
    m.monitor.check();
    expect(m.raised).toEqual([]);
  });

  it('without a timeout nothing is timed; a quorum for an unknown epoch is ignored', () => {
    const m = makeMonitor({});
    m.monitor.onEpochState(NS, 4n, { reached: false, firstSeenMs: T0 });
    m.monitor.onQuorum(NS, 99n);
    m.clock.now = T0 + 10n ** 12n;
    m.monitor.check();
    expect(m.raised).toEqual([]);
  });

  it(`keeps at most ${MAX_TRACKED_EPOCHS} epochs, dropping the oldest tracked`, () => {
    const m = makeMonitor({ quorumTimeoutMs: TIMEOUT });
    for (let e = 1n; e <= BigInt(MAX_TRACKED_EPOCHS) + 1n; e++)
      m.monitor.onEpochState(NS, e, { reached: false, firstSeenMs: T0 });
    m.clock.now = T0 + TIMEOUT + 1n;
    m.monitor.check();
    expect(m.raised).toHaveLength(MAX_TRACKED_EPOCHS);
    expect(m.raised.some((r) => r.alert.epoch === 1n)).toBe(false);
    expect(m.raised.some((r) => r.alert.epoch === BigInt(MAX_TRACKED_EPOCHS) + 1n)).toBe(true);
  });
});

describe('LivenessMonitor: auditor-silent', () => {
  const SILENCE = 120_000n;

  it('an auditor not heard while epochs kept coming alerts one ms after the silence limit', () => {
    const m = makeMonitor({ auditorSilenceMs: SILENCE });
    m.monitor.onObservation(obs(0, 1n)); // org1 heard at T0
    m.monitor.onObservation(obs(1, 1n)); // org2 heard at T0
    m.clock.now = T0 + 1000n;
    m.monitor.onObservation(obs(1, 2n)); // org2 keeps going; epoch 2 arrives after org1's last word
    m.clock.now = T0 + SILENCE;
    m.monitor.check();
    expect(m.raised).toEqual([]);
    m.clock.now = T0 + SILENCE + 1n;
    m.monitor.check();
    expect(m.raised.map((r) => r.key)).toEqual([`auditor-silent:${NS}:org1:${T0}`]);
    expect(m.raised[0]?.alert).toMatchObject({
      type: 'auditor-silent',
      namespace: NS,
      auditor: 'org1',
      last_heard_at: T0,
      timestamp: T0 + SILENCE + 1n,
    });
  });

  it('when the log itself stalls, nobody is silent; the log key is never an auditor', () => {
    const m = makeMonitor({ auditorSilenceMs: SILENCE });
    m.monitor.onObservation(obs(0, 1n));
    m.monitor.onObservation(obs(-1, 1n));
    m.clock.now = T0 + 100n * SILENCE;
    m.monitor.check();
    expect(m.raised).toEqual([]);
    // Only the log signs the next epoch: org1 is then silent, and no alert names the log.
    m.monitor.onObservation(obs(-1, 2n));
    m.monitor.check();
    expect(m.raised.map((r) => r.alert.type === 'auditor-silent' && r.alert.auditor)).toEqual(['org1']);
  });

  it('an epoch arriving in the same ms the auditor was last heard is no sign of silence; one ms later it is', () => {
    const m = makeMonitor({ auditorSilenceMs: SILENCE });
    m.monitor.onObservation(obs(0, 1n)); // org1 heard at T0
    m.monitor.onObservation(obs(1, 2n)); // epoch 2 at T0 too
    m.clock.now = T0 + 10n * SILENCE;
    m.monitor.check();
    expect(m.raised).toEqual([]);
    m.clock.now = T0 + 1n;
    m.monitor.onObservation(obs(1, 3n)); // epoch 3 one ms after org1's last word
    m.clock.now = T0 + 10n * SILENCE;
    m.monitor.check();
    expect(m.raised.map((r) => r.key)).toEqual([`auditor-silent:${NS}:org1:${T0}`]);
  });
});

describe('auditor-silent for an auditor never heard since the start', () => {
  it('org3 never signs while org1 and org2 sign epoch after epoch: org3 is silent', () => {
    const clock = { now: 1_000_000n };
    const raised: Alert[] = [];
    const m = new LivenessMonitor(
      roster,
      { maxEpochIntervalMs: () => undefined, auditorSilenceMs: 60_000n },
      () => clock.now,
      (a) => raised.push(a),
    );
    m.watch(NS);
    for (let e = 1n; e <= 10n; e++) {
      clock.now += 30_000n;
      for (const s of [0, 1]) m.onObservation(signedObservation(testKey(s), NS, e, digestOf(Number(e))));
      m.check();
    }
    const silent = raised.filter((a) => a.type === 'auditor-silent');
    expect([...new Set(silent.map((a) => (a as unknown as { auditor: string }).auditor))]).toEqual(['org3']);
    expect(silent[0]?.reason).toMatch(/since this node started/);
  });
});
