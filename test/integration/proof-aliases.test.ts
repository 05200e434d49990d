import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { initDataDir } from '../../src/operator/init.js';
import { loadConfig } from '../../src/config/config.js';
import { ChorusNode } from '../../src/node/node.js';
import { makeEquivocationProof, proofId } from '../../src/consensus/equivocation.js';
import type { Observation } from '../../src/consensus/observation.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { tempDir } from '../support/tmp.js';
import { http } from '../support/http.js';

// Alert ids must resolve forever: a proof replaced by its fact's canonical (smallest-id) proof
// still answers, with the canonical proof, after the replacement and after a restart.
const NS = 'log.example';
const keys = [2, 3].map((i) => signingKeyFromSeed(new Uint8Array(32).fill(i)));

function observe(key: (typeof keys)[number], epoch: bigint, digest: number, timestamp: bigint): Observation {
  const m = { ciphersuite: 1, namespace: NS, timestamp, epoch, digest: new Uint8Array(32).fill(digest) };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
}

describe('replaced proof ids', () => {
  const tmp = tempDir();
  let node: ChorusNode | undefined;
  afterAll(async () => {
    await node?.close();
    tmp.cleanup();
  });

  it('resolve to the canonical proof after replacement and after a restart', async () => {
    const init = await initDataDir({ dataDir: tmp.dir, namespaces: [NS], httpPort: 0 });
    const config = loadConfig(init.config);
    node = await ChorusNode.create(config, { logger: pino({ level: 'silent' }) });
    let url = await node.listen();
    // Three proofs of one split view (same two digests at epoch 7), differing only in timestamps.
    const proofs = [1000n, 2000n, 3000n].map((t) =>
      makeEquivocationProof(observe(keys[0]!, 7n, 1, t), observe(keys[1]!, 7n, 2, t)),
    );
    const sorted = [...proofs].sort((a, b) => (proofId(a) < proofId(b) ? -1 : 1));
    const [smallest, middle, largest] = sorted.map(proofId) as [string, string, string];
    // Middle first, then the smallest replaces it, then the largest arrives and is not kept.
    expect((await node.observations.storeProof(sorted[1]!, 'split-view', ['org2', 'org3'], 1n)).result).toBe('stored');
    expect((await node.observations.storeProof(sorted[0]!, 'split-view', ['org2', 'org3'], 2n)).result).toBe(
      'replaced',
    );
    expect((await node.observations.storeProof(sorted[2]!, 'split-view', ['org2', 'org3'], 3n)).result).toBe('known');
    expect(await node.observations.proof(middle)).toBeUndefined();

    const check = async (base: string) => {
      for (const id of [middle, largest]) {
        const r = await http(`${base}/equivocations/${id}`);
        expect(r.status).toBe(200);
        expect(r.body.id).toBe(smallest);
        expect(r.body.requested_id).toBe(id);
      }
      const direct = await http(`${base}/equivocations/${smallest}`);
      expect(direct.status).toBe(200);
      expect(direct.body.id).toBe(smallest);
      expect(direct.body.requested_id).toBeUndefined();
      expect((await http(`${base}/equivocations/${'ab'.repeat(32)}`)).status).toBe(404);
    };
    await check(url);
    await node.close();
    node = await ChorusNode.create(config, { logger: pino({ level: 'silent' }) });
    url = await node.listen();
    await check(url);
  });
});
