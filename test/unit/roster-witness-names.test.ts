import { describe, expect, it } from 'vitest';
import { parseVerifierKey, SIG_TYPE_COSIGNATURE_V1 } from '../../src/c2sp/signed-note.js';
import { Roster } from '../../src/consensus/roster.js';
import { toHex } from '../../src/util/bytes.js';
import { ConfigError } from '../../src/util/errors.js';

const KEY_A = 'aa'.repeat(32);
const KEY_B = 'bb'.repeat(32);
const KEY_C = 'cc'.repeat(32);

function roster(auditors: object[]): Roster {
  return Roster.fromJson({ network: 'n', threshold: 1n, auditors });
}

describe('roster witness names (docs/c2sp.md, "Chorus nodes as cosigners")', () => {
  it('uses witness_name, else a valid auditor name, else none', () => {
    const r = roster([
      { name: 'org-a.example', public_key: KEY_A },
      { name: 'Org B', public_key: KEY_B, witness_name: 'witness.org-b.example' },
      { name: 'Org C', public_key: KEY_C },
    ]);
    expect(r.auditors.map((a) => a.witnessName)).toEqual(['org-a.example', 'witness.org-b.example', undefined]);
    const keys = r.witnessVerifierKeys();
    expect(keys.map((k) => k.auditor.name)).toEqual(['org-a.example', 'Org B']);
    const parsed = parseVerifierKey(keys[1]?.vkey ?? '');
    expect(parsed.name).toBe('witness.org-b.example');
    expect(parsed.type).toBe(SIG_TYPE_COSIGNATURE_V1);
    expect(toHex(parsed.publicKey)).toBe(KEY_B);
  });

  it('lists every key of a rotating auditor', () => {
    const r = roster([{ name: 'w', keys: [{ public_key: KEY_A }, { public_key: KEY_B, not_before: 5n }] }]);
    expect(r.witnessVerifierKeys().map((k) => toHex(parseVerifierKey(k.vkey).publicKey))).toEqual([KEY_A, KEY_B]);
  });

  it('refuses a witness_name that is not a note key name', () => {
    expect(() => roster([{ name: 'x', public_key: KEY_A, witness_name: 'has space' }])).toThrow(ConfigError);
    expect(() => roster([{ name: 'x', public_key: KEY_A, witness_name: 'a+b' }])).toThrow(/witness_name/);
  });
});
