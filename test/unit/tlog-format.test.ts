// The tlog log format (docs/log-formats.md, "tlog"): a witness-only format registered beside AKD. Its
// namespaces carry an origin and the log's Ed25519 vkeys, land in `witnessedNamespaces` (never among the
// signed namespaces), and refuse every epoch field by name.
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/config.js';
import { ed25519NoteSigner } from '../../src/c2sp/signed-note.js';
import { cosigner } from '../../src/c2sp/cosignature.js';
import { signsEpochs } from '../../src/formats/log-format.js';
import { defaultFormats } from '../../src/formats/registry.js';
import { tlogFormat, tlogLogOf } from '../../src/formats/tlog/index.js';
import { ConfigError } from '../../src/util/errors.js';

const token = 'ab'.repeat(32);
const log = ed25519NoteSigner('example.com/log', new Uint8Array(32).fill(7));
const base = { name: 'log1', log_format: 'tlog', origin: 'example.com/log', log_vkeys: [log.vkey] };
const load = (ns: Record<string, unknown>) =>
  configFromObject(
    {
      namespaces: [
        { name: 'kt', token_sha256: token },
        { ...base, ...ns },
      ],
    },
    '/etc/chorus/c.yaml',
  );

function fails(ns: Record<string, unknown>, path: string, re: RegExp): void {
  let caught: unknown;
  try {
    load(ns);
  } catch (err) {
    caught = err;
  }
  expect(caught, JSON.stringify(ns)).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).path).toBe(path);
  expect((caught as Error).message).toMatch(re);
}

describe('tlog format', () => {
  it('is registered, witnessed only (no proof names, no verifier) and says what it is', () => {
    expect(defaultFormats.get('tlog')).toBe(tlogFormat);
    expect(signsEpochs(tlogFormat)).toBe(false);
    expect(signsEpochs(defaultFormats.get('akd'))).toBe(true);
    expect(() => defaultFormats.epochFormat('tlog')).toThrow(/has no epochs to sign/);
    expect(tlogFormat.describe.label).toBe('RFC 6962 log (C2SP checkpoints)');
  });

  it('a tlog namespace is a witnessed namespace, never a signed one', () => {
    const c = load({});
    expect(c.namespaces.map((n) => n.name)).toEqual(['kt']);
    expect(c.witnessedNamespaces).toEqual([
      { name: 'log1', logFormat: 'tlog', formatSettings: { origin: 'example.com/log', log_vkeys: [log.vkey] } },
    ]);
    const only = c.witnessedNamespaces?.[0];
    expect(only && tlogLogOf(only.formatSettings)).toEqual({ origin: 'example.com/log', logVerifierKeys: [log.vkey] });
    // A config without tlog namespaces is unchanged: no new field.
    const plain = configFromObject({ namespaces: [{ name: 'kt', token_sha256: token }] }, '/etc/chorus/c.yaml');
    expect('witnessedNamespaces' in plain).toBe(false);
  });

  it("accepts a real log's settings: the arche2025h1 staging CT log (its published origin and vkey)", () => {
    const origin = 'arche2025h1.staging.ct.transparency.dev';
    const vkey = `${origin}+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f`;
    const c = load({ origin, log_vkeys: [vkey] });
    expect(c.witnessedNamespaces?.[0]?.formatSettings).toEqual({ origin, log_vkeys: [vkey] });
  });

  it('refuses epoch fields, bad origins and bad keys, naming the field', () => {
    fails({ root: `1/${'a'.repeat(64)}` }, 'namespaces.1.root', /does not apply to log_format tlog/);
    fails({ token_sha256: token }, 'namespaces.1.token_sha256', /does not apply/);
    fails({ source: 'directory' }, 'namespaces.1.source', /does not apply/);
    fails({ proof_directory: 'file:///tmp/x' }, 'namespaces.1.proof_directory', /does not apply/);
    fails({ log_key: 'ab'.repeat(32) }, 'namespaces.1.log_key', /does not apply/);
    fails({ configuration: 'whatsapp_v1' }, 'namespaces.1', /configuration/);
    fails({ origin: undefined }, 'namespaces.1.origin', /./);
    fails({ origin: 'a\tb' }, 'namespaces.1.origin', /control character/);
    fails({ origin: ' example.com/log' }, 'namespaces.1.origin', /white space/);
    fails({ log_vkeys: [] }, 'namespaces.1.log_vkeys', /./);
    fails({ log_vkeys: ['nope'] }, 'namespaces.1.log_vkeys.0', /not a log verifier key/);
    fails({ log_vkeys: [log.vkey, log.vkey] }, 'namespaces.1.log_vkeys.1', /listed twice/);
    // A witness (cosignature, type 0x04) key is not a log key.
    const w = cosigner('witness.example', new Uint8Array(32).fill(9));
    fails({ log_vkeys: [w.vkey] }, 'namespaces.1.log_vkeys.0', /type 0x04, not Ed25519/);
    fails({ name: 'kt' }, 'namespaces.1.name', /duplicate namespace/);
  });
});
