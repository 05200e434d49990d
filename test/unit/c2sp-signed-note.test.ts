// Signed notes (src/c2sp/signed-note.ts) against the examples of c2sp.org/signed-note, Go's
// golang.org/x/mod/sumdb/note (the PeterNeumann vector) and a real CT log checkpoint; then rejections.
import { describe, expect, it } from 'vitest';
import {
  C2spFormatError,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatNote,
  formatVerifierKey,
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  noteKeyId,
  NoteVerificationError,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
  SIG_TYPE_ED25519,
} from '../../src/c2sp/index.js';

// c2sp.org/signed-note, "Verifier keys" example.
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE =
  'This is an example message.\n\n' +
  '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
// c2sp.org/signed-note, the first example (no key published): parse only.
const QUASIMODO =
  'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n' +
  '— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n';
// golang.org/x/mod/sumdb/note documentation example.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY_B64 = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_NOTE =
  PETER_TEXT +
  '\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
// transparency-dev/formats test key whose base64 contains '+'.
const PLUS_VKEY = 'TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6';

function flipChar(s: string, index: number): string {
  const c = s[index] === 'A' ? 'B' : 'A';
  return s.slice(0, index) + c + s.slice(index + 1);
}

describe('signed-note: the spec examples', () => {
  it('verifies the spec example note with the spec example vkey', () => {
    const opened = openNote(SPEC_NOTE, [ed25519NoteVerifier(SPEC_VKEY)]);
    expect(opened.note.text).toBe('This is an example message.\n');
    expect(opened.verified).toHaveLength(1);
    expect(opened.verified[0]?.signature.keyId).toBe(0x530d903a);
    expect(opened.unknown).toEqual([]);
  });

  it('parses the poem note: the text keeps its inner blank line, the split is at the last one', () => {
    const note = parseNote(QUASIMODO);
    expect(note.text).toBe(
      'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n',
    );
    expect(note.signatures).toHaveLength(1);
    expect(note.signatures[0]?.name).toBe('quasimodo.example/salvatore');
    expect(note.signatures[0]?.keyId).toBe(0x367ba04b);
    expect(note.signatures[0]?.signature).toHaveLength(64);
    expect(formatNote(note)).toBe(QUASIMODO);
  });

  it('parses vkeys, recomputes their key IDs and writes them back byte for byte', () => {
    for (const vkey of [SPEC_VKEY, PETER_VKEY, PLUS_VKEY]) {
      const key = parseVerifierKey(vkey);
      expect(key.type).toBe(SIG_TYPE_ED25519);
      expect(noteKeyId(key.name, key.type, key.publicKey)).toBe(key.keyId);
      expect(formatVerifierKey(key.name, key.type, key.publicKey)).toBe(vkey);
    }
    expect(parseVerifierKey(PLUS_VKEY).name).toBe('TEST');
  });

  it('reproduces the Go sumdb/note signature exactly from its private key (Ed25519 is deterministic)', () => {
    const seed = new Uint8Array(Buffer.from(PETER_SKEY_B64, 'base64')).subarray(1);
    const signer = ed25519NoteSigner('PeterNeumann', seed);
    expect(signer.vkey).toBe(PETER_VKEY);
    expect(signNote(PETER_TEXT, [signer])).toBe(PETER_NOTE);
    expect(openNote(PETER_NOTE, [ed25519NoteVerifier(PETER_VKEY)]).note.text).toBe(PETER_TEXT);
  });
});

describe('signed-note: verification rules', () => {
  const verifier = ed25519NoteVerifier(SPEC_VKEY);

  it('keeps signatures of unknown keys but does not trust them', () => {
    const peter = ed25519NoteSigner('PeterNeumann', new Uint8Array(32).fill(7));
    const note = signNote('This is an example message.\n', [peter], parseNote(SPEC_NOTE).signatures);
    const opened = openNote(note, [verifier]);
    expect(opened.verified.map((v) => v.signature.name)).toEqual(['example.com/foo']);
    expect(opened.unknown.map((s) => s.name)).toEqual(['PeterNeumann']);
  });

  it('ignores a signature that shares only the name, or only the key ID, with a known key', () => {
    const sig = parseNote(SPEC_NOTE).signatures[0];
    if (sig === undefined) throw new Error('fixture');
    const renamed = formatNote({
      text: 'This is an example message.\n',
      signatures: [{ ...sig, name: 'example.com/bar' }],
    });
    const otherId = formatNote({ text: 'This is an example message.\n', signatures: [{ ...sig, keyId: 0x530d903b }] });
    for (const note of [renamed, otherId]) {
      const err = (() => {
        try {
          openNote(note, [verifier]);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(NoteVerificationError);
      expect((err as NoteVerificationError).reason).toBe('no-known-signature');
    }
  });

  it('rejects the whole note when a known key signature fails (flipped byte, other text)', () => {
    const b64Start = SPEC_NOTE.lastIndexOf(' ') + 1;
    // Flip inside the Ed25519 signature, after the 4-byte key ID (the first 8 base64 characters hold it).
    const flipped = flipChar(SPEC_NOTE, b64Start + 20);
    expect(() => openNote(flipped, [verifier])).toThrow(/does not verify/);
    const otherText = SPEC_NOTE.replace('example message', 'exbmple message');
    expect(() => openNote(otherText, [verifier])).toThrow(NoteVerificationError);
    // A known bad signature rejects even when another known signature verifies.
    const bad = parseNote(flipped).signatures[0];
    const good = parseNote(SPEC_NOTE).signatures[0];
    if (bad === undefined || good === undefined) throw new Error('fixture');
    const both = formatNote({ text: 'This is an example message.\n', signatures: [good, bad] });
    expect(() => openNote(both, [verifier])).toThrow(/does not verify/);
  });

  it('counts one key once even if it signed twice', () => {
    const sig = parseNote(SPEC_NOTE).signatures[0];
    if (sig === undefined) throw new Error('fixture');
    const twice = formatNote({ text: 'This is an example message.\n', signatures: [sig, sig] });
    expect(openNote(twice, [verifier]).verified).toHaveLength(1);
  });

  it('signs and verifies a round trip with several signers, in order', () => {
    const a = ed25519NoteSigner('a.example/1', new Uint8Array(32).fill(1));
    const b = ed25519NoteSigner('b.example/2', new Uint8Array(32).fill(2));
    const note = signNote('hello\n\nworld\n', [a, b]);
    const opened = openNote(note, [ed25519NoteVerifier(b.vkey), ed25519NoteVerifier(a.vkey)]);
    expect(opened.note.text).toBe('hello\n\nworld\n');
    expect(opened.verified.map((v) => v.signature.name)).toEqual(['a.example/1', 'b.example/2']);
    expect(formatNote(parseNote(note))).toBe(note);
  });
});

describe('signed-note: strict parsing', () => {
  const rejects = (input: string | Uint8Array, pattern: RegExp) => {
    expect(() => parseNote(input)).toThrow(C2spFormatError);
    expect(() => parseNote(input)).toThrow(pattern);
  };

  it('rejects malformed notes with a clear error', () => {
    rejects('no blank line\n— example.com/foo AAAAAAA=\n', /no blank line/);
    rejects('text\n\n', /no signature lines/);
    rejects(SPEC_NOTE.slice(0, -1), /end with a newline/);
    rejects(SPEC_NOTE.replace('— ', '- '), /does not start with "— "/);
    rejects(SPEC_NOTE.replace('— ', '—  '), /key name is empty/);
    rejects(SPEC_NOTE.replace('example.com/foo ', 'example.com/foo  '), /base64/);
    rejects(SPEC_NOTE.replace('example.com/foo ', 'example.com+foo '), /space or "\+"/);
    rejects(SPEC_NOTE.replace('example.com/foo ', 'example.com/foo\u00a0x '), /space or "\+"/);
    rejects(SPEC_NOTE.replace('=\n', '\n'), /base64/);
    rejects(SPEC_NOTE.replace('IneyaQM=', 'IneyaQN='), /canonical/);
    rejects('text\n\n— a AAAA\n', /shorter than a key ID/);
    rejects(SPEC_NOTE + '\n', /no signature lines|does not start/);
    rejects(SPEC_NOTE.replace('This is', 'This\tis'), /control character 0x09/);
    rejects(SPEC_NOTE.replace('\n\n', '\r\n\n'), /control character 0x0d/);
  });

  it('rejects invalid UTF-8 bytes and lone surrogates', () => {
    const bytes = new Uint8Array(Buffer.from(SPEC_NOTE, 'utf8'));
    bytes[2] = 0xff;
    rejects(bytes, /UTF-8/);
    rejects('\ud800' + SPEC_NOTE, /UTF-8/);
    expect(parseNote(new Uint8Array(Buffer.from(SPEC_NOTE, 'utf8'))).text).toBe('This is an example message.\n');
  });

  it('rejects oversize notes and too many signatures, accepts the 16 the spec requires', () => {
    rejects('x'.repeat(MAX_NOTE_BYTES) + '\n\n— a AAAAAAA=\n', /larger than/);
    const line = parseNote(SPEC_NOTE).signatures[0];
    if (line === undefined) throw new Error('fixture');
    const many = (n: number) => formatNote({ text: 'This is an example message.\n', signatures: Array(n).fill(line) });
    expect(parseNote(many(16)).signatures).toHaveLength(16);
    rejects(many(MAX_NOTE_SIGNATURES + 1), /more than/);
  });

  it('rejects bad vkeys', () => {
    const bad = [
      'example.com/foo',
      'example.com/foo+530d903a',
      SPEC_VKEY.replace('530d903a', '530d903b'),
      SPEC_VKEY.replace('530d903a', '530D903A'),
      SPEC_VKEY.replace('530d903a', '530d903'),
      SPEC_VKEY + '!',
      SPEC_VKEY.replace('example.com/foo', 'a b'),
      'a+00000000+',
      'a+00000000+AQ==',
    ];
    for (const vkey of bad) expect(() => parseVerifierKey(vkey), vkey).toThrow(C2spFormatError);
    expect(() => ed25519NoteVerifier(formatVerifierKey('w', 0x04, new Uint8Array(32).fill(9)))).toThrow(/not Ed25519/);
  });

  it('refuses to sign text that is not note text', () => {
    const s = ed25519NoteSigner('a', new Uint8Array(32));
    expect(() => signNote('no newline', [s])).toThrow(/newline/);
    expect(() => signNote('bell\u0007\n', [s])).toThrow(/control character/);
    expect(() => ed25519NoteSigner('bad name', new Uint8Array(32))).toThrow(/space/);
  });
});
