// The network: the libp2p host (only with a roster) and the NetworkService. Evidence gathering
// always runs (a standalone node still catches a log that signs two heads); gossip and sync only
// with a roster.
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { NodeConfig } from '../config/config.js';
import { DEFAULT_MAX_FUTURE_SKEW_MS } from '../consensus/observation-rules.js';
import type { Roster } from '../consensus/roster.js';
import type { ChorusHost } from '../p2p/index.js';
import { NetworkService } from '../services/network-service.js';
import type { Keyring, SigningService } from '../services/signing-service.js';
import type { RootDb } from '../store/database.js';
import type { ObservationStore } from '../store/observation-store.js';
import type { SigningStore } from '../store/signing-store.js';
import type { Clock } from '../util/clock.js';
import { ConfigError } from '../util/errors.js';
import type { CloserStack } from './closers.js';
import type { Metrics } from './metrics.js';

export interface NetworkDependencies {
  config: NodeConfig;
  roster: Roster;
  /** Join the auditor network (gossip and sync): a roster was given. */
  gossip: boolean;
  db: RootDb;
  signing: SigningStore;
  observations: ObservationStore;
  signingService: SigningService;
  keyring: Keyring;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  closers: CloserStack;
}

export interface BuiltNetwork {
  host: ChorusHost | undefined;
  network: NetworkService;
}

export async function buildNetwork(d: NetworkDependencies): Promise<BuiltNetwork> {
  const p2p = d.config.p2p;
  let host: ChorusHost | undefined;
  if (d.gossip && p2p) {
    const { createHost, loadOrCreateIdentity } = await import('../p2p/index.js');
    const { prometheusMetrics } = await import('@libp2p/prometheus-metrics');
    const { gossipsubMetricsRegister } = await import('./gossipsub-metrics.js');
    const identity = await loadOrCreateIdentity(d.config.dataDir, p2p.identityFile);
    // The roster names our peer id: a lost identity file would otherwise come back as a new
    // peer that every other node refuses, silently cutting this node off.
    const self = d.keyring
      .infos()
      .map((k) => d.roster.auditorByKey(k.publicKey))
      .find((a) => a !== undefined);
    if (self?.peerId && self.peerId !== identity.peerId) {
      if (identity.created) await rm(identity.path, { force: true });
      throw new ConfigError(
        'p2p.identity_file',
        `the roster lists peer id ${self.peerId} for "${self.name}", but ${identity.path} holds ${identity.peerId}` +
          `${identity.created ? ' (just created: the identity file was missing)' : ''}; restore the node's identity ` +
          `file or update its roster entry`,
      );
    }
    const peers = d.roster.auditors
      .filter((a) => a.peerId && a.peerId !== identity.peerId)
      .map((a) => ({ peerId: a.peerId as string, addrs: a.addresses }));
    const created = await createHost({
      privateKey: identity.privateKey,
      listenAddrs: p2p.listen,
      ...(p2p.announce.length ? { announceAddrs: p2p.announce } : {}),
      roster: peers,
      logger: d.logger,
      // libp2p's and gossipsub's own metrics, in the node's registry (README "Metrics").
      metrics: prometheusMetrics({
        registry: d.metrics.registry,
        collectDefaultMetrics: false,
        statfsLocation: d.config.dataDir,
      }),
      gossipsubMetrics: gossipsubMetricsRegister(d.metrics.registry),
    });
    d.closers.push('libp2p host', () => created.stop());
    host = created;
  }
  const network = new NetworkService({
    ...(host ? { host } : {}),
    roster: d.roster,
    db: d.db,
    signing: d.signing,
    observations: d.observations,
    audited: d.signingService.namespaceNames(),
    ownKeys: d.keyring.infos().map((k) => k.publicKey),
    logger: d.logger,
    now: () => d.clock.now(),
    maxFutureMs: BigInt(p2p?.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS),
    ...(p2p ? { syncIntervalMs: p2p.syncIntervalSeconds * 1000 } : {}),
  });
  await network.attach();
  d.closers.push('network service', () => network.detach());
  return { host, network };
}
