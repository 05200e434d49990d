// Checkpoints, cosignature/v1 and the AKD epoch mapping (src/c2sp/checkpoint.ts, cosignature.ts,
// akd-checkpoint.ts) against the examples of c2sp.org/tlog-checkpoint and tlog-cosignature, a real CT
// log checkpoint with a real witness cosignature, and kt-witness's docs/akd-checkpoint.md worked example.
import { describe, expect, it } from 'vitest';
import {
  akdCheckpointBody,
  akdCheckpointFromAuditKey,
  AKD_ORIGINS,
  C2spFormatError,
  cosignatureTimestamp,
  cosignatureVerifier,
  cosignedMessage,
  cosigner,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatCheckpoint,
  formatNote,
  openNote,
  parseAkdCheckpointBody,
  parseCheckpoint,
  parseNote,
  signNote,
  verifyCosignature,
} from '../../src/c2sp/index.js';

const SOFA_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SOFA_LOG_SIG =
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
const SOFA_WITNESS_SIG =
  '— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';

// A real checkpoint of the arche2025h1 staging CT log with real witness cosignatures (as published in
// the tests of an independent Python signed-note library).
const ARCHE_NOTE =
  'arche2025h1.staging.ct.transparency.dev\n1432088532\nU7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n\n' +
  '— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n' +
  '— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n' +
  '— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n' +
  '— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n' +
  '— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n' +
  '— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n';
const ARCHE_LOG_VKEY = 'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f';
const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';

describe('checkpoint body', () => {
  it('parses the spec example and formats it back byte for byte', () => {
    const note = parseNote(SOFA_BODY + '\n' + SOFA_LOG_SIG);
    const cp = parseCheckpoint(note.text);
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163n);
    expect(Buffer.from(cp.rootHash).toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(cp.extensions).toEqual([]);
    expect(formatCheckpoint(cp)).toBe(SOFA_BODY);
  });

  it('keeps extension lines and exact sizes up to 2^63-1', () => {
    const text = 'o\n9223372036854775807\n' + 'A'.repeat(43) + '=\next one\next two\n';
    const cp = parseCheckpoint(text);
    expect(cp.size).toBe(9223372036854775807n);
    expect(cp.extensions).toEqual(['ext one', 'ext two']);
    expect(formatCheckpoint(cp)).toBe(text);
    expect(parseCheckpoint('o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n').size).toBe(0n);
  });

  it('rejects every malformation', () => {
    const root = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';
    const bad: [string, RegExp][] = [
      [`o\n1\n${root}`, /newline/],
      [`o\n1\n`, /origin, a size and a root/],
      [`\n1\n${root}\n`, /origin line is empty/],
      [`o\n01\n${root}\n`, /leading zeroes/],
      [`o\n+1\n${root}\n`, /decimal/],
      [`o\n 1\n${root}\n`, /decimal/],
      [`o\n1 \n${root}\n`, /decimal/],
      [`o\n-1\n${root}\n`, /decimal/],
      [`o\n9223372036854775808\n${root}\n`, /2\^63-1/],
      [`o\n1\n${root.slice(0, -1)}\n`, /base64/],
      [`o\n1\n${root.replace('/', '_')}\n`, /base64/],
      [`o\n1\n${root} \n`, /base64/],
      [`o\n1\nAAAA\n`, /32 bytes/],
      [`o\n1\n${root}\n\n`, /extension line 1 is empty/],
      [`o\n1\n${root}\next\r\n`, /control character/],
    ];
    for (const [text, pattern] of bad) {
      expect(() => parseCheckpoint(text), JSON.stringify(text)).toThrow(C2spFormatError);
      expect(() => parseCheckpoint(text), JSON.stringify(text)).toThrow(pattern);
    }
    const ok = parseCheckpoint(SOFA_BODY);
    expect(() => formatCheckpoint({ ...ok, size: -1n })).toThrow(C2spFormatError);
    expect(() => formatCheckpoint({ ...ok, origin: 'a\nb' })).toThrow(C2spFormatError);
    expect(() => formatCheckpoint({ ...ok, extensions: [''] })).toThrow(C2spFormatError);
    expect(() => formatCheckpoint({ ...ok, rootHash: new Uint8Array(31) })).toThrow(C2spFormatError);
  });
});

describe('cosignature/v1', () => {
  it('builds the signed message exactly as the spec shows it', () => {
    const message = Buffer.from(cosignedMessage(SOFA_BODY, 1679315147n)).toString('utf8');
    expect(message).toBe(
      'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
  });

  it('reads the timestamp of the spec example cosignature (the same time as its message example)', () => {
    const note = parseNote(SOFA_BODY + '\n' + SOFA_LOG_SIG + SOFA_WITNESS_SIG);
    const sig = note.signatures[1];
    expect(sig?.name).toBe('witness.example.com/w1');
    expect(sig?.keyId).toBe(0x8d66cf3f);
    expect(cosignatureTimestamp(sig?.signature ?? new Uint8Array())).toBe(1679315147n);
  });

  it('verifies a real CT checkpoint: log signature (0x01) and the remora cosignature (0x04)', () => {
    const opened = openNote(ARCHE_NOTE, [ed25519NoteVerifier(ARCHE_LOG_VKEY), cosignatureVerifier(REMORA_VKEY)]);
    expect(opened.verified.map((v) => v.verifier.name)).toEqual([
      'arche2025h1.staging.ct.transparency.dev',
      'remora.n621.de',
    ]);
    // The first log line is a type 0x05 RFC 6962 signature: a different key ID, so ignored.
    expect(opened.unknown).toHaveLength(4);
    const remora = opened.verified[1]?.signature;
    if (remora === undefined) throw new Error('fixture');
    expect(verifyCosignature(REMORA_VKEY, opened.note.text, remora)).toBe(0x6a122120n);
    // The same cosignature over a clobbered size fails.
    const clobbered = opened.note.text.replace('1432088532', '42');
    expect(() => verifyCosignature(REMORA_VKEY, clobbered, remora)).toThrow(/does not verify/);
    expect(() => openNote(clobbered + '\n' + ARCHE_NOTE.split('\n\n')[1], [cosignatureVerifier(REMORA_VKEY)])).toThrow(
      /does not verify/,
    );
  });

  it('cosigns, verifies, and rejects a wrong time, a flipped byte, another key and a non-checkpoint', () => {
    const w = cosigner('witness.chorus.example/n1', new Uint8Array(32).fill(3));
    const sig = w.cosign(SOFA_BODY, 1700000000n);
    expect(sig.signature).toHaveLength(72);
    expect(verifyCosignature(w.vkey, SOFA_BODY, sig)).toBe(1700000000n);
    expect(w.vkey.startsWith('witness.chorus.example/n1+')).toBe(true);

    const note = SOFA_BODY + '\n' + SOFA_LOG_SIG + formatNote({ text: SOFA_BODY, signatures: [sig] }).split('\n\n')[1];
    const opened = openNote(note, [cosignatureVerifier(w.vkey)]);
    expect(opened.verified).toHaveLength(1);

    const otherTime = new Uint8Array(sig.signature);
    otherTime[7] = (otherTime[7] as number) ^ 1;
    expect(() => verifyCosignature(w.vkey, SOFA_BODY, { ...sig, signature: otherTime })).toThrow(/does not verify/);
    const flipped = new Uint8Array(sig.signature);
    flipped[40] = (flipped[40] as number) ^ 0x80;
    expect(() => verifyCosignature(w.vkey, SOFA_BODY, { ...sig, signature: flipped })).toThrow(/does not verify/);
    const other = cosigner('witness.chorus.example/n1', new Uint8Array(32).fill(4));
    expect(() => verifyCosignature(other.vkey, SOFA_BODY, sig)).toThrow(/not by|does not verify/);
    // A cosignature is not an Ed25519 note signature: the same key as type 0x01 has another key ID.
    const asNoteSigner = ed25519NoteSigner('witness.chorus.example/n1', new Uint8Array(32).fill(3));
    expect(asNoteSigner.keyId).not.toBe(w.keyId);
    // Over text that is not a checkpoint, no cosignature verifies.
    const notCp = signNote('just text\n', [asNoteSigner]);
    const forged = formatNote({ text: 'just text\n', signatures: [sig] });
    expect(() => openNote(forged, [cosignatureVerifier(w.vkey)])).toThrow(/does not verify/);
    expect(parseNote(notCp).text).toBe('just text\n');
  });

  it('keeps u64 timestamps exact and refuses those above 2^63-1', () => {
    const w = cosigner('w', new Uint8Array(32).fill(5));
    const max = (1n << 63n) - 1n;
    expect(verifyCosignature(w.vkey, SOFA_BODY, w.cosign(SOFA_BODY, max))).toBe(max);
    expect(() => w.cosign(SOFA_BODY, 1n << 63n)).toThrow(C2spFormatError);
    const sig = w.cosign(SOFA_BODY, 1n);
    const high = new Uint8Array(sig.signature);
    high[0] = 0x80;
    expect(() => verifyCosignature(w.vkey, SOFA_BODY, { ...sig, signature: high })).toThrow(/does not verify/);
    expect(() => cosignatureTimestamp(new Uint8Array(64))).toThrow(/72 bytes/);
  });
});

describe('AKD epoch → checkpoint body (kt-witness docs/akd-checkpoint.md)', () => {
  const CURR = '3f0a9c1d4e7b2856a1c09fd3b6e45102778bd4a90c3e5f61829d47ba0e5c3311';
  const EXPECTED = 'meta.messenger.kt/v1\n624784\nPwqcHU57KFahwJ/TtuRRAneL1KkMPl9hgp1Hug5cMxE=\n';

  it('reproduces the worked example byte for byte (73 bytes)', () => {
    const body = akdCheckpointBody(AKD_ORIGINS.messenger, 624784n, new Uint8Array(Buffer.from(CURR, 'hex')));
    expect(body).toBe(EXPECTED);
    expect(Buffer.byteLength(body)).toBe(73);
    expect(akdCheckpointFromAuditKey('meta.messenger.kt/v1', `624784/${'0'.repeat(64)}/${CURR}`)).toBe(EXPECTED);
  });

  it('uses the published origins and parses its own bodies back', () => {
    expect(AKD_ORIGINS).toEqual({ whatsapp: 'whatsapp.kt/v2', messenger: 'meta.messenger.kt/v1' });
    const root = new Uint8Array(32).fill(0xab);
    const body = akdCheckpointBody(AKD_ORIGINS.whatsapp, 0n, root);
    expect(body).toBe('whatsapp.kt/v2\n0\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n');
    expect(parseAkdCheckpointBody(body, 'whatsapp.kt/v2')).toEqual({ origin: 'whatsapp.kt/v2', epoch: 0n, root });
    expect(() => parseAkdCheckpointBody(body, 'meta.messenger.kt/v1')).toThrow(/expected/);
    expect(() => parseAkdCheckpointBody(body.replace(/\n$/, '\next\n'))).toThrow(/exactly three lines/);
  });

  it('refuses epochs beyond int64, wrong digest lengths, bad origins and bad audit keys', () => {
    expect(() => akdCheckpointBody('whatsapp.kt/v2', 1n << 63n, new Uint8Array(32))).toThrow(C2spFormatError);
    expect(() => akdCheckpointBody('whatsapp.kt/v2', -1n, new Uint8Array(32))).toThrow(C2spFormatError);
    expect(() => akdCheckpointBody('whatsapp.kt/v2', 1n, new Uint8Array(33))).toThrow(/32 bytes/);
    expect(() => akdCheckpointBody('', 1n, new Uint8Array(32))).toThrow(/origin/);
    expect(() => akdCheckpointBody('a\nb', 1n, new Uint8Array(32))).toThrow(/origin/);
    for (const key of [`0624784/${'0'.repeat(64)}/${CURR}`, `624784/${'0'.repeat(63)}/${CURR}`, `624784/${CURR}`]) {
      expect(() => akdCheckpointFromAuditKey('o', key), key).toThrow(C2spFormatError);
    }
    expect(() => akdCheckpointFromAuditKey('o', `624784/${'0'.repeat(64)}/${CURR.toUpperCase()}`)).toThrow(
      C2spFormatError,
    );
  });

  it('a cosignature over an AKD body verifies as an ordinary cosigned checkpoint (no log signature)', () => {
    const w = cosigner('chorus.example/node-a', new Uint8Array(32).fill(9));
    const body = akdCheckpointBody(AKD_ORIGINS.messenger, 624784n, new Uint8Array(Buffer.from(CURR, 'hex')));
    const note = formatNote({ text: body, signatures: [w.cosign(body, 1800000000n)] });
    expect(openNote(note, [cosignatureVerifier(w.vkey)]).note.text).toBe(EXPECTED);
  });
});
