// Cosigned checkpoints in the network (docs/c2sp.md, "Checkpoints in the network"): the roster's
// checkpoint origins, the gossip judgement of a checkpoint note, and checkpoint equivocation proofs of
// each kind, built and checked offline with only the roster, including forged and flipped notes.
import { describe, expect, it } from 'vitest';
import { akdCheckpointBody } from '../../src/c2sp/akd-checkpoint.js';
import { cosigner, cosignatureVerifier as cosVerifier } from '../../src/c2sp/cosignature.js';
import { ed25519NoteSigner, formatNote, openNote, parseNote, signNote } from '../../src/c2sp/signed-note.js';
import {
  buildCheckpointEquivocationProof,
  checkCheckpointEquivocationProof,
  checkpointProofId,
  decodeCheckpointProof,
  encodeCheckpointProof,
  type CheckpointEquivocationProof,
} from '../../src/consensus/checkpoint-equivocation.js';
import {
  checkCheckpointSignatures,
  decodeCheckpointNote,
  encodeCheckpointNote,
  judgeCheckpointNote,
  MAX_CHECKPOINT_NOTE_BYTES,
  signatureKey,
  type CheckpointSignature,
} from '../../src/consensus/checkpoint-rules.js';
import { Roster } from '../../src/consensus/roster.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { formatCheckpoint } from '../../src/c2sp/checkpoint.js';
import { toHex } from '../../src/util/bytes.js';
import { ConfigError, DecodeError } from '../../src/util/errors.js';

const keyA = signingKeyFromSeed(new Uint8Array(32).fill(1));
const keyB = signingKeyFromSeed(new Uint8Array(32).fill(2));
const keyC = signingKeyFromSeed(new Uint8Array(32).fill(3));
const outsider = signingKeyFromSeed(new Uint8Array(32).fill(9));
const logKey = signingKeyFromSeed(new Uint8Array(32).fill(7));
const AKD = 'whatsapp.kt/v2';
const TLOG = 'example.com/log';
const NOW = 1_800_000_000n;
const auditors = [
  { name: 'org-a', keys: [{ publicKey: keyA.publicKey, notBefore: 0n }], addresses: [], witnessName: 'org-a' },
  { name: 'org-b', keys: [{ publicKey: keyB.publicKey, notBefore: 0n }], addresses: [], witnessName: 'org-b' },
  { name: 'org-c', keys: [{ publicKey: keyC.publicKey, notBefore: 0n }], addresses: [], witnessName: 'org-c' },
];
const logSigner = ed25519NoteSigner(TLOG, logKey);
const roster = new Roster('ck', 2, auditors, [
  { name: 'wa', configuration: 'whatsapp_v1', checkpointOrigin: AKD },
  { name: 'tlog', configuration: 'whatsapp_v1', checkpointOrigin: TLOG, logVerifierKeys: [logSigner.vkey] },
]);
const cos = { a: cosigner('org-a', keyA), b: cosigner('org-b', keyB), c: cosigner('org-c', keyC) };
const body = (epoch: bigint, fill: number, origin = AKD): string =>
  origin === AKD
    ? akdCheckpointBody(origin, epoch, new Uint8Array(32).fill(fill))
    : formatCheckpoint({ origin, size: epoch, rootHash: new Uint8Array(32).fill(fill), extensions: [] });
const cosign = (text: string, who: (typeof cos)[keyof typeof cos][], ts = NOW - 10n, log = false): string => {
  const sigs = who.map((c) => c.cosign(text, ts));
  if (log)
    sigs.unshift({
      name: logSigner.name,
      keyId: logSigner.keyId,
      signature: logSigner.sign(new TextEncoder().encode(text)),
    });
  return formatNote({ text, signatures: sigs });
};
const judge = (note: string, held: string[] = []) =>
  judgeCheckpointNote(decodeCheckpointNote(note), {
    roster,
    nowSeconds: NOW,
    maxFutureSeconds: 600n,
    held: new Set(held),
  });
const verdict = (note: string, held: string[] = []) => {
  const v = judge(note, held);
  return `${v.outcome}/${v.reason}`;
};
const flip = (s: string, at: number): string => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);

describe('roster checkpoint origins', () => {
  const json = (namespaces: object[]) => ({
    network: 'ck',
    threshold: 1n,
    auditors: [{ name: 'org-a', public_key: toHex(keyA.publicKey) }],
    namespaces,
  });
  it('reads checkpoint_origin and answers originFacts', () => {
    const r = Roster.fromJson(json([{ name: 'wa', checkpoint_origin: AKD }, { name: 'other' }]));
    expect(r.namespace('wa')?.checkpointOrigin).toBe(AKD);
    expect(r.namespace('other')?.checkpointOrigin).toBeUndefined();
    expect(r.originFacts(AKD)).toEqual({ namespace: 'wa', logVerifiers: [] });
    expect(r.originFacts('meta.messenger.kt/v1')).toBeUndefined();
    expect(roster.originFacts(TLOG)?.logVerifiers.map((v) => v.name)).toEqual([TLOG]);
  });
  it('refuses an origin used twice or one with a control character', () => {
    const twice = json([
      { name: 'a', checkpoint_origin: AKD },
      { name: 'b', checkpoint_origin: AKD },
    ]);
    expect(() => Roster.fromJson(twice)).toThrow(
      /namespaces\.1\.checkpoint_origin.*already the origin of namespace "a"/,
    );
    expect(() => Roster.fromJson(json([{ name: 'a', checkpoint_origin: 'x\ty' }]))).toThrow(ConfigError);
    expect(() => Roster.fromJson(json([{ name: 'a', checkpoint_origin: 'x\ny' }]))).toThrow(/checkpoint_origin/);
  });
});

describe('the checkpoints topic judgement', () => {
  const text = body(5n, 1);
  it('accepts a note cosigned by roster witnesses and keeps only roster signatures', () => {
    const note = signNote(text, [ed25519NoteSigner('stranger', outsider)], [cos.a.cosign(text, NOW - 10n)]);
    const v = judge(note);
    if (v.outcome !== 'accept') throw new Error(`refused: ${v.reason}`);
    expect(v.value.signatures.map((s) => [s.signer, s.role, s.timestamp])).toEqual([['org-a', 'witness', NOW - 10n]]);
    expect(v.value.namespace).toBe('wa');
    expect(v.value.fresh).toHaveLength(1);
  });
  it('ignores what adds nothing, and notes of unknown origins', () => {
    const note = cosign(text, [cos.a, cos.b]);
    const keys = parseNote(note).signatures.map(signatureKey);
    expect(verdict(note, keys)).toBe('ignore/duplicate');
    expect(verdict(note, keys.slice(0, 1))).toBe('accept/valid');
    expect(verdict(cosign(body(5n, 1, 'unknown.example/log'), [cos.a]))).toBe('ignore/unknown-origin');
  });
  it('rejects forged, flipped, outsider-only, future-dated and log-less notes', () => {
    const note = cosign(text, [cos.a]);
    // Another root under the same cosignature: the body was changed after signing.
    const forged = note.replace(text, body(5n, 2));
    expect(verdict(forged)).toBe('reject/bad-signature');
    const sigLine = note.lastIndexOf('— org-a ') + 20;
    expect(verdict(flip(note, sigLine))).toBe('reject/bad-signature');
    expect(verdict(signNote(text, [ed25519NoteSigner('org-a', outsider)]))).toBe('reject/no-roster-signature');
    expect(verdict(cosign(text, [cos.a], NOW + 3600n))).toBe('reject/future-timestamp');
    const tlogText = body(10n, 3, TLOG);
    expect(verdict(cosign(tlogText, [cos.a]))).toBe('reject/no-log-signature');
    expect(verdict(cosign(tlogText, [cos.a], NOW - 10n, true))).toBe('accept/valid');
    // A log signature alone is not a cosigned checkpoint.
    expect(verdict(signNote(tlogText, [logSigner]))).toBe('reject/no-witness-cosignature');
  });
  it('rejects a cosignature dated before its key was valid', () => {
    const rotated = new Roster(
      'ck',
      1,
      [{ ...auditors[0]!, keys: [{ publicKey: keyA.publicKey, notBefore: NOW * 1000n }] }],
      [{ name: 'wa', configuration: 'whatsapp_v1', checkpointOrigin: AKD }],
    );
    const r = checkCheckpointSignatures(decodeCheckpointNote(cosign(text, [cos.a], NOW - 10n)), rotated, undefined);
    expect('ok' in r ? 'ok' : r.reason).toBe('key-not-valid');
  });
  it('decodes strictly, canonically and within the size bound', () => {
    const note = cosign(text, [cos.a, cos.b]);
    const bytes = new TextEncoder().encode(note);
    expect(encodeCheckpointNote(decodeCheckpointNote(bytes))).toEqual(bytes);
    expect(() => decodeCheckpointNote(note.replace('\n\n', '\n'))).toThrow(DecodeError);
    expect(() => decodeCheckpointNote('x'.repeat(MAX_CHECKPOINT_NOTE_BYTES + 1))).toThrow(/over/);
    // A note whose text is not a checkpoint.
    expect(() => decodeCheckpointNote(signNote('hello\n', [ed25519NoteSigner('x', outsider)]))).toThrow(DecodeError);
  });
});

describe('checkpoint equivocation proofs', () => {
  const signed = (note: string): { text: string; signatures: CheckpointSignature[] } => {
    const r = checkCheckpointSignatures(decodeCheckpointNote(note), roster, undefined);
    if (!('ok' in r)) throw new Error(r.reason);
    return { text: parseNote(note).text, signatures: r.signatures };
  };
  const one = body(8n, 1);
  const two = body(8n, 2);
  const build = (x: string, y: string) => {
    const built = buildCheckpointEquivocationProof(signed(x), signed(y));
    if (!built) throw new Error('no proof');
    return built;
  };

  it('split-view: different witnesses cosigned different bodies', () => {
    const { proof, kind } = build(cosign(one, [cos.a]), cosign(two, [cos.b, cos.c]));
    expect(kind).toBe('split-view');
    const check = checkCheckpointEquivocationProof(proof, roster);
    expect(check).toMatchObject({
      ok: true,
      kind: 'split-view',
      origin: AKD,
      namespace: 'wa',
      size: 8n,
      signers: ['org-a', 'org-b'],
    });
    // Each side keeps one signature: the proof is the same whichever extra cosignatures were held.
    expect(build(cosign(two, [cos.b]), cosign(one, [cos.a]))).toEqual({ proof, kind });
    // Verifiable with any signed-note verifier and the roster's vkeys.
    for (const n of [proof.first, proof.second])
      expect(
        openNote(
          n,
          roster.witnessVerifierKeys().map((k) => cosVerifier(k.vkey)),
        ).verified,
      ).toHaveLength(1);
  });

  it('witness-equivocation: one witness cosigned both bodies (convicted)', () => {
    const { proof, kind } = build(cosign(one, [cos.a, cos.b]), cosign(two, [cos.c, cos.b]));
    expect(kind).toBe('witness-equivocation');
    expect(checkCheckpointEquivocationProof(proof, roster)).toMatchObject({
      ok: true,
      kind,
      signers: ['org-b', 'org-b'],
    });
  });

  it('log-equivocation: the log signed both bodies', () => {
    const t1 = body(9n, 1, TLOG);
    const t2 = body(9n, 2, TLOG);
    const { proof, kind } = build(cosign(t1, [cos.a], NOW - 10n, true), cosign(t2, [cos.b], NOW - 10n, true));
    expect(kind).toBe('log-equivocation');
    const check = checkCheckpointEquivocationProof(proof, roster);
    expect(check).toMatchObject({ ok: true, kind, namespace: 'tlog', signers: ['log:tlog', 'log:tlog'] });
    // Two notes only the log signed prove the same.
    const bare: CheckpointEquivocationProof = { first: signNote(t1, [logSigner]), second: signNote(t2, [logSigner]) };
    const [f, s] = [bare.first, bare.second].sort((x, y) => (parseNote(x).text < parseNote(y).text ? -1 : 1));
    expect(checkCheckpointEquivocationProof({ first: f!, second: s! }, roster)).toMatchObject({ ok: true, kind });
  });

  it('refuses proofs that prove nothing or were tampered with', () => {
    const { proof } = build(cosign(one, [cos.a]), cosign(two, [cos.b]));
    const reason = (p: CheckpointEquivocationProof) => {
      const c = checkCheckpointEquivocationProof(p, roster);
      return c.ok ? 'ok' : c.reason;
    };
    expect(reason({ first: proof.second, second: proof.first })).toBe('not-canonical');
    expect(reason({ first: proof.first, second: proof.first })).toBe('same-body');
    expect(reason({ first: proof.first, second: cosign(body(9n, 2), [cos.b]) })).toBe('size-mismatch');
    // The body of the second note changed under its cosignature.
    const forged = proof.second.replace(two, body(8n, 3));
    expect(reason({ first: proof.first, second: forged })).toBe('bad-signature');
    expect(reason({ first: proof.first, second: flip(proof.second, proof.second.length - 10) })).toBe('bad-signature');
    expect(reason({ first: proof.first, second: signNote(two, [ed25519NoteSigner('org-b', outsider)]) })).toBe(
      'unknown-signer',
    );
    expect(reason({ first: proof.first, second: 'not a note' })).toBe('malformed');
    const otherRoster = new Roster('ck', 1, auditors, []);
    const c = checkCheckpointEquivocationProof(proof, otherRoster);
    expect(c.ok ? 'ok' : c.reason).toBe('unknown-origin');
  });

  it('encodes canonically and has a stable id', () => {
    const { proof } = build(cosign(one, [cos.a]), cosign(two, [cos.b]));
    const bytes = encodeCheckpointProof(proof);
    expect(decodeCheckpointProof(bytes)).toEqual(proof);
    expect(checkpointProofId(proof)).toMatch(/^[0-9a-f]{64}$/);
    expect(() => decodeCheckpointProof(new Uint8Array([0x0a, 0xff]))).toThrow(DecodeError);
  });
});
