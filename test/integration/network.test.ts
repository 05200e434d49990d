// The auditor network with real processes (issue "The auditor network", item 7): five nodes,
// each its own OS process with its own LevelDB, gossiping over TCP on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStrict } from '../../src/crypto/ed25519.js';
import { checkEquivocationProof, decodeEquivocationProof, proofId } from '../../src/consensus/equivocation.js';
import { encodeObservation, type Observation } from '../../src/consensus/observation.js';
import type { Roster } from '../../src/consensus/roster.js';
import { loadRoster } from '../../src/config/roster-load.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { createHost, type ChorusHost } from '../../src/p2p/index.js';
import { observationsTopic } from '../../src/wire/topics.js';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { hex32 } from '../support/http.js';
import { stringifyJson } from '../../src/util/json.js';
import { TestNetwork, waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';

const NS = 'kt.example';

describe('five Chorus node processes', () => {
  const tmp = tempDir();
  const net = new TestNetwork(tmp.dir, NS);
  let roster: Roster;
  const names = ['org1', 'org2', 'org3', 'org4', 'org5'];

  beforeAll(async () => {
    await net.setup(5, 3);
    // Periodic re-sync every 2 s (60 s by default): the doppelgänger test's full copy of a node is
    // only revealed by it.
    for (const n of names)
      net.editConfig(n, (doc) => ((doc.p2p as Record<string, unknown>).sync_interval_seconds = 2n));
    roster = loadRoster(net.roster);
    await net.startAll();
    // Epoch 1 (the root) everywhere, and wait until everyone saw everyone's observation.
    for (const n of names) expect((await net.submit(n, 1n, hex32(1))).status).toBe(200);
    await waitFor('every observation of epoch 1 everywhere', async () => {
      for (const n of names) {
        const r = await net.get(n, `/namespaces/${NS}/epochs/1`);
        const signers = (r.body.digests as { signers: unknown[] }[] | undefined)?.[0]?.signers ?? [];
        if (signers.length !== 5) return false;
      }
      return true;
    });
  }, 120_000);

  afterAll(async () => {
    await net.stopAll();
    tmp.cleanup();
  });

  async function proofIdsAt(name: string, epoch: bigint): Promise<string[]> {
    return (await net.proofs(name))
      .filter((p) => p.epoch === epoch)
      .map((p) => p.id)
      .sort();
  }

  async function expectSameProofEverywhere(epoch: bigint, who = names): Promise<string> {
    const ids = await waitFor(
      `one proof for epoch ${epoch} on ${who.join(',')}`,
      async () => {
        const all = await Promise.all(who.map((n) => proofIdsAt(n, epoch)));
        const first = JSON.stringify(all[0]);
        return all.every((x) => x.length === 1 && JSON.stringify(x) === first) ? (all[0] as string[]) : false;
      },
      30_000,
    );
    const id = ids[0] as string;
    // The proof verifies offline from its protobuf bytes, against the roster alone.
    const res = await fetch(`${net.proc(who[0] as string).url}/equivocations/${id}`, {
      headers: { accept: 'application/x-protobuf' },
    });
    expect(res.headers.get('content-type')).toContain('application/x-protobuf');
    const proof = decodeEquivocationProof(new Uint8Array(await res.arrayBuffer()));
    expect(proofId(proof)).toBe(id);
    expect(await checkEquivocationProof(proof, roster, verifyStrict)).toMatchObject({ ok: true, kind: 'split-view' });
    return id;
  }

  it('a log showing nodes 1-2 digest X and nodes 3-5 digest Y: every node holds the same valid proof', async () => {
    const X = hex32(0x21);
    const Y = hex32(0x22);
    for (const n of ['org1', 'org2']) expect((await net.submit(n, 2n, X)).status).toBe(200);
    for (const n of ['org3', 'org4', 'org5']) expect((await net.submit(n, 2n, Y)).status).toBe(200);
    await expectSameProofEverywhere(2n);
    for (const n of names) {
      const view = await net.get(n, `/namespaces/${NS}/epochs/2`);
      expect(view.body.equivocated).toBe(true);
      const digests = view.body.digests as { digest: string; signers: { name: string }[] }[];
      await waitFor('all five observations', async () => {
        const v = await net.get(n, `/namespaces/${NS}/epochs/2`);
        const d = v.body.digests as { digest: string; signers: { name: string }[] }[];
        return d.reduce((s, x) => s + x.signers.length, 0) === 5;
      });
      expect(digests.map((d) => d.digest).sort()).toEqual([X, Y].sort());
      const info = await net.get(n, `/namespaces/${NS}`);
      expect(info.body).toMatchObject({ network_status: 'Equivocated', status: 'Online' });
      // Each node keeps serving its own signature unchanged.
      expect((await net.get(n, `/namespaces/${NS}/audits/2`)).body.digest).toBe(['org1', 'org2'].includes(n) ? X : Y);
    }
    const list = await net.get('org3', `/equivocations?namespace=${NS}`);
    const first = (list.body.equivocations as Record<string, Record<string, unknown>>[])[0] as Record<
      string,
      Record<string, unknown>
    >;
    expect(first.first).toMatchObject({ namespace: NS, epoch: 2n, ciphersuite: 1n });
    expect(first.first?.signer_key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a node SIGKILLed before the split view learns the proof through sync after restart', async () => {
    await net.stop('org5', 'SIGKILL');
    for (const n of ['org1', 'org2']) expect((await net.submit(n, 3n, hex32(0x31))).status).toBe(200);
    for (const n of ['org3', 'org4']) expect((await net.submit(n, 3n, hex32(0x32))).status).toBe(200);
    await expectSameProofEverywhere(3n, ['org1', 'org2', 'org3', 'org4']);
    await net.start('org5');
    await expectSameProofEverywhere(3n);
    // And org5 has the observations it missed.
    const v = await net.get('org5', `/namespaces/${NS}/epochs/3`);
    expect((v.body.digests as unknown[]).length).toBe(2);
  });

  it('a node cut off while the split happens converges after reconnecting; all stores agree', async () => {
    expect((await net.submit('org5', 3n, hex32(0x31))).status).toBe(200);
    await net.isolate('org4');
    for (const n of ['org1', 'org2', 'org3', 'org5']) expect((await net.submit(n, 4n, hex32(0x41))).status).toBe(200);
    expect((await net.submit('org4', 4n, hex32(0x42))).status).toBe(200);
    // Nobody can know yet: the two views never met.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await proofIdsAt('org1', 4n)).toEqual([]);
    expect(await proofIdsAt('org4', 4n)).toEqual([]);
    await net.heal('org4');
    await expectSameProofEverywhere(4n);
    // Every store holds the same observations for every epoch.
    await waitFor(
      'identical epoch views',
      async () => {
        for (const e of [1n, 2n, 3n, 4n]) {
          const views = await Promise.all(names.map((n) => net.get(n, `/namespaces/${NS}/epochs/${e}`)));
          const norm = views.map((v) => stringifyJson(v.body.digests));
          if (!norm.every((x) => x === norm[0])) return false;
        }
        return true;
      },
      30_000,
    );
    // And the same proofs: a node may briefly hold a larger proof of a fact until the smallest arrives.
    await waitFor('identical proof sets', async () => {
      const all = await Promise.all(
        names.map(async (n) =>
          (await net.proofs(n))
            .map((p) => p.id)
            .sort()
            .join(),
        ),
      );
      return new Set(all).size === 1;
    });
  });

  it('a hostile peer sending garbage, bad signatures, unknown signers and floods is rejected and penalised', async () => {
    const key = await generateKeyPair('Ed25519');
    const target = net.node('org1');
    const hostile: ChorusHost = await createHost({
      privateKey: key,
      roster: [{ peerId: target.peerId, addrs: [`/ip4/127.0.0.1/tcp/${target.p2pPort}`] }],
      directRosterPeers: false,
    });
    const topic = observationsTopic('testnet', NS);
    hostile.subscribe(topic, { validate: async () => ({ outcome: 'ignore', reason: 'hostile' }) });
    await hostile.start();
    try {
      await waitFor('hostile peer connected and subscribed', async () =>
        hostile.getTopicPeers(topic).includes(target.peerId),
      );
      const honestKey = fromHex(target.publicKey, 32);
      const stranger = signingKeyFromSeed(new Uint8Array(32).fill(0x66));
      const m = (epoch: bigint) => ({
        ciphersuite: 1,
        namespace: NS,
        timestamp: BigInt(Date.now()),
        epoch,
        digest: new Uint8Array(32).fill(0x99),
      });
      const badSig: Observation = { ...m(7n), signature: new Uint8Array(64).fill(1), signerKey: honestKey };
      const unknown: Observation = {
        ...m(7n),
        signature: stranger.sign(signedBytes(m(7n))),
        signerKey: stranger.publicKey,
      };
      await hostile.publish(topic, new Uint8Array([1, 2, 3, 4, 5]));
      await hostile.publish(topic, encodeObservation(badSig));
      await hostile.publish(topic, encodeObservation(unknown));
      for (let i = 0; i < 300; i++) await hostile.publish(topic, new Uint8Array([0xff, 0xff, i & 0xff, i >> 8]));
      const status = await waitFor('rejections counted and the hostile score negative', async () => {
        const s = await net.get('org1', '/network/status');
        const reject =
          (s.body.topics as Record<string, { validation: { reject: Record<string, bigint> } }>)[topic]?.validation
            .reject ?? {};
        const score = (s.body.peerScores as Record<string, number>)[hostile.peerId];
        return (reject.undecodable ?? 0n) > 0n &&
          (reject['bad-signature'] ?? 0n) > 0n &&
          (reject['unknown-signer'] ?? 0n) > 0n &&
          typeof score === 'number' &&
          score < 0
          ? s
          : false;
      });
      expect(status.body.enabled).toBe(true);
      // Honest traffic still flows, and nothing invalid was stored.
      for (const n of names) expect((await net.submit(n, 5n, hex32(0x51))).status).toBe(200);
      await waitFor('epoch 5 co-signed by all five', async () => {
        const v = await net.get('org3', `/namespaces/${NS}/epochs/5`);
        return ((v.body.digests as { signers: unknown[] }[] | undefined)?.[0]?.signers.length ?? 0) === 5;
      });
      const seven = await net.get('org1', `/namespaces/${NS}/epochs/7`);
      expect(seven.status).toBe(404);
      expect((await net.proofs('org1')).map((p) => p.epoch).sort()).toEqual([2n, 3n, 4n]);
      expect(toHex(honestKey)).toBe(target.publicKey);
    } finally {
      await hostile.stop();
    }
  });

  it('doppelgänger: the same key on a second host makes the node stop signing until the operator resumes', async () => {
    // A second host started with org1's key (e.g. a restored backup left running).
    const { copyFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { runCli, NodeProcess } = await import('../support/node-process.js');
    const { freePort } = await import('../support/network.js');
    const cloneDir = join(tmp.dir, 'org1-clone');
    const r = runCli([
      'init',
      '--data-dir',
      cloneDir,
      '--namespace',
      NS,
      '--http-port',
      '0',
      '--p2p-port',
      String(await freePort()),
      '--json',
    ]);
    expect(r.status).toBe(0);
    const clone = JSON.parse(r.stdout) as { config: string; tokens: Record<string, string> };
    copyFileSync(join(net.node('org1').dir, 'node.key'), join(cloneDir, 'node.key'));
    // With only the key copied, the roster gives it away at once: it names another peer id.
    await expect(NodeProcess.start(['start', '--config', clone.config, '--roster', net.roster])).rejects.toThrow(
      /roster lists peer id/,
    );
    // A full copy (key and libp2p identity) starts, and signs.
    copyFileSync(join(net.node('org1').dir, 'p2p-identity.key'), join(cloneDir, 'p2p-identity.key'));
    const proc = await NodeProcess.start(['start', '--config', clone.config, '--roster', net.roster]);
    try {
      const { http } = await import('../support/http.js');
      const signed = await http(`${proc.url}/namespaces/${NS}/audits`, {
        body: { epoch: 6n, digest: hex32(0x61) },
        token: clone.tokens[NS] as string,
      });
      expect(signed.status).toBe(200);
      const info = await waitFor('org1 halts signing', async () => {
        const i = await net.get('org1', `/namespaces/${NS}`);
        return i.body.signing_halted ? i : false;
      });
      expect(String(info.body.signing_halted)).toMatch(/not produced by this node/);
      const refused = await net.submit('org1', 6n, hex32(0x62));
      expect(refused.status).toBe(503);
      expect(refused.body.error).toBe('signing-halted');
      expect(net.proc('org1').logs.some((l) => l.event === 'doppelganger' && l.level === 50)).toBe(true);
      // The halt survives a restart; only the operator lifts it.
      await net.stop('org1');
      await net.start('org1');
      expect((await net.submit('org1', 6n, hex32(0x62))).status).toBe(503);
      await proc.kill('SIGTERM');
      const resumed = await net.admin('org1', '/admin/resume-signing');
      expect(resumed.body).toMatchObject({ resumed: true });
      expect((await net.submit('org1', 6n, hex32(0x62))).status).toBe(200);
    } finally {
      await proc.kill('SIGKILL');
    }
  });
});
