// One Chorus node: a thin handle over the services `buildServices` creates in order (stores,
// domain services, network, HTTP API). create → listen → close; nothing is assigned after
// construction (docs/design-decisions.md "Composition root").
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { listenOps } from '../api/server.js';
import type { NodeConfig } from '../config/config.js';
import type { Roster } from '../consensus/roster.js';
import type { FormatRegistry } from '../formats/registry.js';
import type { SigningService } from '../services/signing-service.js';
import type { ObservationStore } from '../store/observation-store.js';
import type { ProofFileStore } from '../store/proof-files.js';
import type { SigningStore } from '../store/signing-store.js';
import { clockOf, type Clock } from '../util/clock.js';
import { toHex } from '../util/bytes.js';
import { buildServices, type NodeServices } from './build-services.js';

export interface NodeOptions {
  logger: Logger;
  /** The node's clock (default: the system clock). */
  clock?: Clock;
  /** Shorthand for `clock`: the current time in Unix milliseconds. */
  now?: () => bigint;
  /** With a roster the node joins the auditor network (gossip, sync, equivocation proofs). */
  roster?: Roster;
  /** Clear a doppelgänger halt at start (the operator has checked no other host uses the key). */
  resumeSigning?: boolean;
  /** The log formats namespaces may name (docs/log-formats.md); `defaultFormats` unless a test adds one. */
  formats?: FormatRegistry;
}

export class ChorusNode {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly signing: SigningStore;
  readonly observations: ObservationStore;
  readonly signingService: SigningService;
  readonly proofs: ProofFileStore;
  readonly http: FastifyInstance;

  private constructor(readonly services: NodeServices) {
    this.config = services.config;
    this.logger = services.logger;
    this.signing = services.signing;
    this.observations = services.observations;
    this.signingService = services.signingService;
    this.proofs = services.proofs;
    this.http = services.http;
  }

  /** Opens everything and prepares namespaces, but does not listen yet. */
  static async create(config: NodeConfig, opts: NodeOptions): Promise<ChorusNode> {
    const clock = opts.clock ?? (opts.now ? clockOf(opts.now) : undefined);
    return new ChorusNode(
      await buildServices(config, {
        logger: opts.logger,
        ...(clock ? { clock } : {}),
        ...(opts.roster ? { roster: opts.roster } : {}),
        ...(opts.resumeSigning !== undefined ? { resumeSigning: opts.resumeSigning } : {}),
        ...(opts.formats ? { formats: opts.formats } : {}),
      }),
    );
  }

  /** How clients reach this node (log_directory of namespaces whose proofs it mirrors). */
  get publicUrl(): string {
    return this.services.serving.publicUrl;
  }

  /** Where /admin/* and /metrics are served when `admin_http` is set (after listen). */
  get adminUrl(): string | undefined {
    return this.services.serving.opsListener?.url;
  }

  async listen(): Promise<string> {
    const { config, host, liveness, follower, http, serving, closers, logger } = this.services;
    const { proofVerification, directorySources } = this.services;
    if (host) await host.start();
    const livenessTimer = setInterval(() => liveness.check(), config.liveness.checkIntervalSeconds * 1000);
    livenessTimer.unref();
    closers.push('liveness timer', () => clearInterval(livenessTimer));
    follower?.start();
    const address = await http.listen({ host: config.http.host, port: config.http.port });
    const admin = config.adminHttp;
    const ops =
      serving.opsRequests && admin ? await listenOps(http, serving.opsRequests, admin.host, admin.port) : undefined;
    serving.listening(address, ops);
    if (proofVerification) {
      const queued = await proofVerification.resume();
      if (queued) logger.info({ event: 'validation-resumed', epochs: queued }, 'resuming validation of signed epochs');
    }
    for (const d of directorySources) d.start();
    serving.markReady();
    logger.info(
      {
        event: 'listening',
        url: address,
        ...(ops ? { admin_url: ops.url } : {}),
        public_keys: this.signingService.keyring.infos().map((k) => toHex(k.publicKey)),
        ...(host ? { peer_id: host.peerId, p2p: host.multiaddrs(), network: this.services.roster?.network } : {}),
      },
      'chorus node listening',
    );
    return address;
  }

  /**
   * Runs the close steps in reverse order of creation: the HTTP API finishes in-flight requests,
   * then the network, verification and finally the journal and the database close.
   */
  async close(): Promise<void> {
    const logFailure = (step: string, err: unknown) =>
      this.logger.error({ event: 'close-failed', step, err }, `could not close ${step}`);
    await this.services.closers.closeAll(logFailure);
  }
}
