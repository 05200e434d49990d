// The composition root's build, in dependency order (as Lodestar's BeaconNode.init): stores, the
// signing and event services, the metrics, the network, the services that need the network
// (alerts, proof verification, quorum, liveness, Plexi follower), then the HTTP API over all of
// them. Each part registers its close step as it is created; shutdown runs them in reverse
// (docs/design-decisions.md "Composition root").
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { OpsListener, OpsRequests } from '../api/server.js';
import { createServer, separateOpsRoutes } from '../api/server.js';
import { registerApi } from '../api/routes.js';
import type { LastVerification } from '../api/plexi-routes.js';
import type { PeerAdministration } from '../api/admin-routes.js';
import type { NodeConfig } from '../config/config.js';
import { loadKeyFile } from '../config/key-file.js';
import { Roster } from '../consensus/roster.js';
import { verifyStrict } from '../crypto/ed25519.js';
import type { ChorusHost } from '../p2p/index.js';
import { signedBytes } from '../plexi/signature-message.js';
import type { SignatureResponse } from '../plexi/signature-response.js';
import type { DirectorySource } from '../services/directory-source.js';
import { EventLog } from '../services/event-log.js';
import { LivenessMonitor, MAX_TRACKED_EPOCHS } from '../services/liveness-monitor.js';
import { reportToObservation } from '../services/log-reports.js';
import { NamespaceView } from '../services/namespace-view.js';
import { observationFromSigned, type NetworkService } from '../services/network-service.js';
import { PlexiFollower } from '../services/plexi-follower.js';
import { QuorumTracker } from '../services/quorum-tracker.js';
import { Keyring, SigningService } from '../services/signing-service.js';
import { ViewService } from '../services/view-reports.js';
import type { ProofVerificationService } from '../services/proof-verification.js';
import { AlertStore } from '../store/alert-store.js';
import { CheckpointStore } from '../store/checkpoint-store.js';
import { CheckpointService } from '../services/checkpoint-service.js';
import { openDatabase, wrapWrites, type RootDb } from '../store/database.js';
import { DirectoryPicks } from '../store/directory-picks.js';
import { ObservationStore } from '../store/observation-store.js';
import { ProofFileStore } from '../store/proof-files.js';
import { SIGNING_JOURNAL_FILE, SigningJournal } from '../store/signing-journal.js';
import { SigningStore } from '../store/signing-store.js';
import { VerificationStore } from '../store/verification-store.js';
import { bytesEqual, fromHex, toHex } from '../util/bytes.js';
import { systemClock, type Clock } from '../util/clock.js';
import { ConfigError, errorMessage } from '../util/errors.js';
import { DEFAULT_MAX_FUTURE_SKEW_MS } from '../consensus/observation-rules.js';
import { ALERT_TYPES, Alerting } from './alerting.js';
import { buildNetwork } from './build-network.js';
import { buildVerification } from './build-verification.js';
import { buildWitness, witnessedLogs } from './build-witness.js';
import { defaultFormats, type FormatRegistry } from '../formats/registry.js';
import { CloserStack } from './closers.js';
import { Metrics } from './metrics.js';
import { wireEvents } from './wire-events.js';
import { AkdCheckpointCosigner } from './akd-checkpoints.js';

export interface BuildOptions {
  logger: Logger;
  /** The one clock of the node (default: the system clock). */
  clock?: Clock;
  /** With a roster the node joins the auditor network (gossip, sync, equivocation proofs). */
  roster?: Roster;
  /** Clear a doppelgänger halt at start (the operator has checked no other host uses the key). */
  resumeSigning?: boolean;
  /** The log formats namespaces may name (docs/log-formats.md); `defaultFormats` unless a test adds one. */
  formats?: FormatRegistry;
}

/** What changes once the node listens: its address, the admin listener, readiness. */
export class ServingState {
  #url = '';
  #ready = false;
  #ops: OpsListener | undefined;
  constructor(
    private readonly configuredUrl: string | undefined,
    /** Requests of the admin listener, when `admin_http` is set. */
    readonly opsRequests: OpsRequests | undefined,
  ) {}
  listening(url: string, ops: OpsListener | undefined): void {
    this.#url = url;
    this.#ops = ops;
  }
  markReady(): void {
    this.#ready = true;
  }
  get ready(): boolean {
    return this.#ready;
  }
  /** How clients reach this node (log_directory of namespaces whose proofs it mirrors). */
  get publicUrl(): string {
    return this.configuredUrl ?? this.#url;
  }
  get opsListener(): OpsListener | undefined {
    return this.#ops;
  }
}

/** Everything the node is made of, created once, in order; nothing is replaced afterwards. */
export interface NodeServices {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly closers: CloserStack;
  readonly db: RootDb;
  readonly signing: SigningStore;
  readonly observations: ObservationStore;
  readonly alerts: AlertStore;
  readonly verifications: VerificationStore;
  readonly proofs: ProofFileStore;
  readonly picks: DirectoryPicks;
  readonly events: EventLog;
  readonly signingService: SigningService;
  readonly namespaces: NamespaceView;
  readonly metrics: Metrics;
  /** The roster given at start, if any (without one the node runs alone). */
  readonly roster: Roster | undefined;
  /** The roster in force: the network's, or the node's one-member roster. */
  readonly effectiveRoster: Roster;
  readonly host: ChorusHost | undefined;
  readonly network: NetworkService;
  readonly alerting: Alerting;
  readonly proofVerification: ProofVerificationService | undefined;
  readonly directorySources: readonly DirectorySource[];
  readonly quorum: QuorumTracker;
  readonly liveness: LivenessMonitor;
  readonly follower: PlexiFollower | undefined;
  /** Cosigned checkpoints: store, gossip, conflicts, serving (docs/c2sp.md, "Checkpoints in the network"). */
  readonly checkpoints: CheckpointService;
  readonly http: FastifyInstance;
  readonly serving: ServingState;
}

export async function buildServices(config: NodeConfig, opts: BuildOptions): Promise<NodeServices> {
  const clock = opts.clock ?? systemClock;
  const now = (): bigint => clock.now();
  const logger = opts.logger;
  const keyring = new Keyring(config.keys.map((k) => ({ key: loadKeyFile(k.file), notBefore: k.notBefore })));
  if (opts.roster) checkRosterMembership(opts.roster, keyring, config);
  if (opts.roster && !config.p2p)
    throw new ConfigError('p2p', 'a roster needs the p2p section in the config (chorus init --p2p-port)');
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const closers = new CloserStack();
  const db = await openDatabase(join(config.dataDir, 'db'));
  closers.push('database', () => db.close());
  try {
    // Stores.
    const journal = await SigningJournal.open(join(config.dataDir, SIGNING_JOURNAL_FILE));
    closers.push('signing journal', () => journal.close());
    if (journal.tornBytes > 0)
      logger.warn(
        { event: 'journal-torn-tail', bytes: journal.tornBytes },
        'cut an unfinished append off the signing journal',
      );
    const signing = new SigningStore(db, { now, journal });
    // Any failed write, by any module, halts signing (docs/design-decisions.md, "Signing journal").
    wrapWrites(db, async (kind, run) => {
      try {
        await run();
      } catch (err) {
        signing.storeFailed(`LevelDB ${kind}: ${errorMessage(err)}`, err);
        throw err;
      }
    });
    await signing.load();
    if (opts.resumeSigning && signing.haltReason !== undefined) {
      logger.warn({ event: 'signing-resumed', was: signing.haltReason }, 'signing resumed by the operator');
      await signing.resume();
    }
    const observations = new ObservationStore(db, clock);
    await observations.ready();
    // Our own signature is an observation too, written in the same atomic batch.
    signing.onSign((batch, record) => observations.addObservation(batch, observationFromSigned(record)));
    signing.onSigned((record) => observations.noteWritten(observationFromSigned(record)));
    await checkJournal(signing, keyring, logger);
    const alerts = new AlertStore(db);
    const verifications = new VerificationStore(db);
    const proofs = new ProofFileStore(db, join(config.dataDir, 'proofs'));
    const picks = new DirectoryPicks(db);
    const events = new EventLog(db, now);
    await events.load();
    await proofs.open();

    // Domain services.
    const signingService = new SigningService(signing, keyring, config.namespaces, now);
    await signingService.start();
    const namespaces = new NamespaceView(signingService, signing);
    const effectiveRoster = opts.roster ?? localRoster(config, keyring, opts.formats ?? defaultFormats);
    const directorySources: DirectorySource[] = [];
    const metrics = new Metrics({
      namespaces: () => signingService.namespaceNames(),
      signing,
      // The registry exists before the host (libp2p registers its metrics in it); gauges read
      // the host, built below, at scrape time.
      host: () => network.host,
      gossipInternalErrors: () => network.network.gossipInternalErrors,
      lastVerifiedEpoch: (ns) => verifications.lastVerifiedEpoch(ns),
      directoryProgress: () => directorySources.map((d) => d.progress()),
      rosterAuditors: () => effectiveRoster.auditors,
      alertTypes: [...ALERT_TYPES],
      checkpointOrigins: () => effectiveRoster.namespaces.flatMap((n) => n.checkpointOrigin ?? []),
      witnessAnswers: () => witness.answered,
    });

    // The network.
    const network = await buildNetwork({
      config,
      roster: effectiveRoster,
      gossip: opts.roster !== undefined,
      db,
      signing,
      observations,
      signingService,
      keyring,
      metrics,
      logger,
      clock,
      closers,
    });

    // Cosigned checkpoints: the node cosigns with its active key under its roster witness name.
    const checkpointStore = new CheckpointStore(db);
    await checkpointStore.ready();
    const self = keyring
      .infos()
      .map((k) => effectiveRoster.auditorByKey(k.publicKey))
      .find((a) => a !== undefined);
    const checkpoints = new CheckpointService({
      store: checkpointStore,
      roster: effectiveRoster,
      signingKey: (t) => keyring.active(t),
      witnessName: self?.witnessName,
      auditorName: self?.name ?? 'self',
      now,
      maxFutureMs: BigInt(config.p2p?.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS),
      logger,
      ...(network.host ? { network: network.network } : {}),
    });
    network.network.registerPart(checkpoints);
    const akdCheckpoints = new AkdCheckpointCosigner({
      checkpoints,
      roster: effectiveRoster,
      formatOf: (ns) => config.namespaces.find((n) => n.name === ns)?.logFormat,
      logger,
      refused: (data) => alerting.event('signing-halted', data),
    });

    // Services that act on the network.
    const alerting = new Alerting({ alerts, events, metrics, logger, keyring, ...network });
    const raiseAlert = (alert: Parameters<Alerting['raise']>[0], key: string) => alerting.raise(alert, key);
    const event = (type: Parameters<Alerting['event']>[0], data: Record<string, unknown>) => alerting.event(type, data);
    const verification = buildVerification(
      {
        config,
        signing,
        verifications,
        proofs,
        picks,
        auditor: signingService,
        metrics,
        logger,
        raiseAlert,
        event,
        directorySources,
        onVerifiedRecord: (r) => void akdCheckpoints.onVerified(r),
      },
      opts.formats ?? defaultFormats,
      now,
    );
    if (verification) {
      const { verifiers, proofVerification } = verification;
      closers.push('proof verifiers', async () => {
        for (const v of verifiers) await v.close();
      });
      closers.push('proof verification', () => proofVerification.stop());
      closers.push('directory sources', () => {
        for (const d of directorySources) d.stop();
      });
    }
    const quorum = new QuorumTracker(db, effectiveRoster, observations);
    const liveness = new LivenessMonitor(
      effectiveRoster,
      {
        maxEpochIntervalMs: (ns) => {
          const s = signingService.namespaceConfig(ns).maxEpochIntervalSeconds;
          return s === undefined ? undefined : BigInt(s) * 1000n;
        },
        quorumTimeoutMs: BigInt(config.liveness.quorumTimeoutSeconds) * 1000n,
        auditorSilenceMs: BigInt(config.liveness.auditorSilenceSeconds) * 1000n,
      },
      now,
      (alert, key) => void raiseAlert(alert, key),
    );
    for (const ns of signingService.namespaceNames()) liveness.watch(ns);
    await akdCheckpoints.catchUp(signingService.namespaceNames(), verifications);
    // Epochs still waiting for their quorum keep being timed from when they were first seen.
    for (const p of await quorum.pending(MAX_TRACKED_EPOCHS))
      liveness.onEpochState(p.namespace, p.epoch, { reached: false, firstSeenMs: p.firstSeenMs });
    let follower: PlexiFollower | undefined;
    if (opts.roster !== undefined && config.p2p && effectiveRoster.auditors.some((a) => a.plexiUrl)) {
      follower = new PlexiFollower({
        roster: effectiveRoster,
        namespaces: signingService.namespaceNames(),
        db,
        signing,
        importObservation: async (o) => {
          const v = await network.network.importObservation(o);
          if (v.outcome === 'reject')
            logger.warn(
              { event: 'plexi-import-rejected', reason: v.reason, namespace: o.namespace, epoch: o.epoch.toString() },
              'an imported signature was rejected',
            );
        },
        logger,
        pollIntervalMs: config.plexiFollow.pollIntervalSeconds * 1000,
        maxEpochsPerPoll: config.plexiFollow.maxEpochsPerPoll,
      });
      const f = follower;
      closers.push('plexi follower', () => f.stop());
    }
    namespaces.extend({
      logDirectory: (ns) => {
        const c = signingService.namespaceConfig(ns);
        if (!c.proofDirectory) return undefined;
        return c.advertisedLogDirectory === 'proof_directory' ? c.proofDirectory : serving.publicUrl;
      },
      lastVerifiedEpoch: (ns) => lastVerifiedAndSigned(verifications, signing, ns),
    });
    namespaces.extend({
      extraFields: async (ns) => {
        const equivocatedEpochs = await observations.equivocatedEpochCount(ns);
        const head = (await signing.namespaceState(ns))?.head;
        const last = head ? await signing.signedEpoch(ns, head.epoch) : undefined;
        return {
          last_signed: last ? { epoch: last.epoch, digest: toHex(last.digest), timestamp: last.timestamp } : null,
          network_status: equivocatedEpochs > 0 ? 'Equivocated' : 'Consistent',
          equivocated_epochs: equivocatedEpochs,
          signing_halted: signing.haltReasonFor(ns) ?? null,
        };
      },
    });

    // The tlog witness (docs/c2sp.md, "Chorus as a tlog witness").
    const formats = opts.formats ?? defaultFormats;
    const { witness } = buildWitness({
      config,
      formats,
      roster: effectiveRoster,
      keyring,
      db,
      checkpoints,
      now,
      logger,
    });

    // The HTTP API, last: it closes first, finishing in-flight requests while the rest still runs.
    const { app: http, limitWrites } = await createServer({
      logger,
      bodyLimitBytes: config.http.bodyLimitBytes,
      rateLimit: { max: config.http.rateLimit.max, windowMs: config.http.rateLimit.windowSeconds * 1000 },
      trustedProxies: config.http.trustedProxies,
      onResponse: (r) => metrics.observeHttp(r),
    });
    const serving = new ServingState(config.http.publicUrl, config.adminHttp ? separateOpsRoutes(http) : undefined);
    closers.push('http api', async () => {
      await serving.opsListener?.close();
      await http.close();
    });
    const { host } = network;
    const peers: PeerAdministration | undefined = host && {
      blockPeer: (peer) => host.blockPeer(peer),
      unblockPeer: (peer) => host.unblockPeer(peer),
      status: () => ({
        ...host.stats(),
        sync_counters: network.network.counters,
        checkpoint_counters: checkpoints.counters,
      }),
    };
    // The log's key for a namespace: from the config or the roster (they must agree).
    const logKey = (ns: string): Uint8Array | undefined =>
      signingService.namespaceConfig(ns).logKey ?? opts.roster?.namespace(ns)?.logKey;
    registerApi(http, {
      limitWrites,
      adminTokenSha256: config.adminTokenSha256,
      signingService,
      namespaces,
      signing,
      observations,
      alerts,
      events,
      proofs,
      picks,
      logFormat: (ns) => {
        const c = config.namespaces.find((n) => n.name === ns);
        return c ? (opts.formats ?? defaultFormats).get(c.logFormat) : undefined;
      },
      proofNaming: (ns) => {
        const c = config.namespaces.find((n) => n.name === ns);
        return c ? (opts.formats ?? defaultFormats).get(c.logFormat).proofNames : undefined;
      },
      roster: effectiveRoster,
      ...(peers ? { peers } : {}),
      lastVerification: (ns) => lastVerification(verifications, signing, ns),
      // A log-signed report: kept and gossiped as the log's observation, then audited like a push.
      submitReport: async (ns: string, report: SignatureResponse) => {
        const o = reportToObservation(ns, logKey(ns), report);
        await network.network.publishLocal(o);
        logger.info(
          { event: 'log-report', namespace: ns, epoch: o.epoch.toString(), digest: toHex(o.digest) },
          'log-signed report received',
        );
        return signingService.submit(ns, { epoch: report.epoch, digest: report.digest });
      },
      metrics: { contentType: metrics.registry.contentType, exposition: () => metrics.exposition() },
      // Signed views from anyone enter through the gossip path (docs/protocol.md, "Views from anyone").
      views: {
        views: new ViewService({
          roster: effectiveRoster,
          audited: (ns) => signingService.namespaceNames().includes(ns),
          observations,
          ingest: (o) => network.network.importObservation(o),
          now,
          maxFutureMs: BigInt(config.p2p?.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS),
          logger,
          checkpoints,
        }),
        bodyLimitBytes: config.views.bodyLimitBytes,
        rateLimit: config.views.rateLimit,
      },
      checkpoints,
      witness: {
        addCheckpoint: (b) => witness.addCheckpoint(b),
        status: () => witness.status(),
        // GET /witness/logs names each log's format and counts its cosigners (docs/log-formats.md).
        logFormat: (ns) => {
          const c = config.witnessedNamespaces?.find((n) => n.name === ns);
          return c ? formats.get(c.logFormat) : undefined;
        },
        cosignatures: (origin, size, rootHash) => checkpoints.cosignerCount(origin, size, rootHash),
      },
      readinessProblems: () => {
        const problems: string[] = [];
        if (!serving.ready) problems.push('starting');
        if (db.status !== 'open') problems.push('database not open');
        if (host && !host.running) problems.push('libp2p host not running');
        if (signing.storeFailure !== undefined) problems.push(`signing halted: ${signing.storeFailure}`);
        for (const [ns, reason] of signing.refusedNamespaces) problems.push(`signing halted for ${ns}: ${reason}`);
        return problems;
      },
    });

    const services: NodeServices = {
      config,
      logger,
      clock,
      closers,
      db,
      signing,
      observations,
      alerts,
      verifications,
      proofs,
      picks,
      events,
      signingService,
      namespaces,
      metrics,
      roster: opts.roster,
      effectiveRoster,
      host,
      network: network.network,
      alerting,
      proofVerification: verification?.proofVerification,
      directorySources,
      quorum,
      liveness,
      follower,
      checkpoints,
      http,
      serving,
    };
    wireEvents(services);
    return services;
  } catch (err) {
    // Each failed step is logged as it fails; the build's own error is the one to report.
    const logFailure = (name: string, e: unknown) =>
      logger.error({ event: 'close-failed', step: name, err: e }, `could not close ${name}`);
    await closers
      .closeAll(logFailure)
      .catch((closeErr: unknown) => logger.debug({ err: closeErr }, 'closed after a failed start'));
    throw err;
  }
}

/** A signature in flight at a crash (journal written, store not) is written back at start. */
async function checkJournal(signing: SigningStore, keyring: Keyring, logger: Logger): Promise<void> {
  // After the observation hooks, so that the restored signature gets its observation too.
  const ownKeys = keyring.infos().map((k) => k.publicKey);
  const check = await signing.checkJournal({
    verify: (r) =>
      ownKeys.some((k) => bytesEqual(k, r.publicKey)) && verifyStrict(r.publicKey, signedBytes(r), r.signature),
  });
  for (const r of check.restored)
    logger.warn(
      { event: 'journal-restored-in-flight', namespace: r.namespace, epoch: r.epoch.toString() },
      'wrote back the signature in flight when the node stopped (it was never answered)',
    );
  for (const [ns, v] of check.verdicts)
    if (v.kind !== 'consistent')
      logger.error({ event: 'store-behind-journal', namespace: ns, verdict: v.kind }, v.reason);
  if (check.extended.length)
    logger.info(
      { event: 'journal-extended', namespaces: check.extended },
      'added the newest signed epochs to the signing journal',
    );
}

/**
 * The last verified epoch the API serves. A directory source verifies an epoch before it signs it
 * (docs/design-decisions.md, "Directory source"), so for a moment the verified run is one epoch ahead of
 * the signatures; the served epoch never passes the signed head, so a client that asks for its signature
 * next (as `plexi audit` does) finds it.
 */
async function lastVerifiedAndSigned(
  verifications: VerificationStore,
  signing: SigningStore,
  ns: string,
): Promise<bigint | undefined> {
  const verified = await verifications.lastVerifiedEpoch(ns);
  const head = (await signing.namespaceState(ns))?.head?.epoch;
  if (verified === undefined || head === undefined) return undefined;
  return verified < head ? verified : head;
}

async function lastVerification(
  verifications: VerificationStore,
  signing: SigningStore,
  ns: string,
): Promise<LastVerification | undefined> {
  const e = await lastVerifiedAndSigned(verifications, signing, ns);
  if (e === undefined) return undefined;
  const r = await verifications.result(ns, e);
  if (!r) return undefined;
  return {
    jobId: r.jobId,
    epoch: r.epoch,
    startHash: fromHex(r.startHash, 32),
    endHash: fromHex(r.endHash, 32),
    timestamp: r.timestamp,
    inserted: r.inserted,
    unchanged: r.unchanged,
  };
}

/** A one-member roster for a node run without a network: itself and its namespaces' log keys. */
function localRoster(config: NodeConfig, keyring: Keyring, formats: FormatRegistry): Roster {
  return new Roster(
    'local',
    1,
    // "self" is also its witness name: a lone node cosigns C2SP checkpoints under it (docs/c2sp.md).
    [{ name: 'self', keys: keyring.infos(), addresses: [], witnessName: 'self' }],
    [
      ...config.namespaces.map((n) => ({
        name: n.name,
        configuration: n.configuration,
        ...(n.logKey ? { logKey: n.logKey } : {}),
      })),
      // Witnessed logs too, so the node cosigns their checkpoints alone (docs/c2sp.md, "Chorus as a tlog witness").
      ...witnessedLogs(config, formats).map((l) => ({
        name: l.namespace,
        configuration: 'whatsapp_v1' as const,
        checkpointOrigin: l.origin,
        logVerifierKeys: [...l.logVerifierKeys],
      })),
    ],
  );
}

function checkRosterMembership(roster: Roster, keyring: Keyring, config: NodeConfig): void {
  config.namespaces.forEach((ns, i) => {
    const rosterKey = roster.namespace(ns.name)?.logKey;
    if (ns.logKey && rosterKey && !bytesEqual(ns.logKey, rosterKey)) {
      throw new ConfigError(
        `namespaces.${i}.log_key`,
        `differs from the roster's log key for "${ns.name}" (${toHex(rosterKey)})`,
      );
    }
  });
  const infos = keyring.infos();
  if (!infos.some((k) => roster.auditorByKey(k.publicKey))) {
    throw new ConfigError(
      'roster',
      `this node's public key ${toHex((infos.at(-1) as { publicKey: Uint8Array }).publicKey)} is not in the roster ` +
        `of network "${roster.network}" ` +
        `(add it with: chorus roster add ROSTER --name ORG --config ${config.file})`,
    );
  }
}
