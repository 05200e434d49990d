// Doppelgänger protection when the second host is a full copy of the node (its signing key AND
// its libp2p identity, e.g. a restored backup left running). Two hosts under one peer id confuse
// gossipsub (streams are per peer id: the clone's messages are not taken up, and nothing is
// forwarded back to the peer id a message came from), so gossip alone never tells the original.
// Periodic sync does: a peer's sync towards that peer id reaches the clone and stores its
// observation, and the original's next sync with that peer brings it home. (With the periodic
// sync off, this test fails at its first wait.) A proof convicting the key halts the node too:
// test/unit/network-doppelganger.test.ts.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hex32, http } from '../support/http.js';
import { freePort, TestNetwork, waitFor } from '../support/network.js';
import { NodeProcess, runCli } from '../support/node-process.js';
import { tempDir } from '../support/tmp.js';

const NS = 'clone.example';

describe('a full copy of a node running on a second host', () => {
  const tmp = tempDir('chorus-clone-');
  const net = new TestNetwork(tmp.dir, NS);
  const clones: NodeProcess[] = [];
  afterAll(async () => {
    await Promise.all(clones.map((p) => p.kill('SIGKILL')));
    await net.stopAll();
    tmp.cleanup();
  });

  /** A new host with org1's key and libp2p identity copied in; returns it and its log token. */
  const startClone = async (name: string): Promise<{ proc: NodeProcess; token: string }> => {
    const dir = join(tmp.dir, name);
    mkdirSync(dir);
    const r = runCli([
      'init',
      '--data-dir',
      dir,
      '--namespace',
      NS,
      '--http-port',
      '0',
      '--p2p-port',
      String(await freePort()),
      '--json',
    ]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { config: string; tokens: Record<string, string> };
    copyFileSync(join(net.node('org1').dir, 'node.key'), join(dir, 'node.key'));
    copyFileSync(join(net.node('org1').dir, 'p2p-identity.key'), join(dir, 'p2p-identity.key'));
    const proc = await NodeProcess.start(['start', '--config', out.config, '--roster', net.roster]);
    clones.push(proc);
    return { proc, token: out.tokens[NS] as string };
  };

  const halted = () =>
    waitFor(
      'org1 halts signing',
      async () => {
        const i = await net.get('org1', `/namespaces/${NS}`);
        return i.body.signing_halted ? i : false;
      },
      30_000,
    );

  it('an observation no proof points at: found by the periodic sync with another peer', async () => {
    await net.setup(2);
    for (const n of net.nodes)
      net.editConfig(n.name, (doc) => ((doc.p2p as Record<string, unknown>).sync_interval_seconds = 1n));
    await net.startAll();
    for (const n of net.nodes) expect((await net.submit(n.name, 1n, hex32(1))).status).toBe(200);
    await waitFor('org2 holds org1 epoch 1', async () => {
      const v = await net.get('org2', `/namespaces/${NS}/epochs/1`);
      return (v.body.digests as { signers: unknown[] }[]).some((d) => d.signers.length === 2);
    });

    // The clone starts its own chain at epoch 5, which nobody else has signed.
    const clone = await startClone('clone-a');
    const signed = await http(`${clone.proc.url}/namespaces/${NS}/audits`, {
      body: { epoch: 5n, digest: hex32(0x61) },
      token: clone.token,
    });
    expect(signed.status).toBe(200);
    await waitFor('org2 holds the clone observation', async () => {
      const v = await net.get('org2', `/namespaces/${NS}/epochs/5`);
      return (v.body.digests as unknown[]).length === 1;
    });
    expect(await net.proofs('org2')).toEqual([]);

    const info = await halted();
    expect(String(info.body.signing_halted)).toMatch(/epoch 5 .*not produced by this node/);
    expect((await net.submit('org1', 2n, hex32(2))).status).toBe(503);
    expect(net.proc('org1').logs.some((l) => l.event === 'doppelganger')).toBe(true);
    await clone.proc.kill('SIGTERM');
  });
});
