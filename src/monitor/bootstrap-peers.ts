import { ConfigError } from '../util/errors.js';

/** What the monitor needs of a roster auditor to dial it. */
export interface DialableAuditor {
  name: string;
  peerId?: string;
  addresses: string[];
}

const P2P_SUFFIX = /\/p2p\/([^/]+)$/;

/**
 * The peer to dial for a `--bootstrap` address. An address ending in `/p2p/<id>` names its peer;
 * one without it is accepted when it is a roster auditor's address (the roster knows the peer id),
 * and refused only when no peer id can be known: libp2p will not dial an unauthenticated peer.
 */
export function bootstrapPeer(addr: string, auditors: readonly DialableAuditor[]): { peerId: string; addrs: string[] } {
  const named = P2P_SUFFIX.exec(addr);
  if (named) return { peerId: named[1] as string, addrs: [addr] };
  const bare = (a: string) => a.replace(P2P_SUFFIX, '');
  const owner = auditors.find((a) => a.peerId !== undefined && a.addresses.some((x) => bare(x) === addr));
  if (!owner) {
    throw new ConfigError(
      '--bootstrap',
      `${addr} has no /p2p/<peer id> and is no address of a roster auditor with a peer_id: add /p2p/<peer id>`,
    );
  }
  return { peerId: owner.peerId as string, addrs: [addr] };
}
