// Chorus as a tlog witness (issue 15 §2, "Done when"): an RFC 6962 log built here (src/c2sp/rfc6962.ts, an
// Ed25519 note signer) is witnessed by three real node processes (own LevelDB, libp2p on 127.0.0.1) through
// POST /add-checkpoint. Every node then serves the checkpoint with all three cosignatures and the log's
// signature at the monitoring path (gossip merged them); then the log forks (two log-signed roots for one
// size, shown to different nodes) and a log-equivocation proof appears on every node and verifies offline
// with only the roster.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointPath,
  consistencyProof,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatAddCheckpointRequest,
  formatCheckpoint,
  leafHash,
  openNote,
  parseAddCheckpointResponse,
  rootOf,
  signNote,
  cosignatureVerifier,
  cosigner,
} from '../../src/c2sp/index.js';
import { checkCheckpointEquivocationProof } from '../../src/consensus/checkpoint-equivocation.js';
import type { Roster } from '../../src/consensus/roster.js';
import { loadRoster } from '../../src/config/roster-load.js';
import { http } from '../support/http.js';
import { runCli } from '../support/node-process.js';
import { TestNetwork, waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';

const ORIGIN = 'example.com/chorus-test-log';
const TLOG_NS = 'tlog.example';
const log = ed25519NoteSigner(ORIGIN, new Uint8Array(32).fill(11));
const enc = new TextEncoder();
const leaves = Array.from({ length: 20 }, (_, i) => leafHash(enc.encode(`entry ${i}`)));
// The fork: the same log key signs a tree whose entry 13 differs.
const forked = leaves.map((l, i) => (i === 13 ? leafHash(enc.encode('rewritten entry 13')) : l));
const names = ['org1', 'org2', 'org3'];

/** A cosignature (type 0x04) vkey: a witness's, never a log's. */
function roster0Witness(): string {
  return cosigner('witness.example', new Uint8Array(32).fill(12)).vkey;
}

function signedCheckpoint(size: number, tree = leaves): string {
  const text = formatCheckpoint({
    origin: ORIGIN,
    size: BigInt(size),
    rootHash: rootOf(tree.slice(0, size)),
    extensions: [],
  });
  return signNote(text, [log]);
}

function addCheckpointBody(oldSize: number, size: number, tree = leaves): string {
  const proof = oldSize === 0 || oldSize === size ? [] : consistencyProof(tree.slice(0, size), oldSize);
  return formatAddCheckpointRequest(BigInt(oldSize), proof, signedCheckpoint(size, tree));
}

describe('three Chorus nodes witness an RFC 6962 log', () => {
  const tmp = tempDir();
  const net = new TestNetwork(tmp.dir, 'kt.example');
  let roster: Roster;

  beforeAll(async () => {
    await net.setup(3, 2);
    // The log in the roster (its origin and key) and in every node's config, as operators add it.
    const add = (vkey: string) =>
      runCli(['roster', 'namespace', net.roster, '--name', TLOG_NS, '--checkpoint-origin', ORIGIN, '--log-vkey', vkey]);
    // A witness key (type 0x04) is not a log key: refused with the field, the roster unchanged.
    const refused = add(roster0Witness());
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/log_vkeys\.0: not a log verifier key/);
    expect(add(log.vkey).status).toBe(0);
    expect(JSON.parse(readFileSync(net.roster, 'utf8')).namespaces).toContainEqual({
      name: TLOG_NS,
      configuration: 'whatsapp_v1',
      checkpoint_origin: ORIGIN,
      log_vkeys: [log.vkey],
    });
    for (const n of names)
      net.editConfig(n, (c) => {
        (c.namespaces as unknown[]).push({ name: TLOG_NS, log_format: 'tlog', origin: ORIGIN, log_vkeys: [log.vkey] });
        (c.p2p as Record<string, unknown>).sync_interval_seconds = 2n;
      });
    roster = loadRoster(net.roster);
    await net.startAll();
  }, 120_000);

  afterAll(async () => {
    await net.stopAll();
    tmp.cleanup();
  });

  const post = (name: string, body: string) =>
    http(`${net.proc(name).url}/add-checkpoint`, { rawBody: body, headers: { 'content-type': 'text/plain' } });

  it('the log grows; each node cosigns; every node serves the checkpoint with all three cosignatures', async () => {
    const witnesses = roster.witnessVerifierKeys();
    expect(witnesses.map((w) => w.auditor.name).sort()).toEqual(names);
    let previous = 0;
    for (const size of [3, 8, 12]) {
      for (const n of names) {
        const r = await post(n, addCheckpointBody(previous, size));
        expect(r.status, `${n} at ${size}: ${r.text}`).toBe(200);
        const sigs = parseAddCheckpointResponse(r.text);
        const own = witnesses.find((w) => w.auditor.name === n)?.vkey as string;
        const text = signedCheckpoint(size).split('\n\n')[0] + '\n';
        expect(openNote({ text, signatures: sigs }, [cosignatureVerifier(own)]).verified).toHaveLength(1);
      }
      previous = size;
    }
    // A stale old size is a 409 with the size the node cosigned.
    const stale = await post('org2', addCheckpointBody(8, 12));
    expect(stale.status).toBe(409);
    expect(stale.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(stale.text).toBe('12\n');

    const verifiers = [...witnesses.map((w) => cosignatureVerifier(w.vkey)), ed25519NoteVerifier(log.vkey)];
    for (const n of names) {
      const note = await waitFor(
        `${n} serves size 12 with three cosignatures`,
        async () => {
          const r = await http(`${net.proc(n).url}/${checkpointPath(ORIGIN)}`);
          if (r.status !== 200 || !r.text.includes('\n12\n')) return false;
          return openNote(r.text, verifiers).verified.length === 4 ? r.text : false;
        },
        30_000,
      );
      expect(note.startsWith(`${ORIGIN}\n12\n`)).toBe(true);
      // GET /witness/logs (and the dashboard's card) counts the three roster cosigners, not the log's signature.
      const logs = (await http(`${net.proc(n).url}/witness/logs`)).body.logs;
      expect(logs, n).toMatchObject([
        { origin: ORIGIN, log_format: 'tlog', cosigned: { size: 12n }, cosignatures: 3n },
      ]);
    }
  }, 90_000);

  it('a forked checkpoint shown to different nodes becomes a log-equivocation proof on every node', async () => {
    // One root for size 15 to org1, another, also signed by the log, to org2 (and then to org1 too: a 422).
    expect((await post('org1', addCheckpointBody(12, 15))).status).toBe(200);
    expect((await post('org2', addCheckpointBody(12, 15, forked))).status).toBe(200);
    expect((await post('org1', addCheckpointBody(15, 15, forked))).status).toBe(422);
    const ids = new Set<string>();
    for (const n of names) {
      const proof = await waitFor(
        `${n} holds a log-equivocation proof`,
        async () => {
          const r = await http(`${net.proc(n).url}/checkpoints/equivocations?origin=${encodeURIComponent(ORIGIN)}`);
          const list = (r.body.equivocations ?? []) as { id: string; kind: string; first: string; second: string }[];
          return list.find((p) => p.kind === 'log-equivocation');
        },
        30_000,
      );
      ids.add(proof.id);
      // Offline, with only the published roster file.
      const offline = loadRoster(net.roster);
      const check = checkCheckpointEquivocationProof({ first: proof.first, second: proof.second }, offline);
      expect(check).toMatchObject({ ok: true, kind: 'log-equivocation', origin: ORIGIN, size: 15n });
    }
    // One canonical proof of the fact everywhere.
    expect(ids.size).toBe(1);
  }, 90_000);
});
