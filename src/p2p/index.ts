// Public surface of the libp2p layer.
export { createHost, tcpMultiaddr } from './host.js';
export type {
  ChorusHost,
  ConnectionInfo,
  HostOptions,
  HostStats,
  PeerCallback,
  PublishCounts,
  RosterPeer,
  TopicStats,
} from './host.js';
export { IDENTITY_FILE, loadIdentity, loadOrCreateIdentity } from './identity.js';
export type { P2PIdentity } from './identity.js';
export { DEFAULT_SYNC_LIMITS, SYNC_PROTOCOL, SyncSession } from './sync-protocol.js';
export { DEFAULT_PEER_RATE_LIMIT, PeerRateLimiter } from './rate-limit.js';
export type { RateLimit } from './rate-limit.js';
export type { SyncHandler, SyncLimits, SyncRequestOptions, SyncStats } from './sync-protocol.js';
export { QueueReason } from './validation-queue.js';
export type { OutcomeCounts, TopicHandler, ValidationOutcome, ValidationResult } from './validation-queue.js';
export { DEFAULT_BACKOFF } from './redial.js';
export type { BackoffPolicy } from './redial.js';
export {
  HostStateError,
  IdentityError,
  PublishOversizeError,
  SyncOversizeError,
  SyncPageLimitError,
  SyncProtocolError,
  SyncTimeoutError,
} from './errors.js';
