import { describe, expect, it } from 'vitest';
import { isLogLevel, prettyLine } from '../../src/cli/logger.js';

describe('terminal log lines', () => {
  it('show time, level, message and the event fields; hide pid, hostname, service', () => {
    const line = prettyLine(
      '{"level":30,"time":"2026-12-03T22:00:00.000Z","pid":1,"hostname":"h","service":"chorus","event":"epoch-signed","epoch":"18446744073709551615","msg":"epoch signed"}',
    );
    expect(line).toBe('2026-12-03T22:00:00.000Z INFO  epoch signed  event=epoch-signed epoch=18446744073709551615\n');
  });
  it('quote strings with spaces and keep nested values as JSON', () => {
    expect(prettyLine('{"level":40,"time":"t","msg":"m","reason":"two words","p2p":["/ip4/1"]}')).toBe(
      't WARN  m  reason="two words" p2p=["/ip4/1"]\n',
    );
  });
  it('pass a line that is not JSON through, marked', () => {
    expect(prettyLine('oops')).toMatch(/^oops {2}\(unparsed: /);
  });
  it('know the levels', () => {
    expect(isLogLevel('debug')).toBe(true);
    expect(isLogLevel('loud')).toBe(false);
  });
});
