// Issue 12 §4: quorum state across a restart, on a real LevelDB. An epoch that reached its quorum
// before the restart raises no quorum-missed when a lagging auditor's observation of it arrives
// afterwards; an epoch still waiting is timed from when it was first seen, not from the restart.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/consensus/alerts.js';
import type { Observation } from '../../src/consensus/observation.js';
import { Roster } from '../../src/consensus/roster.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { LivenessMonitor } from '../../src/services/liveness-monitor.js';
import { QuorumTracker } from '../../src/services/quorum-tracker.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { toHex } from '../../src/util/bytes.js';
import { tempDir } from '../support/tmp.js';

const NS = 'q.example';
const keys = [1, 2, 3, 4].map((i) => signingKeyFromSeed(new Uint8Array(32).fill(i)));
const roster = Roster.fromJson({
  network: 'q',
  threshold: 3n,
  auditors: keys.map((k, i) => ({ name: `org${i + 1}`, public_key: toHex(k.publicKey) })),
  namespaces: [{ name: NS }],
});
const TIMEOUT = 60_000n;
const observe = (signer: number, epoch: bigint): Observation => {
  const key = keys[signer]!;
  const m = { ciphersuite: 1, namespace: NS, timestamp: 1000n, epoch, digest: new Uint8Array(32).fill(Number(epoch)) };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
};

/** One node "process": tracker and liveness over the database, wired as node.ts wires them. */
async function boot(db: RootDb, clock: { now: bigint }) {
  const observations = new ObservationStore(db);
  await observations.ready();
  const quorum = new QuorumTracker(db, roster, observations);
  const raised: Alert[] = [];
  const liveness = new LivenessMonitor(
    roster,
    { maxEpochIntervalMs: () => undefined, quorumTimeoutMs: TIMEOUT },
    () => clock.now,
    (a) => raised.push(a),
  );
  for (const p of await quorum.pending(2048))
    liveness.onEpochState(p.namespace, p.epoch, { reached: false, firstSeenMs: p.firstSeenMs });
  const arrive = async (o: Observation) => {
    if (!(await observations.storeObservation(o)).stored) return undefined;
    liveness.onObservation(o);
    const state = await quorum.onObservation(o, clock.now);
    liveness.onEpochState(state.namespace, state.epoch, state);
    return state;
  };
  return { arrive, liveness, raised, quorum };
}

describe('quorum state across a restart', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
  });
  afterEach(async () => {
    await db.close();
    tmp.cleanup();
  });

  it('announces a quorum once, then a lagging auditor after a restart raises no quorum-missed for epochs that reached it', async () => {
    const clock = { now: 1_000_000n };
    const first = await boot(db, clock);
    for (let e = 1n; e <= 5n; e++) {
      for (const s of [0, 1]) expect(await first.arrive(observe(s, e))).toMatchObject({ reached: false });
      clock.now += 10n;
      const third = await first.arrive(observe(2, e));
      expect(third).toMatchObject({
        reached: true,
        announcement: { epoch: e, signers: ['org1', 'org2', 'org3'], threshold: 3 },
      });
    }
    await db.close();

    db = await openDatabase(join(tmp.dir, 'db'));
    clock.now += 10n * TIMEOUT;
    const second = await boot(db, clock);
    // The lagging org4 catches up on all five epochs after the restart.
    for (let e = 1n; e <= 5n; e++)
      expect(await second.arrive(observe(3, e))).toEqual({ namespace: NS, epoch: e, reached: true });
    clock.now += 2n * TIMEOUT;
    second.liveness.check();
    expect(second.raised.filter((a) => a.type === 'quorum-missed')).toEqual([]);
  });

  it('an epoch still short of its quorum is timed from its first sighting before the restart', async () => {
    const clock = { now: 5_000_000n };
    const first = await boot(db, clock);
    await first.arrive(observe(0, 9n));
    clock.now += TIMEOUT / 2n;
    await db.close();

    db = await openDatabase(join(tmp.dir, 'db'));
    const second = await boot(db, clock);
    expect(await second.quorum.pending(10)).toEqual([{ namespace: NS, epoch: 9n, firstSeenMs: 5_000_000n }]);
    clock.now += TIMEOUT / 2n + 1n; // the timeout has passed since the first sighting, not since the restart
    second.liveness.check();
    expect(second.raised).toMatchObject([{ type: 'quorum-missed', namespace: NS, epoch: 9n }]);
    // Reaching the quorum later drops the first-seen time in the same batch as the marker.
    await second.arrive(observe(1, 9n));
    expect(await second.arrive(observe(2, 9n))).toMatchObject({ reached: true, announcement: { epoch: 9n } });
    expect(await second.quorum.pending(10)).toEqual([]);
    expect(await second.quorum.reached(NS, 9n)).toBe(toHex(new Uint8Array(32).fill(9)));
  });
});
