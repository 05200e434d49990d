// tlog-witness add-checkpoint (src/c2sp/witness-request.ts): the spec's example request and response,
// then a log built in the test (RFC 6962 tree, Ed25519 checkpoint signatures) walked through every status.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkpointPath,
  consistencyProof,
  cosigner,
  cosignatureVerifier,
  decideAddCheckpoint,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  EMPTY_ROOT,
  formatAddCheckpointRequest,
  formatAddCheckpointResponse,
  formatCheckpoint,
  formatConflictBody,
  leafHash,
  MAX_ADD_CHECKPOINT_BYTES,
  openNote,
  parseAddCheckpointRequest,
  parseAddCheckpointResponse,
  parseConflictBody,
  rootOf,
  signNote,
  TLOG_SIZE_CONTENT_TYPE,
  WitnessRequestError,
  type AddCheckpointDecision,
  type WitnessLogState,
} from '../../src/c2sp/index.js';
import { SPEC_REQUEST } from '../support/c2sp-spec-examples.js';

const SPEC_RESPONSE =
  '— witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==\n' +
  '— witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt64vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==\n' +
  '— witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==\n';

function status(fn: () => unknown): number | null {
  try {
    fn();
  } catch (err) {
    if (err instanceof WitnessRequestError) return err.status;
    throw err;
  }
  return null;
}

describe('tlog-witness: spec examples', () => {
  it('parses the example request and writes it back byte for byte', () => {
    const req = parseAddCheckpointRequest(SPEC_REQUEST);
    expect(req.oldSize).toBe(20852014n);
    expect(req.proof).toHaveLength(4);
    expect(req.checkpoint.origin).toBe('example.com/behind-the-sofa');
    expect(req.checkpoint.size).toBe(20852163n);
    expect(req.note.signatures).toHaveLength(2);
    const note = SPEC_REQUEST.slice(SPEC_REQUEST.indexOf('\n\n') + 2);
    expect(formatAddCheckpointRequest(req.oldSize, req.proof, note)).toBe(SPEC_REQUEST);
  });

  it('parses the example response (ML-DSA-sized lines are just longer signatures) and writes it back', () => {
    const sigs = parseAddCheckpointResponse(SPEC_RESPONSE);
    expect(sigs.map((s) => s.name)).toEqual(['witness.example/w1', 'witness.example/w1', 'witness.example/w2']);
    expect(sigs.every((s) => s.signature.length === 72)).toBe(true);
    expect(formatAddCheckpointResponse(sigs)).toBe(SPEC_RESPONSE);
  });

  it('409 body and content type, monitoring path', () => {
    expect(TLOG_SIZE_CONTENT_TYPE).toBe('text/x.tlog.size');
    expect(formatConflictBody(20852014n)).toBe('20852014\n');
    expect(parseConflictBody('20852014\n')).toBe(20852014n);
    expect(() => parseConflictBody('20852014')).toThrow();
    const want = createHash('sha256').update('example.com/behind-the-sofa').digest('hex');
    expect(checkpointPath('example.com/behind-the-sofa')).toBe(`${want}/checkpoint`);
    expect(checkpointPath('whatsapp.kt/v2')).toMatch(/^[0-9a-f]{64}\/checkpoint$/);
  });
});

describe('tlog-witness: malformed requests are 400', () => {
  const body = SPEC_REQUEST;
  const cases: [string, string][] = [
    ['no old line', body.replace('old 20852014\n', '')],
    ['old with leading zero', body.replace('old 20852014', 'old 020852014')],
    ['old with two spaces', body.replace('old 20852014', 'old  20852014')],
    ['old negative', body.replace('old 20852014', 'old -1')],
    ['old above the checkpoint size', body.replace('old 20852014', 'old 20852164')],
    ['proof line not base64', body.replace('PlRNCrwH', 'PlRN*rwH')],
    ['proof line of 31 bytes', body.replace('PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=', 'AAAA')],
    ['proof line with a trailing space', body.replace('pkaw=\n', 'pkaw= \n')],
    ['no empty line', body.replace('\n\nexample.com', '\nexample.com')],
    ['checkpoint without signatures', body.slice(0, body.lastIndexOf('\n\n') + 2)],
    ['checkpoint size not decimal', body.replace('20852163', '2085216x')],
    ['CRLF line ends', body.replace(/\n/g, '\r\n')],
    [
      '64 proof lines',
      body.replace('old 20852014\n', 'old 20852014\n' + 'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n'.repeat(60)),
    ],
  ];
  for (const [name, text] of cases) {
    it(name, () => expect(status(() => parseAddCheckpointRequest(text))).toBe(400));
  }
  it('invalid UTF-8 and oversize bodies', () => {
    const bytes = new Uint8Array(Buffer.from(body));
    bytes[body.length - 5] = 0xc3;
    expect(status(() => parseAddCheckpointRequest(bytes))).toBe(400);
    expect(status(() => parseAddCheckpointRequest('old 0\n\n' + 'x'.repeat(MAX_ADD_CHECKPOINT_BYTES)))).toBe(400);
  });
  it('63 proof lines still parse', () => {
    const text = body.replace(
      'old 20852014\n',
      'old 20852014\n' + 'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n'.repeat(59),
    );
    expect(parseAddCheckpointRequest(text).proof).toHaveLength(63);
  });
});

describe('tlog-witness: a test log through add-checkpoint', () => {
  const ORIGIN = 'log.chorus.test/one';
  const log = ed25519NoteSigner(ORIGIN, new Uint8Array(32).fill(11));
  const stranger = ed25519NoteSigner(ORIGIN, new Uint8Array(32).fill(12));
  const leaves = Array.from({ length: 40 }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));
  const witness = cosigner('witness.chorus.test/w1', new Uint8Array(32).fill(13));

  const body = (size: number, root = rootOf(leaves.slice(0, size))) =>
    formatCheckpoint({ origin: ORIGIN, size: BigInt(size), rootHash: root, extensions: [] });
  const request = (
    oldSize: number,
    size: number,
    opts: { signer?: typeof log; proof?: Uint8Array[]; root?: Uint8Array } = {},
  ) =>
    parseAddCheckpointRequest(
      formatAddCheckpointRequest(
        BigInt(oldSize),
        opts.proof ?? consistencyProof(leaves.slice(0, size), oldSize),
        signNote(body(size, opts.root), [opts.signer ?? log]),
      ),
    );

  /** The witness's per-log state, updated only on 200 (the caller's persistence in the real witness). */
  function makeWitness() {
    const state: WitnessLogState = { verifiers: [ed25519NoteVerifier(log.vkey)], latest: null };
    return {
      state,
      submit(req: ReturnType<typeof request>): AddCheckpointDecision {
        const d = decideAddCheckpoint(req, req.checkpoint.origin === ORIGIN ? state : null);
        if (d.status === 200) state.latest = { size: d.checkpoint.size, rootHash: d.checkpoint.rootHash };
        return d;
      },
    };
  }

  it('cosigns a growing log from size 0, and the cosigned note verifies with a standard note verifier', () => {
    const w = makeWitness();
    let old = 0;
    for (const size of [1, 2, 3, 7, 8, 9, 16, 17, 31, 40]) {
      const d = w.submit(request(old, size));
      expect(d.status, `${old} -> ${size}`).toBe(200);
      if (d.status !== 200) continue;
      expect(d.logSignatures.map((s) => s.name)).toEqual([ORIGIN]);
      const text = formatCheckpoint(d.checkpoint);
      const cosig = witness.cosign(text, 1_700_000_000n + BigInt(size));
      const response = formatAddCheckpointResponse([cosig]);
      const note = signNote(text, [log]) + response;
      const opened = openNote(note, [ed25519NoteVerifier(log.vkey), cosignatureVerifier(witness.vkey)]);
      expect(opened.verified).toHaveLength(2);
      old = size;
    }
    expect(w.state.latest?.size).toBe(40n);
    // Resubmitting the same checkpoint is fine (equal sizes, equal roots).
    expect(w.submit(request(40, 40)).status).toBe(200);
  });

  it('404 for an unknown origin, 403 for a missing or bad log signature', () => {
    const w = makeWitness();
    const other = parseAddCheckpointRequest(
      formatAddCheckpointRequest(
        0n,
        [],
        signNote('other.log/x\n1\n' + Buffer.from(leaves[0] as Uint8Array).toString('base64') + '\n', [log]),
      ),
    );
    expect(w.submit(other).status).toBe(404);
    expect(w.submit(request(0, 5, { signer: stranger })).status).toBe(403);
    const good = request(0, 5);
    const sig = good.note.signatures[0];
    if (sig === undefined) throw new Error('fixture');
    const flipped = new Uint8Array(sig.signature);
    flipped[10] = (flipped[10] as number) ^ 1;
    const bad = { ...good, note: { ...good.note, signatures: [{ ...sig, signature: flipped }] } };
    expect(w.submit(bad).status).toBe(403);
    expect(w.state.latest).toBeNull();
  });

  it("409 with the latest size when the old size is not the witness's", () => {
    const w = makeWitness();
    expect(w.submit(request(0, 10)).status).toBe(200);
    const d = w.submit(request(5, 20));
    expect(d).toMatchObject({ status: 409, latestSize: 10n });
    expect(w.submit(request(0, 20)).status).toBe(409);
    expect(w.state.latest?.size).toBe(10n);
  });

  it('422 for a bad empty root, a proof from 0, a same-size fork and a failing proof, with the evidence', () => {
    const w = makeWitness();
    expect(w.submit(request(0, 0, { root: new Uint8Array(32).fill(1) })).status).toBe(422);
    expect(w.submit(request(0, 0, { root: EMPTY_ROOT })).status).toBe(200);
    expect(w.submit(request(0, 10, { proof: [leaves[0] as Uint8Array] })).status).toBe(422);
    expect(w.submit(request(0, 10)).status).toBe(200);
    const fork = w.submit(request(10, 10, { root: new Uint8Array(32).fill(7) }));
    expect(fork.status).toBe(422);
    if (fork.status === 422) expect(fork.checkpoint?.size).toBe(10n);
    // A proof for another tree: the fork is signed by the log, so the witness keeps it as evidence.
    const forked = leaves.slice(0, 20).map((h, i) => (i === 3 ? leafHash(Uint8Array.of(99)) : h));
    const bad = w.submit(request(10, 20, { root: rootOf(forked), proof: consistencyProof(forked, 10) }));
    expect(bad.status).toBe(422);
    expect(w.state.latest?.size).toBe(10n);
    expect(w.submit(request(10, 20)).status).toBe(200);
  });
});
