// Issue 12 §4, as it was seen: after a restart, a lagging auditor catching up on old epochs made a
// node raise quorum-missed for epochs that had reached their quorum long before. Three node
// processes, real gossip; org3 lags, org1 restarts, then org3 catches up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNetwork, waitFor } from '../support/network.js';
import { hex32 } from '../support/http.js';
import { tempDir } from '../support/tmp.js';

const NS = 'lag.example';

describe('quorum-missed after a restart', () => {
  const tmp = tempDir();
  const net = new TestNetwork(tmp.dir, NS, 'lagnet');

  beforeAll(async () => {
    await net.setup(3, 2);
    for (const n of net.nodes) {
      net.editConfig(n.name, (doc) => {
        doc.liveness = { check_interval_seconds: 1n, quorum_timeout_seconds: 2n, auditor_silence_seconds: 3600n };
      });
    }
    await net.start('org1');
    await net.start('org2');
  }, 120_000);

  afterAll(async () => {
    await net.stopAll();
    tmp.cleanup();
  });

  it('epochs that reached their quorum stay reached; one that did not is still reported', async () => {
    for (let e = 1n; e <= 3n; e++) {
      for (const n of ['org1', 'org2']) expect((await net.submit(n, e, hex32(Number(e)))).status).toBe(200);
    }
    await waitFor(
      'epoch 3 reached its quorum at org1',
      async () => (await net.get('org1', `/namespaces/${NS}/epochs/3/cosignatures`)).body.quorum === true,
      30_000,
    );
    await net.stop('org1');
    await net.start('org1');
    // org3 catches up on the old epochs; its observations reach the restarted org1.
    await net.start('org3');
    for (let e = 1n; e <= 3n; e++) expect((await net.submit('org3', e, hex32(Number(e)))).status).toBe(200);
    await waitFor(
      "org1 holds org3's signature of epoch 3",
      async () => {
        const r = await net.get('org1', `/namespaces/${NS}/epochs/3/cosignatures`);
        return (r.body.cosignatures as unknown[]).length === 3;
      },
      30_000,
    );
    // A positive control: epoch 4 signed by org1 alone never reaches the threshold.
    expect((await net.submit('org1', 4n, hex32(4))).status).toBe(200);
    const missed = await waitFor(
      'quorum-missed for epoch 4',
      async () => {
        const r = await net.get('org1', '/alerts?type=quorum-missed');
        const list = r.body.alerts as { epoch: bigint }[];
        return list.some((a) => a.epoch === 4n) ? list : undefined;
      },
      30_000,
    );
    // Well past the 2 s timeout for epochs 1-3 as well (their observations by org3 arrived before epoch 4's).
    expect(missed.map((a) => a.epoch)).toEqual([4n]);
  }, 180_000);
});
