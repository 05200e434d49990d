// The worker-thread pool, running the compiled worker from dist/.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyntheticLog } from '../../src/akd/generator.js';
import { AkdPoolError, AkdVerifyPool } from '../../src/akd-runtime/verify-pool.js';
import { verifyAuditBlob } from '../../src/akd/verifier.js';
import { AKD_VECTORS, configurationOf, loadIndex, loadProof } from './akd-fixtures.js';
import { ensureAkdBuild } from './akd-build.js';

describe('AKD verify pool', () => {
  let pool: AkdVerifyPool;
  beforeAll(() => {
    ensureAkdBuild();
    pool = new AkdVerifyPool({ size: 2 });
  }, 120_000);
  afterAll(async () => {
    await pool.close();
  });

  it('gives every vector the verdict the in-process verifier gives, as plain data', async () => {
    const cases = loadIndex(AKD_VECTORS);
    const outcomes = await Promise.all(
      cases.map((c) => pool.verifyBlob(loadProof(AKD_VECTORS, c), c.blob_name, configurationOf(c))),
    );
    cases.forEach((c, i) => {
      const o = outcomes[i];
      expect(o?.ok ? 'ok' : 'error', c.name).toBe(c.expected);
      const local = verifyAuditBlob(loadProof(AKD_VECTORS, c), c.blob_name, configurationOf(c));
      expect(o?.failure?.message).toBe(local.ok ? undefined : local.error.message);
      expect(JSON.parse(JSON.stringify(o))).toEqual(o); // plain data
    });
    const mismatch = outcomes[cases.findIndex((c) => c.name === 'mut-unchanged-value-bitflip')];
    expect(mismatch?.failure).toMatchObject({ code: 'verification-failed', reason: 'root-mismatch', root: 'start' });
    const conflict = outcomes[cases.findIndex((c) => c.name === 'bypass495-shadow-leaf-akd-root')];
    expect(conflict?.failure?.reason).toBe('label-conflict');
    expect(conflict?.failure?.elements?.map((e) => `${e.list}[${e.index}]`).sort()).toEqual([
      'inserted[1000]',
      'unchanged_nodes[89]',
    ]);
    const decode = outcomes[cases.findIndex((c) => c.name === 'bad-label-len-257')];
    expect(decode?.failure).toMatchObject({ code: 'decode-error', reason: 'label-len-too-long' });
  });

  it('reports phase timings and moves the proof buffer instead of copying it', async () => {
    const e = new SyntheticLog({ name: 'whatsapp_v1' }, 'pool').publish(300);
    const proof = e.proof;
    const outcome = await pool.verify({
      proof,
      previous: e.previousHash,
      current: e.currentHash,
      endEpoch: e.epoch,
      configuration: { name: 'whatsapp_v1' },
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.inserted).toBe(300);
    expect(outcome.timings.hashMs).toBeGreaterThan(0);
    expect(outcome.totalMs).toBeGreaterThanOrEqual(outcome.queuedMs);
    expect(proof.byteLength).toBe(0); // transferred: detached here
    const kept = new SyntheticLog({ name: 'whatsapp_v1' }, 'pool').publish(300).proof;
    const again = await pool.verifyBlob(kept.slice(), e.blobName, { name: 'whatsapp_v1' });
    expect(again.ok).toBe(true);
    const copied = await pool.verify(
      {
        proof: kept,
        previous: e.previousHash,
        current: e.currentHash,
        endEpoch: e.epoch,
        configuration: { name: 'whatsapp_v1' },
      },
      { transfer: false },
    );
    expect(copied.ok).toBe(true);
    expect(kept.byteLength).toBeGreaterThan(0); // copied: still usable
  });

  it('queues more jobs than workers and keeps the event loop free', async () => {
    const log = new SyntheticLog({ name: 'whatsapp_v1' }, 'queue');
    log.publish(20_000);
    const e = log.publish(2_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const jobs = Array.from({ length: 6 }, () => pool.verifyBlob(e.proof.slice(), e.blobName, { name: 'whatsapp_v1' }));
    expect(pool.queued + pool.running).toBe(6);
    const outcomes = await Promise.all(jobs);
    clearInterval(timer);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(Math.max(...outcomes.map((o) => o.queuedMs))).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThan(0);
  });

  it('rejects digests that are not 32 bytes before queueing', async () => {
    const job = {
      proof: new Uint8Array(0),
      previous: new Uint8Array(31),
      current: new Uint8Array(32),
      endEpoch: 1n,
      configuration: { name: 'whatsapp_v1' as const },
    };
    await expect(pool.verify(job)).rejects.toThrow(/32 bytes/);
  });

  it('rejects a malformed blob name, and any job after close', async () => {
    await expect(pool.verifyBlob(new Uint8Array(0), 'not/a-blob', { name: 'whatsapp_v1' })).rejects.toThrow(
      /blob name/,
    );
    const other = new AkdVerifyPool({ size: 1 });
    const pending = other.verifyBlob(
      loadProof(AKD_VECTORS, loadIndex(AKD_VECTORS)[5]!),
      loadIndex(AKD_VECTORS)[5]!.blob_name,
      { name: 'whatsapp_v1' },
    );
    const closing = other.close();
    await expect(
      other.verifyBlob(new Uint8Array(0), '1/' + '00'.repeat(32) + '/' + '00'.repeat(32), { name: 'whatsapp_v1' }),
    ).rejects.toBeInstanceOf(AkdPoolError);
    expect((await pending).ok).toBe(true); // close() lets running work finish
    await closing;
    expect(other.running).toBe(0);
  });

  it('verifyFile: the worker reads the file itself; a flipped bit is invalid, a missing file is "could not check"', async () => {
    const log = new SyntheticLog({ name: 'whatsapp_v1' }, 'file');
    log.publish(5_000);
    const e = log.publish(500);
    const dir = mkdtempSync(join(tmpdir(), 'chorus-akd-pool-'));
    try {
      const path = join(dir, 'proof.bin');
      writeFileSync(path, e.proof);
      const job = {
        path,
        previous: e.previousHash,
        current: e.currentHash,
        endEpoch: e.epoch,
        configuration: { name: 'whatsapp_v1' as const },
      };
      const good = await pool.verifyFile(job);
      expect(good).toMatchObject({ ok: true, inserted: 500 });
      expect(good.unchanged).toBe(e.unchanged);
      const bad = e.proof.slice();
      bad[bad.length - 3] = (bad[bad.length - 3] as number) ^ 1; // a value byte of the last element
      writeFileSync(path, bad);
      expect((await pool.verifyFile(job)).failure).toMatchObject({
        code: 'verification-failed',
        reason: 'root-mismatch',
      });
      const missing = await pool.verifyFile({ ...job, path: join(dir, 'missing.bin') });
      expect(missing.ok).toBe(false);
      expect(missing.failure).toMatchObject({ code: 'akd-read-error', reason: 'unreadable' });
      await expect(pool.verifyFile({ ...job, previous: new Uint8Array(3) })).rejects.toThrow(/32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops a worker idle for idleMs (its memory leaves with it) and starts one for the next job', async () => {
    const e = new SyntheticLog({ name: 'whatsapp_v1' }, 'idle').publish(50);
    const job = () => ({
      proof: e.proof.slice(),
      previous: e.previousHash,
      current: e.currentHash,
      endEpoch: e.epoch,
      configuration: { name: 'whatsapp_v1' as const },
    });
    const quick = new AkdVerifyPool({ size: 1, idleMs: 50 });
    const patient = new AkdVerifyPool({ size: 1, idleMs: 60_000 });
    try {
      expect((await patient.verify(job())).ok).toBe(true);
      expect((await quick.verify(job())).ok).toBe(true);
      expect(quick.workers).toBe(1); // the answer came before the idle timer started
      const until = Date.now() + 10_000;
      while (quick.workers > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(quick.workers).toBe(0);
      expect(patient.workers).toBe(1); // still idle for less than a minute: kept for the next job
      const again = await quick.verify(job());
      expect(again.ok).toBe(true);
      expect(again.inserted).toBe(50);
    } finally {
      await quick.close();
      await patient.close();
    }
    expect(() => new AkdVerifyPool({ idleMs: -1 })).toThrow(AkdPoolError);
    expect(() => new AkdVerifyPool({ retireAboveBytes: Number.NaN })).toThrow(AkdPoolError);
  });

  it('stops a worker at once when a job left it a large arena, and keeps one with a small arena', async () => {
    const e = new SyntheticLog({ name: 'whatsapp_v1' }, 'retire').publish(50);
    const job = () => ({
      proof: e.proof.slice(),
      previous: e.previousHash,
      current: e.currentHash,
      endEpoch: e.epoch,
      configuration: { name: 'whatsapp_v1' as const },
    });
    // 50 inserted elements: an arena of 50 × 66 bytes, over a 1 kB limit and under the default.
    const strict = new AkdVerifyPool({ size: 1, idleMs: 60_000, retireAboveBytes: 1_000 });
    const lenient = new AkdVerifyPool({ size: 1, idleMs: 60_000 });
    try {
      const first = strict.verify(job());
      const second = strict.verify(job()); // queued: a fresh worker takes it
      expect((await first).ok).toBe(true);
      expect((await second).ok).toBe(true);
      expect(strict.workers).toBe(0);
      expect((await lenient.verify(job())).ok).toBe(true);
      expect(lenient.workers).toBe(1);
    } finally {
      await strict.close();
      await lenient.close();
    }
  });

  it('gives a proof much larger than an idle worker has seen to a fresh worker; equal ones reuse it', async () => {
    const log = new SyntheticLog({ name: 'whatsapp_v1' }, 'grow');
    const small = log.publish(20);
    const large = log.publish(400);
    const job = (e: typeof small) => ({
      proof: e.proof.slice(),
      previous: e.previousHash,
      current: e.currentHash,
      endEpoch: e.epoch,
      configuration: { name: 'whatsapp_v1' as const },
    });
    expect(large.proof.length).toBeGreaterThan(small.proof.length * 1.5);
    const pool = new AkdVerifyPool({ size: 1, idleMs: 60_000 });
    try {
      expect((await pool.verify(job(small))).ok).toBe(true);
      expect((await pool.verify(job(small))).ok).toBe(true);
      expect(pool.workersStarted).toBe(1); // same size: the warm worker and its arena
      expect((await pool.verify(job(large))).ok).toBe(true);
      expect(pool.workersStarted).toBe(2); // would have grown the arena: a fresh worker
      expect(pool.workers).toBe(1);
      expect((await pool.verify(job(small))).ok).toBe(true);
      expect(pool.workersStarted).toBe(2); // smaller fits the arena it has
    } finally {
      await pool.close();
    }
  });

  it('fails cleanly when the worker entry is missing', () => {
    expect(() => new AkdVerifyPool({ workerUrl: new URL('file:///nonexistent/verify-worker.js') })).toThrow(
      /not found/,
    );
  });
});
