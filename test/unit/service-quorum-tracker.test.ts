// The quorum tracker (issue 13 §7) on a real LevelDB in a temp dir: first-seen times and quorum
// marks persist across a reopen, the quorum is announced exactly once, conflicting digests never
// reach a quorum, and pending() resumes the liveness rules with exact u64 epochs.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Observation } from '../../src/consensus/observation.js';
import { QuorumTracker } from '../../src/services/quorum-tracker.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { toHex } from '../../src/util/bytes.js';
import { U64_MAX } from '../../src/util/u64.js';
import { digestOf, signedObservation, testKey, testRoster } from '../support/service-fixtures.js';
import { tempDir } from '../support/tmp.js';

const NS = 'quorum.example';
const logKey = testKey(20);
const roster = testRoster({ ns: NS, auditors: 4, threshold: 3, logKey });
const D = digestOf(0x42);

/** The one place the tracker is built: over the database, as the node wires it. */
async function makeTracker(db: RootDb) {
  const observations = new ObservationStore(db);
  await observations.ready();
  const tracker = new QuorumTracker(db, roster, observations);
  /** Stores the observation (as the node does first), then tells the tracker. */
  const arrive = async (o: Observation, nowMs: bigint) => {
    await observations.storeObservation(o);
    return tracker.onObservation(o, nowMs);
  };
  return { tracker, arrive };
}
const obs = (signer: number, epoch: bigint, digest = D) =>
  signedObservation(signer < 0 ? logKey : testKey(signer), NS, epoch, digest);

describe('QuorumTracker on a real LevelDB', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  const reopen = async () => {
    await db.close();
    db = await openDatabase(join(tmp.dir, 'db'));
    return makeTracker(db);
  };
  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
  });
  afterEach(async () => {
    if (db.status === 'open') await db.close();
    tmp.cleanup();
  });

  it('happy path: waiting below the threshold, announced once when it is met, reached afterwards', async () => {
    const { tracker, arrive } = await makeTracker(db);
    expect(await arrive(obs(0, 5n), 1000n)).toEqual({ namespace: NS, epoch: 5n, reached: false, firstSeenMs: 1000n });
    expect(await arrive(obs(1, 5n), 2000n)).toEqual({ namespace: NS, epoch: 5n, reached: false, firstSeenMs: 1000n });
    expect(await tracker.reached(NS, 5n)).toBeUndefined();
    const third = await arrive(obs(2, 5n), 3000n);
    expect(third).toEqual({
      namespace: NS,
      epoch: 5n,
      reached: true,
      announcement: { namespace: NS, epoch: 5n, digest: toHex(D), signers: ['org1', 'org2', 'org3'], threshold: 3 },
    });
    expect(await arrive(obs(3, 5n), 4000n)).toEqual({ namespace: NS, epoch: 5n, reached: true });
    expect(await tracker.reached(NS, 5n)).toBe(toHex(D));
    expect(await tracker.pending(10)).toEqual([]);
  });

  it('the log key and repeats never count towards the threshold', async () => {
    const { arrive } = await makeTracker(db);
    await arrive(obs(-1, 1n), 10n);
    await arrive(obs(0, 1n), 11n);
    await arrive(signedObservation(testKey(0), NS, 1n, D, 9999n), 12n);
    expect(await arrive(obs(1, 1n), 13n)).toMatchObject({ reached: false, firstSeenMs: 10n });
  });

  it('first-seen time and quorum marks survive a reopen', async () => {
    let t = await makeTracker(db);
    await t.arrive(obs(0, 8n), 5000n);
    await t.arrive(obs(0, 9n), 6000n);
    for (const s of [0, 1, 2]) await t.arrive(obs(s, 10n), 7000n);
    t = await reopen();
    expect(await t.tracker.reached(NS, 10n)).toBe(toHex(D));
    expect(await t.tracker.pending(10)).toEqual([
      { namespace: NS, epoch: 9n, firstSeenMs: 6000n },
      { namespace: NS, epoch: 8n, firstSeenMs: 5000n },
    ]);
    // A second auditor after the restart: still timed from the first sighting before it.
    expect(await t.arrive(obs(1, 8n), 900_000n)).toEqual({
      namespace: NS,
      epoch: 8n,
      reached: false,
      firstSeenMs: 5000n,
    });
    // A lagging auditor on the reached epoch: reached, no second announcement.
    expect(await t.arrive(obs(3, 10n), 900_000n)).toEqual({ namespace: NS, epoch: 10n, reached: true });
    // Epoch 8 reaches its quorum: its first-seen record goes in the same batch as the mark.
    expect(await t.arrive(obs(2, 8n), 900_001n)).toMatchObject({ reached: true, announcement: { epoch: 8n } });
    t = await reopen();
    expect(await t.tracker.pending(10)).toEqual([{ namespace: NS, epoch: 9n, firstSeenMs: 6000n }]);
  });

  it('two digests for one epoch: no quorum, however many auditors sign the first', async () => {
    const { tracker, arrive } = await makeTracker(db);
    await arrive(obs(3, 2n, digestOf(1)), 100n);
    for (const s of [0, 1, 2])
      expect(await arrive(obs(s, 2n), 200n)).toMatchObject({ reached: false, firstSeenMs: 100n });
    expect(await tracker.reached(NS, 2n)).toBeUndefined();
  });

  it('concurrent arrivals announce the quorum exactly once', async () => {
    const { arrive } = await makeTracker(db);
    const states = await Promise.all([0, 1, 2, 3].map((s) => arrive(obs(s, 3n), 50n)));
    const announced = states.filter((s) => s.reached && s.announcement !== undefined);
    expect(announced).toHaveLength(1);
  });

  it('pending(): newest first, at most `limit`, epochs 0 and u64 max exact', async () => {
    const { tracker, arrive } = await makeTracker(db);
    for (const e of [0n, 7n, 10n, U64_MAX]) await arrive(obs(0, e), e === U64_MAX ? 2n ** 63n : 1n);
    expect(await tracker.pending(3)).toEqual([
      { namespace: NS, epoch: U64_MAX, firstSeenMs: 2n ** 63n },
      { namespace: NS, epoch: 10n, firstSeenMs: 1n },
      { namespace: NS, epoch: 7n, firstSeenMs: 1n },
    ]);
    expect((await tracker.pending(10)).at(-1)).toEqual({ namespace: NS, epoch: 0n, firstSeenMs: 1n });
  });
});
