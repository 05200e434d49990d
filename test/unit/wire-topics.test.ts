import { describe, expect, test } from 'vitest';
import { equivocationsTopic, observationsTopic, parseTopic } from '../../src/wire/topics.js';
import { ConfigError } from '../../src/util/errors.js';

describe('topics', () => {
  test('names follow DESIGN §5', () => {
    expect(observationsTopic('mainnet', 'whatsapp.key-transparency.v1')).toBe(
      '/chorus/1/mainnet/observations/whatsapp.key-transparency.v1',
    );
    expect(equivocationsTopic('mainnet')).toBe('/chorus/1/mainnet/equivocations');
  });

  test('parse inverts the builders', () => {
    expect(parseTopic(observationsTopic('n', 'ns_1'))).toEqual({
      kind: 'observations',
      network: 'n',
      namespace: 'ns_1',
    });
    expect(parseTopic(equivocationsTopic('n'))).toEqual({ kind: 'equivocations', network: 'n' });
    expect(parseTopic('/chorus/2/n/equivocations')).toBeUndefined();
    expect(parseTopic('/chorus/1/n/observations')).toBeUndefined();
    expect(parseTopic('/chorus/1/n/observations/a/b')).toBeUndefined();
    expect(parseTopic('/meshsub/1.1.0')).toBeUndefined();
  });

  test('segments that could forge another topic are refused', () => {
    expect(() => observationsTopic('n', 'a/equivocations')).toThrow(ConfigError);
    expect(() => observationsTopic('n', '')).toThrow(ConfigError);
    expect(() => equivocationsTopic('bad net')).toThrow(ConfigError);
  });
});
