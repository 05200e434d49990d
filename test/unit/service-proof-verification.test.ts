// The proof verification service (issue 13 §7; class ProofVerificationService): real LevelDB, a real AKD
// verify pool and a `file://` proof directory holding a synthetic log. A verified proof is
// recorded and kept; an invalid one is an alert and evidence, judged once; a missing one is
// retried with backoff and withheld, never an alert.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { akdFormat } from '../../src/formats/akd/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openProofDirectory } from '../../src/services/proof-directory.js';
import { DOWNLOAD_RESERVATION_BYTES, MemoryBudget } from '../../src/services/memory-budget.js';
import { ProofVerificationService, type ProofVerificationOptions } from '../../src/services/proof-verification.js';
import type { VerificationRecord } from '../../src/store/verification-store.js';
import { toHex } from '../../src/util/bytes.js';
import { waitFor } from '../support/network.js';
import { openRig, RIG_NS, type Rig } from '../support/validation-rig.js';

const NS = RIG_NS;

/** The one place the service is built (a renamed class or moved option is a one-place fix). */
function makeValidation(rig: Rig, extra: Partial<ProofVerificationOptions> & { source?: 'push' | 'directory' } = {}) {
  const verified: VerificationRecord[] = [];
  const downloaded: number[] = [];
  const { source, ...rest } = extra;
  const service = new ProofVerificationService({
    signing: rig.signing,
    store: rig.verifications,
    directories: new Map([
      [
        NS,
        { dir: rig.proofDirectory, config: rig.nsConfig(source ?? 'push'), format: akdFormat, verifier: rig.verifier },
      ],
    ]),
    logger: rig.logger,
    now: () => rig.clock.now,
    raiseAlert: async (alert, key) => void rig.alerts.push({ alert, key }),
    onVerified: (r) => verified.push(r),
    onDownloaded: (_ns, bytes) => downloaded.push(bytes),
    proofs: rig.proofs,
    retention: { maxEpochs: 0, maxBytes: 0, maxAgeMs: 0 },
    retry: { initialMs: 20, maxMs: 100 },
    ...rest,
  });
  return { service, verified, downloaded };
}

describe('ProofVerificationService', () => {
  let rig: Rig;
  let v: ReturnType<typeof makeValidation>;
  const transition = (epoch: bigint) => {
    const e = rig.bucket.entry(epoch);
    return { namespace: NS, epoch, previous: e.previous, current: e.current };
  };
  const incoming = () => readdirSync(join(rig.tmp, 'proofs', 'incoming'));
  beforeEach(async () => {
    rig = await openRig({ epochs: 5, seed: 'svc-validation' });
    v = makeValidation(rig);
  }, 120_000);
  afterEach(async () => {
    v.service.stop();
    await rig.close();
  });

  it('happy path: a valid proof is verified, recorded with the injected clock, kept and reported', async () => {
    const e = rig.bucket.entry(1n);
    const out = await v.service.verifyTransition(transition(1n));
    expect(out.kind).toBe('verified');
    const record = out.kind === 'verified' ? out.record : undefined;
    expect(record).toMatchObject({
      namespace: NS,
      epoch: 1n,
      blobName: e.blobName,
      ok: true,
      timestamp: rig.clock.now,
      startHash: toHex(e.previous),
      endHash: toHex(e.current),
    });
    expect(record?.failure).toBeUndefined();
    expect(await rig.verifications.result(NS, 1n)).toEqual(record);
    expect(v.verified).toEqual([record]);
    expect(v.downloaded).toEqual([rig.bucket.log.epochs[0]?.bytes]);
    expect((await rig.proofs.file(e.blobName))?.proof).toMatchObject({ evidence: false, epoch: 1n });
    expect(rig.alerts).toEqual([]);
    expect(incoming()).toEqual([]);
  });

  it('an invalid proof is an alert naming the blob, kept as evidence, and judged only once', async () => {
    const e = rig.bucket.entry(2n);
    rig.bucket.corrupt(2n);
    const out = await v.service.verifyTransition(transition(2n));
    expect(out.kind).toBe('failed');
    expect(rig.alerts).toHaveLength(1);
    expect(rig.alerts[0]?.key).toBe(`validation-failed:${NS}:${e.blobName}`);
    expect(rig.alerts[0]?.alert).toMatchObject({
      type: 'validation-failed',
      namespace: NS,
      epoch: 2n,
      blob_name: e.blobName,
      timestamp: rig.clock.now,
    });
    expect((await rig.proofs.file(e.blobName))?.proof.evidence).toBe(true);
    expect((await rig.verifications.result(NS, 2n))?.ok).toBe(false);
    // Asked again (e.g. a retry): the stored verdict, no second alert, no second download.
    const again = await v.service.verifyTransition(transition(2n));
    expect(again.kind).toBe('failed');
    expect(rig.alerts).toHaveLength(1);
    expect(v.downloaded).toHaveLength(1);
  });

  it('a download waits while the memory budget is taken, then the epoch verifies and the budget is free', async () => {
    const budget = new MemoryBudget(DOWNLOAD_RESERVATION_BYTES);
    v.service.stop();
    v = makeValidation(rig, { budget });
    const held = await budget.reserve(1); // another namespace's job holds part of the budget
    let done = false;
    const out = v.service.verifyTransition(transition(1n)).then((o) => {
      done = true;
      return o;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    expect(v.downloaded).toEqual([]);
    expect(budget.state()).toMatchObject({ running: 1, waiting: 1 });
    held.release();
    expect((await out).kind).toBe('verified');
    expect(v.downloaded).toHaveLength(1);
    expect(budget.state()).toEqual({ capacity: DOWNLOAD_RESERVATION_BYTES, inUse: 0, running: 0, waiting: 0 });
  });

  it('a missing proof is "missing": no record, no alert, no file left behind', async () => {
    rig.bucket.hide(3n);
    expect(await v.service.verifyTransition(transition(3n))).toEqual({ kind: 'missing' });
    expect(await rig.verifications.result(NS, 3n)).toBeUndefined();
    expect(rig.alerts).toEqual([]);
    expect(incoming()).toEqual([]);
  });

  it('a prefetched download of another blob is discarded and the right blob fetched', async () => {
    const wrong = await v.service.download(NS, rig.bucket.entry(2n).blobName);
    expect(wrong).toBeDefined();
    const out = await v.service.verifyTransition(transition(1n), wrong);
    expect(out.kind).toBe('verified');
    expect(incoming()).toEqual([]);
  });

  it('enqueue: a missing proof is retried with doubling backoff up to the cap, then verified once published', async () => {
    for (const e of [0n, 1n, 2n, 3n]) await rig.signEpoch(e);
    rig.bucket.hide(3n);
    v.service.enqueue(NS, 3n);
    const retries = () => rig.logs.filter((l) => l.event === 'validation-retry').map((l) => l.delay);
    await waitFor('five retries', async () => retries().length >= 5, 10_000);
    expect(retries().slice(0, 5)).toEqual([20, 40, 80, 100, 100]);
    expect(await rig.verifications.result(NS, 3n)).toBeUndefined();
    expect(rig.alerts).toEqual([]); // "could not check" is withheld, never an accusation
    rig.bucket.restore(3n);
    await waitFor('epoch 3 verified', async () => (await rig.verifications.result(NS, 3n))?.ok === true, 10_000);
    expect(rig.alerts).toEqual([]);
  });

  it('enqueue: a blob the directory refuses to serve (over the size limit) is logged and retried, never alerted', async () => {
    for (const e of [0n, 1n]) await rig.signEpoch(e);
    const tiny = openProofDirectory(rig.bucket.url, undefined, { maxBlobBytes: 16 });
    v = makeValidation(rig, {
      directories: new Map([
        [NS, { dir: tiny, config: rig.nsConfig('push'), format: akdFormat, verifier: rig.verifier }],
      ]),
    });
    v.service.enqueue(NS, 1n);
    await waitFor(
      'two retries',
      async () => rig.logs.filter((l) => l.event === 'validation-retry').length >= 2,
      10_000,
    );
    expect(rig.logs.find((l) => l.event === 'validation-error')?.err).toMatch(/over 16/);
    expect(await rig.verifications.result(NS, 1n)).toBeUndefined();
    expect(rig.alerts).toEqual([]);
    expect(incoming()).toEqual([]);
  });

  it('enqueue: an invalid proof is alerted once and not retried', async () => {
    for (const e of [0n, 1n, 2n]) await rig.signEpoch(e);
    rig.bucket.corrupt(2n);
    v.service.enqueue(NS, 2n);
    await waitFor('epoch 2 judged', async () => (await rig.verifications.result(NS, 2n)) !== undefined, 10_000);
    await new Promise((r) => setTimeout(r, 150)); // longer than the first retry delay
    expect(rig.alerts.map((a) => a.alert.type)).toEqual(['validation-failed']);
    expect(rig.logs.filter((l) => l.event === 'validation-retry')).toEqual([]);
  });

  it('enqueue ignores the root, unknown namespaces and directory-source namespaces', async () => {
    await rig.signEpoch(0n);
    await rig.signEpoch(1n);
    v.service.enqueue(NS, 0n); // the root: nothing to check
    v.service.enqueue('unknown.example', 1n);
    const dirSource = makeValidation(rig, { source: 'directory' });
    dirSource.service.enqueue(NS, 1n); // the directory source verifies before signing itself
    await new Promise((r) => setTimeout(r, 200));
    expect(await rig.verifications.result(NS, 1n)).toBeUndefined();
    expect(v.downloaded).toEqual([]);
    expect(dirSource.downloaded).toEqual([]);
    await expect(v.service.verifyTransition({ ...transition(1n), namespace: 'unknown.example' })).rejects.toThrow(
      /no proof directory/,
    );
  });

  it('resume() queues every signed epoch above the last verified one that has no result', async () => {
    for (const e of [0n, 1n, 2n, 3n, 4n]) await rig.signEpoch(e);
    await v.service.verifyTransition(transition(1n));
    await v.service.verifyTransition(transition(3n)); // out of order: the last verified epoch stays 1
    expect(await rig.verifications.lastVerifiedEpoch(NS)).toBe(1n);
    expect(await v.service.resume()).toBe(2); // epochs 2 and 4
    await waitFor('epochs 2 to 4 verified', async () => (await rig.verifications.lastVerifiedEpoch(NS)) === 4n, 20_000);
    expect(v.verified.map((r) => r.epoch).sort()).toEqual([1n, 2n, 3n, 4n]);
  });
});
