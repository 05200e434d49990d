// The log-format seam (docs/log-formats.md): the registry, the namespace union discriminated by
// `log_format` (absent means akd), AKD's settings and proof names, and the neutral proof-name rule.
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/config.js';
import { akdFormat, akdConfigurationOf, akdProofNames } from '../../src/formats/akd/index.js';
import { epochOfProofName, ProofNameError } from '../../src/formats/proof-name.js';
import { DEFAULT_LOG_FORMAT, defaultFormats, FormatRegistry } from '../../src/formats/registry.js';
import { ConfigError } from '../../src/util/errors.js';
import { toyFormat } from '../support/toy-format/index.js';

const token = 'ab'.repeat(32);
const h = (c: string) => c.repeat(64);
const load = (ns: Record<string, unknown>, formats = defaultFormats) =>
  configFromObject({ namespaces: [{ name: 'n', token_sha256: token, ...ns }] }, '/etc/chorus/chorus.yaml', formats)
    .namespaces[0];

describe('format registry', () => {
  it('holds AKD by default and refuses a duplicate id or a registry without the default format', () => {
    expect(DEFAULT_LOG_FORMAT).toBe('akd');
    expect(defaultFormats.ids).toEqual(['akd', 'tlog']);
    expect(defaultFormats.get('akd')).toBe(akdFormat);
    expect(() => defaultFormats.get('toy-json')).toThrow(/unknown log format "toy-json" \(known: akd, tlog\)/);
    expect(() => defaultFormats.with(akdFormat)).toThrow(/registered twice/);
    expect(() => new FormatRegistry([toyFormat])).toThrow(/must hold the default format "akd"/);
    expect(defaultFormats.with(toyFormat).ids).toEqual(['akd', 'tlog', 'toy-json']);
    expect(defaultFormats.ids).toEqual(['akd', 'tlog']); // with() leaves the original alone
  });
});

describe('namespace configuration by log format', () => {
  it('a namespace without log_format is AKD with its settings, as before formats existed', () => {
    expect(load({})).toMatchObject({
      logFormat: 'akd',
      formatSettings: { configuration: 'whatsapp_v1' },
      configuration: 'whatsapp_v1',
    });
    const ex = load({ configuration: 'experimental', domain_label: 'L' });
    expect(ex).toMatchObject({
      logFormat: 'akd',
      configuration: 'experimental',
      domainLabel: 'L',
      formatSettings: { configuration: 'experimental', domain_label: 'L' },
    });
    expect(load({ log_format: 'akd' })?.logFormat).toBe('akd');
  });

  it('an unknown format, a field of another format, or a missing AKD domain label is a ConfigError naming the field', () => {
    const fails = (ns: Record<string, unknown>, path: string, re: RegExp, formats = defaultFormats) => {
      let caught: unknown;
      try {
        load(ns, formats);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(ns)).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).path).toBe(path);
      expect((caught as Error).message).toMatch(re);
    };
    fails({ log_format: 'trillian' }, 'namespaces.0.log_format', /must be one of: akd, tlog/);
    fails({ log_format: 7 }, 'namespaces.0.log_format', /string/);
    fails({ toy_label: 'x' }, 'namespaces.0', /toy_label/);
    fails(
      { log_format: 'toy-json', domain_label: 'x' },
      'namespaces.0',
      /domain_label/,
      defaultFormats.with(toyFormat),
    );
    fails({ configuration: 'experimental' }, 'namespaces.0.domain_label', /needs a domain label/);
    fails({ log_format: 'akd', status: 'Online' }, 'namespaces.0.root', /needs a root/);
  });

  it('a format registered by the caller parses its own settings, with their defaults', () => {
    const formats = defaultFormats.with(toyFormat);
    expect(load({ log_format: 'toy-json' }, formats)).toMatchObject({
      logFormat: 'toy-json',
      formatSettings: { toy_label: 'toy' },
    });
    expect(load({ log_format: 'toy-json', toy_label: 'L' }, formats)?.formatSettings).toEqual({ toy_label: 'L' });
  });
});

describe('AKD format', () => {
  it('names proofs as akd audit blob names and parses only canonical ones', () => {
    const name = { epoch: 7n, previous: new Uint8Array(32).fill(0xaa), current: new Uint8Array(32).fill(0xbb) };
    const text = akdProofNames.format(name);
    expect(text).toBe(`7/${h('a')}/${h('b')}`);
    expect(akdProofNames.parse(text)).toEqual(name);
    expect(() => akdProofNames.parse(`7/${h('a')}/${h('b')}.json`)).toThrow(/32 bytes|hex/);
  });

  it('turns settings into the tree configuration', () => {
    expect(akdConfigurationOf({ configuration: 'whatsapp_v1' })).toEqual({ name: 'whatsapp_v1' });
    expect(akdConfigurationOf({ configuration: 'experimental', domain_label: 'L' })).toEqual({
      name: 'experimental',
      domainLabel: 'L',
    });
    expect(akdFormat.checkSettings?.({ configuration: 'experimental' })).toEqual([
      { field: 'domain_label', message: 'the experimental configuration needs a domain label' },
    ]);
  });
});

describe('proof names, whatever the format', () => {
  it("start with a decimal u64 epoch and a slash, and hold no path of the log's choosing", () => {
    expect(epochOfProofName(`12/${h('a')}/${h('b')}`)).toBe(12n);
    expect(epochOfProofName('18446744073709551615/x.json')).toBe(18446744073709551615n);
    for (const bad of [
      '12',
      '012/x',
      '/x',
      '12//x',
      '12/x/',
      '18446744073709551616/x',
      '12/a b',
      'x/12',
      `12/${'a'.repeat(200)}`,
    ]) {
      expect(() => epochOfProofName(bad), bad).toThrow(ProofNameError);
    }
  });
});
