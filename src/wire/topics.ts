// Topic names (docs/p2p.md, "Topics"). Nodes that audit a namespace of the same name in the same network
// gossip on the same topic, so the names must be built in exactly one place.
import { ConfigError } from '../util/errors.js';

const TOPIC_PREFIX = '/chorus/1';

// '/' would let a namespace or network name forge another topic's path; whitespace and control
// characters make topics unreadable in logs and metrics.
const SAFE_SEGMENT = /^[A-Za-z0-9._~:@+_-]+$/;

function checkSegment(what: string, value: string): void {
  if (!SAFE_SEGMENT.test(value)) {
    throw new ConfigError(
      what,
      `must be non-empty and use only letters, digits and ._~:@+_- (got ${JSON.stringify(value)})`,
    );
  }
}

/** `/chorus/1/<network>/observations/<namespace>` */
export function observationsTopic(network: string, namespace: string): string {
  checkSegment('network', network);
  checkSegment('namespace', namespace);
  return `${TOPIC_PREFIX}/${network}/observations/${namespace}`;
}

/** `/chorus/1/<network>/equivocations` */
export function equivocationsTopic(network: string): string {
  checkSegment('network', network);
  return `${TOPIC_PREFIX}/${network}/equivocations`;
}

/** `/chorus/1/<network>/alerts`: liveness and validation alerts signed by roster nodes. */
export function alertsTopic(network: string): string {
  checkSegment('network', network);
  return `${TOPIC_PREFIX}/${network}/alerts`;
}

/** `/chorus/1/<network>/checkpoints`: cosigned checkpoints as signed notes (docs/c2sp.md). */
export function checkpointsTopic(network: string): string {
  checkSegment('network', network);
  return `${TOPIC_PREFIX}/${network}/checkpoints`;
}

/** `/chorus/1/<network>/checkpoint-equivocations`: two checkpoint notes for one (origin, size). */
export function checkpointEquivocationsTopic(network: string): string {
  checkSegment('network', network);
  return `${TOPIC_PREFIX}/${network}/checkpoint-equivocations`;
}

export type ParsedTopic =
  | { kind: 'observations'; network: string; namespace: string }
  | { kind: 'equivocations'; network: string }
  | { kind: 'alerts'; network: string }
  | { kind: 'checkpoints'; network: string }
  | { kind: 'checkpoint-equivocations'; network: string };

/** Inverse of the builders; undefined for anything that is not a Chorus topic. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  // ['', 'chorus', '1', network, kind, namespace?]
  if (parts.length < 5 || parts[0] !== '' || parts[1] !== 'chorus' || parts[2] !== '1') return undefined;
  const network = parts[3] as string;
  if (!SAFE_SEGMENT.test(network)) return undefined;
  if (parts.length === 5 && parts[4] === 'equivocations') return { kind: 'equivocations', network };
  if (parts.length === 5 && parts[4] === 'alerts') return { kind: 'alerts', network };
  if (parts.length === 5 && parts[4] === 'checkpoints') return { kind: 'checkpoints', network };
  if (parts.length === 5 && parts[4] === 'checkpoint-equivocations')
    return { kind: 'checkpoint-equivocations', network };
  if (parts.length === 6 && parts[4] === 'observations') {
    const namespace = parts[5] as string;
    if (!SAFE_SEGMENT.test(namespace)) return undefined;
    return { kind: 'observations', network, namespace };
  }
  return undefined;
}
