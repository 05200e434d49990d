// AKD epochs as cosigned checkpoints across a network of real node processes (docs/c2sp.md, "AKD epochs as
// checkpoints"): three nodes verify a real AKD log from a file:// proof directory, each cosigns every
// verified epoch under the roster's checkpoint origin, and each serves at the tlog-witness monitoring path
// a note whose body is the mapping's, byte for byte, carrying every node's cosignature. A conflicting body
// cosigned by a roster witness and injected on gossip becomes a checkpoint equivocation proof on every
// node, verifiable offline with `chorus verify-proof`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticLog, type SyntheticLogSummary } from '../../src/akd-runtime/log-writer.js';
import { akdCheckpointBody, AKD_ORIGINS } from '../../src/c2sp/akd-checkpoint.js';
import { cosignatureVerifier, cosigner } from '../../src/c2sp/cosignature.js';
import { formatNote, openNote } from '../../src/c2sp/signed-note.js';
import { checkpointPath } from '../../src/c2sp/witness-request.js';
import type { Roster } from '../../src/consensus/roster.js';
import { loadRoster } from '../../src/config/roster-load.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { Flooder } from '../support/flood-attacker.js';
import { TestNetwork, waitFor } from '../support/network.js';
import { runCli } from '../support/node-process.js';
import { tempDir } from '../support/tmp.js';

const NS = 'wa.kt';
const NET = 'ckptnet';
const ORIGIN = AKD_ORIGINS.whatsapp;
const EPOCHS = 3;
/** A roster witness that runs no node here: its cosignature over another root is the injected conflict. */
const outsideWitness = signingKeyFromSeed(new Uint8Array(32).fill(44));

describe('AKD epochs as cosigned checkpoints in a 3-node network', () => {
  const tmp = tempDir();
  const logDir = join(tmp.dir, 'log');
  const net = new TestNetwork(tmp.dir, NS, NET);
  let log: SyntheticLogSummary;
  let roster: Roster;
  let flooder: Flooder | undefined;
  const digestAt = (e: number) => log.epochs.find((x) => x.epoch === String(e))!.blob_name.split('/')[2] as string;
  const served = async (name: string) => {
    const res = await fetch(`${net.proc(name).url}/${checkpointPath(ORIGIN)}`);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  beforeAll(async () => {
    log = await writeSyntheticLog({
      out: logDir,
      configuration: { name: 'whatsapp_v1' },
      epochs: EPOCHS,
      inserts: 10,
      base: 20,
      seed: 'checkpoints',
    });
    await net.setup(3, 2);
    const doc = JSON.parse(readFileSync(net.roster, 'utf8')) as {
      auditors: Record<string, unknown>[];
      namespaces: Record<string, unknown>[];
    };
    (doc.namespaces[0] as Record<string, unknown>).checkpoint_origin = ORIGIN;
    doc.auditors.push({ name: 'org4', public_key: toHex(outsideWitness.publicKey) });
    writeFileSync(net.roster, JSON.stringify(doc, null, 2));
    roster = loadRoster(net.roster);
    for (const n of net.nodes)
      net.editConfig(n.name, (c) => {
        const ns = (c.namespaces as Record<string, unknown>[])[0] as Record<string, unknown>;
        ns.proof_directory = pathToFileURL(logDir).href;
        ns.root = `${log.root.epoch}/${log.root.digest}`;
      });
    await net.startAll();
  }, 120_000);

  afterAll(async () => {
    await flooder?.stop();
    await net.stopAll();
    tmp.cleanup();
  });

  it('every node serves the mapping body of the last verified epoch with every node cosignature', async () => {
    for (let e = 1; e <= EPOCHS; e++)
      for (const n of net.nodes) expect((await net.submit(n.name, BigInt(e), digestAt(e))).status).toBe(200);
    const body = akdCheckpointBody(ORIGIN, BigInt(EPOCHS), fromHex(digestAt(EPOCHS), 32));
    const vkeys = roster.witnessVerifierKeys().map((k) => cosignatureVerifier(k.vkey));
    for (const n of net.nodes) {
      const note = await waitFor(
        `${n.name} serving epoch ${EPOCHS} cosigned by all three nodes`,
        async () => {
          const r = await served(n.name);
          if (r.status !== 200) return false;
          const opened = openNote(r.text, vkeys);
          return opened.note.text === body && opened.verified.length === 3 ? r : false;
        },
        60_000,
      );
      expect(note.type).toBe('text/plain; charset=utf-8');
      const opened = openNote(note.text, vkeys);
      // The body is the published mapping's, byte for byte.
      expect(opened.note.text).toBe(body);
      expect(opened.verified.map((v) => v.verifier.name).sort()).toEqual(['org1', 'org2', 'org3']);
      expect(opened.unknown).toEqual([]);
    }
    // An origin the roster does not name: 404.
    expect((await fetch(`${net.proc('org1').url}/${checkpointPath(AKD_ORIGINS.messenger)}`)).status).toBe(404);
  }, 90_000);

  it('a conflicting body injected on gossip becomes a proof on every node', async () => {
    const other = akdCheckpointBody(ORIGIN, BigInt(EPOCHS), new Uint8Array(32).fill(0xee));
    const sig = cosigner('org4', outsideWitness).cosign(other, BigInt(Math.floor(Date.now() / 1000)));
    const note = formatNote({ text: other, signatures: [sig] });
    flooder = await Flooder.create(await generateKeyPair('Ed25519'), ['/ip4/127.0.0.1/tcp/0']);
    const target = net.node('org2');
    await flooder.dial(`/ip4/127.0.0.1/tcp/${target.p2pPort}/p2p/${target.peerId}`);
    await waitFor('a gossipsub stream to org2', async () => flooder!.gossipPeers().includes(target.peerId), 10_000);
    const topic = `/chorus/1/${NET}/checkpoints`;
    expect(flooder.send(target.peerId, [{ topic, data: new TextEncoder().encode(note) }])).toBe(true);
    const proofs = new Map<string, Record<string, unknown>>();
    for (const n of net.nodes) {
      const list = await waitFor(
        `a checkpoint equivocation proof on ${n.name}`,
        async () => {
          const r = await net.get(n.name, '/checkpoints/equivocations');
          const l = r.body.equivocations as Record<string, unknown>[];
          return l.length > 0 ? l : false;
        },
        30_000,
      );
      expect(list.map((p) => [p.kind, p.origin, p.size])).toEqual([['split-view', ORIGIN, BigInt(EPOCHS)]]);
      proofs.set(n.name, list[0] as Record<string, unknown>);
    }
    // One fact, one proof: every node holds the same one.
    expect(new Set([...proofs.values()].map((p) => p.id)).size).toBe(1);
    // The node still serves its own, verified body.
    const vkeys = roster.witnessVerifierKeys().map((k) => cosignatureVerifier(k.vkey));
    expect(openNote((await served('org1')).text, vkeys).note.text).not.toBe(other);
    // Offline: the roster alone checks it.
    const file = join(tmp.dir, 'checkpoint-proof.json');
    const { received_at: _, ...proof } = proofs.get('org3') as Record<string, unknown>;
    const asJson = (v: object) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
    writeFileSync(file, asJson(proof));
    const cli = runCli(['verify-proof', '--roster', net.roster, file]);
    expect(cli.stdout).toMatch(
      /^valid: checkpoint split-view for whatsapp\.kt\/v2 at size 3 between (org\d and org4|org4 and org\d) /,
    );
    expect(cli.status).toBe(0);
    // A tampered proof is invalid (exit 1).
    writeFileSync(file, asJson({ ...proof, first: String(proof.first).replace(ORIGIN, 'x.kt/v1') }));
    expect(runCli(['verify-proof', '--roster', net.roster, file]).status).toBe(1);
    // Metrics count it.
    const metrics = await fetch(`${net.proc('org1').url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/chorus_checkpoint_equivocations_total\{origin="whatsapp.kt\/v2",kind="split-view"\} 1/);
  }, 90_000);
});
