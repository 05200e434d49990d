import { describe, expect, it } from 'vitest';
import { bootstrapPeer } from '../../src/monitor/bootstrap-peers.js';
import { ConfigError } from '../../src/util/errors.js';

const ID = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN';
const auditors = [
  { name: 'org1', peerId: ID, addresses: ['/ip4/10.0.0.5/tcp/4001', '/dns4/a.example/tcp/4001/p2p/' + ID] },
  { name: 'org2', addresses: ['/ip4/10.0.0.6/tcp/4001'] },
];

describe('bootstrapPeer', () => {
  it('takes the peer id from a /p2p/ suffix', () => {
    expect(bootstrapPeer(`/ip4/1.2.3.4/tcp/1/p2p/${ID}`, [])).toEqual({
      peerId: ID,
      addrs: [`/ip4/1.2.3.4/tcp/1/p2p/${ID}`],
    });
  });
  it('takes the peer id from the roster for a roster address without /p2p/', () => {
    expect(bootstrapPeer('/ip4/10.0.0.5/tcp/4001', auditors).peerId).toBe(ID);
    expect(bootstrapPeer('/dns4/a.example/tcp/4001', auditors).peerId).toBe(ID);
  });
  it('refuses with a clear error when no peer id can be known', () => {
    expect(() => bootstrapPeer('/ip4/9.9.9.9/tcp/4001', auditors)).toThrow(ConfigError);
    // A roster auditor without peer_id gives no peer id either.
    expect(() => bootstrapPeer('/ip4/10.0.0.6/tcp/4001', auditors)).toThrow(/no \/p2p\/<peer id>/);
  });
});
