// The two-thread hash stage of `chorus akd verify` gives the single-thread verdicts, digests
// included, on every vector and on generated and mutated proofs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyntheticLog } from '../../src/akd/generator.js';
import { splitPhaseA } from '../../src/akd/hash-split.js';
import { ParallelHashStage } from '../../src/akd-runtime/parallel-verify.js';
import { decodeSingleAppendOnlyProof } from '../../src/akd/proof-codec.js';
import { verifyAuditBlob, type AkdVerifyResult } from '../../src/akd/verifier.js';
import { AKD_MODEL_VECTORS, AKD_VECTORS, configurationOf, loadIndex, loadProof } from './akd-fixtures.js';
import { ensureAkdBuild } from './akd-build.js';

const summary = (r: AkdVerifyResult): string => (r.ok ? `ok ${r.inserted}/${r.unchanged}` : `error ${r.error.message}`);

describe('parallel hash stage', () => {
  let stage: ParallelHashStage;
  beforeAll(() => {
    ensureAkdBuild();
    const s = ParallelHashStage.start({ minElements: 0 });
    if (s === null) throw new Error('hash worker not built');
    stage = s;
  }, 120_000);
  afterAll(async () => {
    await stage.close();
  });

  it('splits the work so that both threads have some', () => {
    const s = splitPhaseA(243_000, 193_000);
    expect(s.leaves).toBeGreaterThan(0);
    expect(s.leaves).toBeLessThan(243_000);
    expect(s.pairs).toBeGreaterThan(0);
    expect(splitPhaseA(0, 0)).toEqual({ leaves: 0, pairs: 0 });
  });

  it('agrees with the single-thread verifier on every vector', () => {
    const before = stage.parallelRuns;
    for (const dir of [AKD_VECTORS, AKD_MODEL_VECTORS]) {
      for (const c of loadIndex(dir)) {
        const bytes = loadProof(dir, c);
        const serial = verifyAuditBlob(bytes, c.blob_name, configurationOf(c));
        const parallel = verifyAuditBlob(bytes, c.blob_name, configurationOf(c), {
          hashStage: stage,
          decode: (b) => decodeSingleAppendOnlyProof(b, { shared: true }),
        });
        expect(summary(parallel), c.name).toBe(summary(serial));
      }
    }
    expect(stage.lastFailure).toBeNull();
    expect(stage.parallelRuns - before).toBeGreaterThan(40); // every whatsapp_v1 proof past the label check
  });

  it('agrees on a large generated proof and on its mutations', () => {
    const log = new SyntheticLog({ name: 'whatsapp_v1' }, 'parallel');
    log.tree.insert(log.leaves.next(30_000));
    const e = log.publish(3_000);
    const variants = [e.proof];
    for (const at of [100, 5_000, Math.floor(e.proof.length / 2), e.proof.length - 3]) {
      const v = e.proof.slice();
      v[at] = (v[at] as number) ^ 0x10;
      variants.push(v);
    }
    const names = [e.blobName, e.blobName.replace(/^(\d+)/, (m) => String(Number(m) + 1))];
    let ok = 0;
    for (const bytes of variants) {
      for (const name of names) {
        const serial = verifyAuditBlob(bytes, name, 'whatsapp_v1');
        const parallel = verifyAuditBlob(bytes, name, 'whatsapp_v1', { hashStage: stage });
        expect(summary(parallel)).toBe(summary(serial));
        if (parallel.ok) ok++;
      }
    }
    expect(ok).toBe(1); // only the honest proof under its own name
    expect(stage.lastFailure).toBeNull();
  });
});
