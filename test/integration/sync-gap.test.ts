// Sync after a reconnection brings every observation a peer stored since the last sync, whatever
// its epoch. An auditor that lags behind the others signs old epochs late; a node cut off while
// it catches up used to miss those signatures for good: the sync asked for epochs from the
// highest epoch the peer had already shown it (minus 64), and the late signatures were below.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNetwork, waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';

const NS = 'gap.example';
const digest = (e: number): string => (BigInt(e) * 0x0101n + 0x1000n).toString(16).padStart(64, '0');

describe('sync after a reconnection, with an auditor catching up', () => {
  const tmp = tempDir();
  const net = new TestNetwork(tmp.dir, NS);

  beforeAll(async () => {
    await net.setup(3, 2);
    // org1's debug log says when a sync with a peer is done.
    net.editConfig('org1', (doc) => (doc.log_level = 'debug'));
    await net.startAll();
  }, 60_000);

  afterAll(async () => {
    await net.stopAll();
    tmp.cleanup();
  });

  const signers = async (name: string, e: number): Promise<string[]> => {
    const v = await net.get(name, `/namespaces/${NS}/epochs/${e}`);
    return ((v.body.digests ?? []) as { signers: { name: string }[] }[])
      .flatMap((d) => d.signers.map((s) => s.name))
      .sort();
  };
  const feed = async (name: string, from: number, to: number): Promise<void> => {
    for (let e = from; e <= to; e++)
      expect((await net.submit(name, BigInt(e), digest(e), e > 1 ? digest(e - 1) : undefined)).status).toBe(200);
  };
  const syncsDone = (): number => net.proc('org1').logs.filter((l) => l.event === 'sync-done').length;

  it('a node cut off while a lagging auditor signs old epochs gets those signatures after the heal', async () => {
    await Promise.all(['org1', 'org2', 'org3'].map((n) => feed(n, 1, 5)));
    // org3 lags: the log feeds only org1 and org2 up to epoch 200; org3 stores their signatures.
    await Promise.all(['org1', 'org2'].map((n) => feed(n, 6, 200)));
    await waitFor('org3 holds the others at epoch 200', async () => (await signers('org3', 200)).length === 2, 30_000);
    // org1 drops off and comes back: it syncs with both peers, whose stores reach epoch 200.
    await net.isolate('org1');
    const before = syncsDone();
    await net.heal('org1');
    await waitFor('org1 synced with both peers', async () => syncsDone() >= before + 2, 30_000);
    // Cut off again while org3 catches up on epochs 6..200 (gossiped to org2 only).
    await net.isolate('org1');
    await feed('org3', 6, 200);
    await waitFor('org2 holds org3 at epoch 200', async () => (await signers('org2', 200)).length === 3, 30_000);
    expect(await signers('org1', 100)).toEqual(['org1', 'org2']);
    await net.heal('org1');
    await waitFor(
      'org1 holds org3 at every epoch',
      async () => {
        for (const e of [6, 50, 100, 136, 137, 200]) if ((await signers('org1', e)).length !== 3) return false;
        return true;
      },
      30_000,
    );
    for (let e = 1; e <= 200; e++) expect(await signers('org1', e)).toEqual(['org1', 'org2', 'org3']);
  }, 120_000);
});
