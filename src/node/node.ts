// Composes one Chorus node: store, keys, auditing service, HTTP API and — with a roster — the
// auditor network. Later layers attach to the seams exposed here: `auditor` events,
// `signing.onSign`, `namespaces.extend`, and the Fastify instance.
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerPlexiRoutes } from '../api/plexi-routes.js';
import { registerNetworkRoutes } from '../api/network-routes.js';
import { registerAdminRoutes } from '../api/admin-routes.js';
import { createServer, listenOps, separateOpsRoutes, type OpsListener, type OpsRequests } from '../api/server.js';
import { Roster } from '../consensus/roster.js';
import { openDatabase, wrapWrites, type RootDb } from '../store/database.js';
import { SIGNING_JOURNAL_FILE, SigningJournal } from '../store/signing-journal.js';
import { verifyStrict } from '../crypto/ed25519.js';
import { signedBytes } from '../plexi/signature-message.js';
import { errorMessage } from '../util/errors.js';
import { ObservationStore } from '../store/observation-store.js';
import { SigningStore } from '../store/signing-store.js';
import { toHex } from '../util/bytes.js';
import { ConfigError } from '../util/errors.js';
import { Auditor, Keyring } from '../services/signing-service.js';
import type { NodeConfig } from '../config/config.js';
import { loadKeyFile } from '../config/key-file.js';
import { NamespaceView } from '../services/namespace-view.js';
import { NetworkService, observationFromSigned } from '../services/network-service.js';
import type { ChorusHost } from '../p2p/index.js';
import type { SignatureResponse } from '../plexi/signature-response.js';
import { reportToObservation } from '../services/log-reports.js';
import { EventLog, type EventType } from '../services/event-log.js';
import { QuorumTracker } from '../services/quorum-tracker.js';
import { registerEventRoutes } from '../api/events-routes.js';
import { Metrics } from './metrics.js';
import { AlertStore } from '../store/alert-store.js';
import { LivenessMonitor, MAX_TRACKED_EPOCHS } from '../services/liveness-monitor.js';
import { PlexiFollower } from '../services/plexi-follower.js';
import { VerificationStore } from '../store/verification-store.js';
import { ProofFileStore } from '../store/proof-files.js';
import { DirectoryPicks } from '../store/directory-picks.js';
import { ProofVerificationService, type VerifiedNamespace } from '../services/proof-verification.js';
import { DirectorySource } from '../services/directory-source.js';
import { openProofDirectory } from '../services/proof-directory.js';
import { defaultFormats, type FormatRegistry } from '../formats/registry.js';
import type { ProofVerifier } from '../formats/log-format.js';
import type { LastVerifiedEpoch } from '../api/plexi-routes.js';
import { registerProofMirrorRoutes } from '../api/proof-mirror-routes.js';
import { registerDashboardRoutes } from '../api/dashboard-routes.js';
import { registerHistoryRoutes } from '../api/history-routes.js';
import { alertBody, alertSignedBytes, type Alert } from '../consensus/alerts.js';
import { registerAlertRoutes } from '../api/alert-routes.js';

const ALERT_TYPES = new Set<EventType>(['equivocation', 'validation-failed', 'log-stalled', 'quorum-missed', 'auditor-silent', 'signing-halted']);
import { bytesEqual, fromHex } from '../util/bytes.js';

export interface NodeOptions {
  logger: Logger;
  now?: () => bigint;
  /** With a roster the node joins the auditor network (gossip, sync, equivocation proofs). */
  roster?: Roster;
  /** Clear a doppelgänger halt at start (the operator has checked no other host uses the key). */
  resumeSigning?: boolean;
  /** The log formats namespaces may name (docs/log-formats.md); `defaultFormats` unless a test adds one. */
  formats?: FormatRegistry;
}

export class ChorusNode {
  host: ChorusHost | undefined;
  network: NetworkService | undefined;
  quorum: QuorumTracker | undefined;
  metrics!: Metrics;
  readonly alerts: AlertStore;
  liveness: LivenessMonitor | undefined;
  follower: PlexiFollower | undefined;
  readonly verifications: VerificationStore;
  readonly proofs: ProofFileStore;
  readonly picks: DirectoryPicks;
  validation: ProofVerificationService | undefined;
  /** One proof verifier per log format in use, closed with the node. */
  readonly verifiers: ProofVerifier[] = [];
  readonly directorySources: DirectorySource[] = [];
  #url = '';
  /** The admin listener (`admin_http`), when configured. */
  #ops: { requests: OpsRequests; listener?: OpsListener } | undefined;
  #livenessTimer: NodeJS.Timeout | undefined;
  /** Set by the AKD validation service when it runs. */
  lastVerifiedEpoch: (ns: string) => Promise<bigint | undefined> = async () => undefined;
  #ready = false;
  #journal: SigningJournal | undefined;

  private constructor(
    readonly config: NodeConfig,
    readonly logger: Logger,
    readonly db: RootDb,
    readonly signing: SigningStore,
    readonly observations: ObservationStore,
    readonly auditor: Auditor,
    readonly namespaces: NamespaceView,
    readonly http: FastifyInstance,
    readonly roster: Roster | undefined,
    readonly events: EventLog,
  ) {
    this.alerts = new AlertStore(db);
    this.verifications = new VerificationStore(db);
    this.proofs = new ProofFileStore(db, join(config.dataDir, 'proofs'));
    this.picks = new DirectoryPicks(db);
    this.lastVerifiedEpoch = (ns) => this.verifications.lastVerifiedEpoch(ns);
  }

  /** Opens everything and prepares namespaces, but does not listen yet. */
  static async create(config: NodeConfig, opts: NodeOptions): Promise<ChorusNode> {
    const now = opts.now ?? (() => BigInt(Date.now()));
    const logger = opts.logger;
    const keyring = new Keyring(config.keys.map((k) => ({ key: loadKeyFile(k.file), notBefore: k.notBefore })));
    if (opts.roster) checkRosterMembership(opts.roster, keyring, config);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const db = await openDatabase(join(config.dataDir, 'db'));
    let journal: SigningJournal | undefined;
    try {
      journal = await SigningJournal.open(join(config.dataDir, SIGNING_JOURNAL_FILE));
      if (journal.tornBytes > 0) logger.warn({ event: 'journal-torn-tail', bytes: journal.tornBytes }, 'cut an unfinished append off the signing journal');
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
      const observations = new ObservationStore(db);
      await observations.ready();
      // Our own signature is an observation too, written in the same atomic batch.
      signing.onSign((batch, record) => observations.addObservation(batch, observationFromSigned(record)));
      signing.onSigned((record) => observations.noteWritten(observationFromSigned(record)));
      // A signature in flight at a crash (journal written, store not) is written back at start,
      // after the observation hooks so that it gets its observation too.
      const ownKeys = keyring.infos().map((k) => k.publicKey);
      const check = await signing.checkJournal({
        verify: (r) => ownKeys.some((k) => bytesEqual(k, r.publicKey)) && verifyStrict(r.publicKey, signedBytes(r), r.signature),
      });
      for (const r of check.restored) logger.warn({ event: 'journal-restored-in-flight', namespace: r.namespace, epoch: r.epoch.toString() }, 'wrote back the signature in flight when the node stopped (it was never answered)');
      for (const [ns, v] of check.verdicts) if (v.kind !== 'consistent') logger.error({ event: 'store-behind-journal', namespace: ns, verdict: v.kind }, v.reason);
      if (check.extended.length) logger.info({ event: 'journal-extended', namespaces: check.extended }, 'added the newest signed epochs to the signing journal');
      const auditor = new Auditor(signing, keyring, config.namespaces, now);
      await auditor.start();
      const namespaces = new NamespaceView(auditor, signing);
      const { app: http, limitWrites } = await createServer({
        logger,
        bodyLimitBytes: config.http.bodyLimitBytes,
        rateLimit: { max: config.http.rateLimit.max, windowMs: config.http.rateLimit.windowSeconds * 1000 },
        trustedProxies: config.http.trustedProxies,
        onResponse: (r) => node.metrics.observeHttp(r),
      });
      const events = new EventLog(db, now);
      await events.load();
      const node = new ChorusNode(config, logger, db, signing, observations, auditor, namespaces, http, opts.roster, events);
      node.#journal = journal;
      if (config.adminHttp) node.#ops = { requests: separateOpsRoutes(http) };
      registerEventRoutes(http, events);
      registerAlertRoutes(http, node.alerts);
      node.metrics = new Metrics({
        namespaces: () => auditor.namespaceNames(),
        signing,
        host: () => node.host,
        lastVerifiedEpoch: (ns) => node.lastVerifiedEpoch(ns),
        directoryProgress: () => node.directorySources.map((d) => d.progress()),
        rosterAuditors: () => (opts.roster ?? localRoster(config, keyring)).auditors,
        alertTypes: [...ALERT_TYPES],
        gossipInternalErrors: () => node.network?.gossipInternalErrors ?? 0,
      });
      for (const [ns, reason] of signing.refusedNamespaces) node.#event('signing-halted', { kind: 'store-behind-journal', namespace: ns, reason });
      signing.onHalt((kind, reason, ns) => {
        logger.error({ event: 'signing-halted', kind, namespace: ns }, `signing halted: ${reason}`);
        node.#event('signing-halted', { kind, reason, ...(ns ? { namespace: ns } : {}) });
      });
      http.get('/metrics', async (_req, reply) => reply.type(node.metrics.registry.contentType).send(await node.metrics.exposition()));
      http.get('/readyz', async (_req, reply) => {
        const problems: string[] = [];
        if (!node.#ready) problems.push('starting');
        if (db.status !== 'open') problems.push('database not open');
        if (node.host && !node.host.running) problems.push('libp2p host not running');
        if (signing.storeFailure !== undefined) problems.push(`signing halted: ${signing.storeFailure}`);
        for (const [ns, reason] of signing.refusedNamespaces) problems.push(`signing halted for ${ns}: ${reason}`);
        return reply.code(problems.length ? 503 : 200).send({ ready: problems.length === 0, problems });
      });
      registerPlexiRoutes(http, {
        limitWrites,
        auditor,
        namespaces,
        submitReport: (ns, report) => node.submitReport(ns, report),
        lastVerifiedEpoch: (ns) => node.lastVerifiedInfo(ns),
      });
      await node.proofs.open();
      registerProofMirrorRoutes(http, node.proofs);
      namespaces.extend({
        logDirectory: (ns) => {
          const c = auditor.namespaceConfig(ns);
          if (!c.proofDirectory) return undefined;
          return c.advertisedLogDirectory === 'proof_directory' ? c.proofDirectory : node.publicUrl;
        },
        lastVerifiedEpoch: (ns) => node.verifications.lastVerifiedEpoch(ns),
      });
      node.#createValidation(now, opts.formats ?? defaultFormats);
      const effectiveRoster = opts.roster ?? localRoster(config, keyring);
      registerNetworkRoutes(http, { auditor, observations, roster: effectiveRoster });
      registerHistoryRoutes(http, { auditor, observations, roster: effectiveRoster });
      registerAdminRoutes(http, {
        limitWrites, adminTokenSha256: config.adminTokenSha256, signing, host: () => node.host, network: () => node.network, proofs: node.proofs, picks: node.picks });
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
      http.get('/healthz', async () => ({ status: 'ok' }));
      registerDashboardRoutes(http);
      auditor.on('signed', (r, info) => {
        logger.info({ event: 'epoch-signed', namespace: r.namespace, epoch: r.epoch.toString(), digest: toHex(r.digest), root: info.becameRoot }, 'epoch signed');
        node.metrics.epochsSigned.inc({ namespace: r.namespace });
        node.validation?.enqueue(r.namespace, r.epoch);
        node.#event('epoch-signed', { namespace: r.namespace, epoch: r.epoch, digest: toHex(r.digest), signer_key: toHex(r.publicKey), timestamp: r.timestamp, root: info.becameRoot });
        void node.network?.onSigned(r).catch((err: unknown) => logger.error({ event: 'evidence-failed', err }, 'could not process our own observation'));
      });
      auditor.on('conflict', (c) =>
        logger.warn({ event: 'submission-conflict', namespace: c.namespace, epoch: c.epoch.toString(), signed: c.signedDigest, submitted: c.submittedDigest }, 'refused a second digest for a signed epoch'),
      );
      if (opts.roster && !config.p2p) throw new ConfigError('p2p', 'a roster needs the p2p section in the config (chorus init --p2p-port)');
      await node.#createNetwork(effectiveRoster, now, opts.roster !== undefined);
      return node;
    } catch (err) {
      await db.close();
      await journal?.close();
      throw err;
    }
  }

  /**
   * Evidence gathering always runs (a standalone node still catches a log that signs two heads);
   * gossip and sync only with a roster.
   */
  async #createNetwork(roster: Roster, now: () => bigint, gossip: boolean): Promise<void> {
    const p2p = this.config.p2p;
    let host: ChorusHost | undefined;
    if (gossip && p2p) {
      const { createHost, loadOrCreateIdentity } = await import('../p2p/index.js');
      const { prometheusMetrics } = await import('@libp2p/prometheus-metrics');
      const { gossipsubMetricsRegister } = await import('./gossipsub-metrics.js');
      const identity = await loadOrCreateIdentity(this.config.dataDir, p2p.identityFile);
      // The roster names our peer id: a lost identity file would otherwise come back as a new
      // peer that every other node refuses, silently cutting this node off.
      const self = this.auditor.keyring
        .infos()
        .map((k) => roster.auditorByKey(k.publicKey))
        .find((a) => a !== undefined);
      if (self?.peerId && self.peerId !== identity.peerId) {
        if (identity.created) await rm(identity.path, { force: true });
        throw new ConfigError(
          'p2p.identity_file',
          `the roster lists peer id ${self.peerId} for "${self.name}", but ${identity.path} holds ${identity.peerId}` +
            `${identity.created ? ' (just created: the identity file was missing)' : ''}; restore the node's identity file or update its roster entry`,
        );
      }
      const peers = roster.auditors.filter((a) => a.peerId && a.peerId !== identity.peerId).map((a) => ({ peerId: a.peerId as string, addrs: a.addresses }));
      host = await createHost({
        privateKey: identity.privateKey,
        listenAddrs: p2p.listen,
        ...(p2p.announce.length ? { announceAddrs: p2p.announce } : {}),
        roster: peers,
        logger: this.logger,
        // libp2p's and gossipsub's own metrics, in the node's registry (README "Metrics").
        metrics: prometheusMetrics({ registry: this.metrics.registry, collectDefaultMetrics: false, statfsLocation: this.config.dataDir }),
        gossipsubMetrics: gossipsubMetricsRegister(this.metrics.registry),
      });
    }
    const network = new NetworkService({
      ...(host ? { host } : {}),
      roster,
      db: this.db,
      signing: this.signing,
      observations: this.observations,
      audited: this.auditor.namespaceNames(),
      ownKeys: this.auditor.keyring.infos().map((k) => k.publicKey),
      logger: this.logger,
      now,
      maxFutureMs: BigInt(p2p?.maxFutureSkewMs ?? 600_000),
      ...(p2p ? { syncIntervalMs: p2p.syncIntervalSeconds * 1000 } : {}),
    });
    await network.attach();
    this.host = host;
    this.network = network;
    const quorum = new QuorumTracker(this.db, roster, this.observations);
    this.quorum = quorum;
    network.on('observation', (o) => {
      void quorum.onObservation(o, now()).then(
        (state) => {
          this.liveness?.onEpochState(state.namespace, state.epoch, state);
          const q = state.reached ? state.announcement : undefined;
          if (!q) return;
          this.#event('quorum-reached', { namespace: q.namespace, epoch: q.epoch, digest: q.digest, signers: q.signers, threshold: q.threshold });
        },
        (err: unknown) => this.logger.error({ event: 'quorum-check-failed', err }, 'quorum check failed'),
      );
    });
    const liveness = new LivenessMonitor(
      roster,
      {
        maxEpochIntervalMs: (ns) => {
          const s = this.auditor.namespaceConfig(ns).maxEpochIntervalSeconds;
          return s === undefined ? undefined : BigInt(s) * 1000n;
        },
        quorumTimeoutMs: BigInt(this.config.liveness.quorumTimeoutSeconds) * 1000n,
        auditorSilenceMs: BigInt(this.config.liveness.auditorSilenceSeconds) * 1000n,
      },
      now,
      (alert, key) => void this.raiseAlert(alert, key),
    );
    for (const ns of this.auditor.namespaceNames()) liveness.watch(ns);
    // Epochs still waiting for their quorum keep being timed from when they were first seen.
    for (const p of await quorum.pending(MAX_TRACKED_EPOCHS)) liveness.onEpochState(p.namespace, p.epoch, { reached: false, firstSeenMs: p.firstSeenMs });
    if (gossip && roster.auditors.some((a) => a.plexiUrl)) {
      this.follower = new PlexiFollower({
        roster,
        namespaces: this.auditor.namespaceNames(),
        db: this.db,
        signing: this.signing,
        importObservation: async (o) => {
          const v = await network.importObservation(o);
          if (v.outcome === 'reject') this.logger.warn({ event: 'plexi-import-rejected', reason: v.reason, namespace: o.namespace, epoch: o.epoch.toString() }, 'an imported signature was rejected');
        },
        logger: this.logger,
        pollIntervalMs: this.config.plexiFollow.pollIntervalSeconds * 1000,
        maxEpochsPerPoll: this.config.plexiFollow.maxEpochsPerPoll,
      });
    }
    this.liveness = liveness;
    network.on('observation', (o) => liveness.onObservation(o));
    network.on('observation', (o) => {
      const role = roster.signerRole(o.namespace, o.signerKey);
      if (role?.kind === 'auditor') this.metrics.auditorSeen(role.auditor.name, now());
    });
    network.on('alert', ({ alert, raisedBy }) =>
      this.logger.warn({ event: 'remote-alert', type: alert.type, namespace: alert.namespace, epoch: alert.epoch?.toString(), raised_by: raisedBy, reason: alert.reason }, `alert from ${raisedBy}: ${alert.reason}`),
    );
    network.on('equivocation', (p) => {
      void this.raiseAlert(
        { type: 'equivocation', namespace: p.namespace, epoch: p.epoch, timestamp: now(), reason: `${p.kind} between ${p.signers.join(' and ')}`, id: p.id, kind: p.kind },
        `equivocation:${p.fact}`,
      );
      this.metrics.equivocations.inc({ namespace: p.namespace, kind: p.kind });
      this.#event('equivocation', {
        namespace: p.namespace,
        epoch: p.epoch,
        id: p.id,
        kind: p.kind,
        signers: p.signers,
        digests: [toHex(p.proof.first.digest), toHex(p.proof.second.digest)],
      });
    });
    network.on('doppelganger', (d) => this.#event('signing-halted', { namespace: d.namespace, epoch: d.epoch, digest: d.digest, reason: d.reason }));
  }

  #event(type: EventType, data: Record<string, unknown>): void {
    if (ALERT_TYPES.has(type)) this.metrics.alerts.inc({ type });
    this.events.append(type, data).catch((err: unknown) => this.logger.error({ event: 'event-log-failed', type, err }, 'could not record an event'));
  }

  /** How clients reach this node (log_directory of namespaces whose proofs it mirrors). */
  get publicUrl(): string {
    return this.config.http.publicUrl ?? this.#url;
  }

  async lastVerifiedInfo(ns: string): Promise<LastVerifiedEpoch | undefined> {
    const e = await this.verifications.lastVerifiedEpoch(ns);
    if (e === undefined) return undefined;
    const r = await this.verifications.result(ns, e);
    if (!r) return undefined;
    return { jobId: r.jobId, epoch: r.epoch, startHash: fromHex(r.startHash, 32), endHash: fromHex(r.endHash, 32), timestamp: r.timestamp };
  }

  #createValidation(now: () => bigint, formats: FormatRegistry): void {
    const directories = new Map<string, VerifiedNamespace>();
    const verifiers = new Map<string, ProofVerifier>();
    for (const ns of this.config.namespaces) {
      if (!ns.proofDirectory) continue;
      const format = formats.get(ns.logFormat);
      let verifier = verifiers.get(format.id);
      if (!verifier) {
        // One verification thread by default: a WhatsApp epoch takes ~1 s and a Messenger epoch ~5 s, far
        // below their intervals, and every extra thread adds a proof's worth of peak memory (docs/akd.md).
        verifier = format.createVerifier({ workers: this.config.validation.workers ?? 1 });
        verifiers.set(format.id, verifier);
        this.verifiers.push(verifier);
      }
      const cacheBust = ns.proofDirectoryCacheBust;
      const dir = openProofDirectory(ns.proofDirectory, ns.proofDirectoryFormat, { cacheBust });
      directories.set(ns.name, { dir, config: ns, format, verifier });
    }
    if (directories.size === 0) return;
    const validation = new ProofVerificationService({
      signing: this.signing,
      store: this.verifications,
      directories,
      logger: this.logger,
      now,
      raiseAlert: (alert, key) => this.raiseAlert(alert, key),
      proofs: this.proofs,
      retention: {
        maxEpochs: this.config.validation.proofRetentionEpochs,
        maxBytes: this.config.validation.proofRetentionBytes,
        maxAgeMs: this.config.validation.proofRetentionSeconds * 1000,
      },
      onDownloaded: (ns, bytes) => this.metrics.proofBytesDownloaded.inc({ namespace: ns }, bytes),
      onVerified: (r) => {
        this.metrics.validationDuration.observe({ namespace: r.namespace }, r.ms / 1000);
        if (!r.ok) this.metrics.validationFailures.inc({ namespace: r.namespace });
        else this.#event('validation-succeeded', { namespace: r.namespace, epoch: r.epoch, blob_name: r.blobName, ms: r.ms });
      },
    });
    this.validation = validation;
    for (const [ns, { dir, config, format }] of directories) {
      if (config.source !== 'directory') continue;
      this.directorySources.push(
        new DirectorySource({
          namespace: ns,
          dir,
          pollIntervalMs: config.pollIntervalSeconds * 1000,
          auditor: this.auditor,
          signing: this.signing,
          validation,
          proofNames: format.proofNames,
          logger: this.logger,
          now,
          raiseAlert: (alert, key) => this.raiseAlert(alert, key),
          startAt: config.startAt,
          picked: (epoch) => this.picks.picked(ns, epoch),
        }),
      );
    }
  }

  /** The log's key for a namespace: from the config or the roster (they must agree). */
  logKey(ns: string): Uint8Array | undefined {
    return this.auditor.namespaceConfig(ns).logKey ?? this.roster?.namespace(ns)?.logKey;
  }

  /** A log-signed report: kept and gossiped as the log's observation, then audited like a push. */
  async submitReport(ns: string, report: SignatureResponse): Promise<SignatureResponse> {
    const o = reportToObservation(ns, this.logKey(ns), report);
    if (this.network) await this.network.publishLocal(o);
    else await this.observations.storeObservation(o);
    this.logger.info({ event: 'log-report', namespace: ns, epoch: o.epoch.toString(), digest: toHex(o.digest) }, 'log-signed report received');
    return this.auditor.submit(ns, { epoch: report.epoch, digest: report.digest });
  }

  /**
   * Raises an alert once per condition: stored (GET /alerts), on the event stream, counted, logged,
   * and — with a network — signed with the node's key and gossiped so monitors receive it.
   */
  async raiseAlert(alert: Alert, dedupKey: string): Promise<void> {
    try {
      if (!(await this.alerts.raise(alert, dedupKey))) return;
      const { type, ...data } = alert;
      if (type !== 'equivocation') this.#event(type, data);
      this.logger.warn({ event: 'alert', type, namespace: alert.namespace, epoch: alert.epoch?.toString(), reason: alert.reason }, `alert: ${alert.reason}`);
      // Equivocations travel as proofs that monitors verify themselves; gossiping every node's
      // word about the same proof would only multiply traffic at the worst moment.
      if (this.network && this.host && type !== 'equivocation') {
        const body = alertBody(alert, this.network.networkName);
        const key = this.auditor.keyring.active(alert.timestamp);
        await this.network.publishAlert({ body, signerKey: key.publicKey, signature: key.sign(alertSignedBytes(body)) });
      }
    } catch (err) {
      this.logger.error({ event: 'alert-failed', type: alert.type, err }, 'could not raise an alert');
    }
  }

  /** Where /admin/* and /metrics are served when `admin_http` is set (after listen). */
  get adminUrl(): string | undefined {
    return this.#ops?.listener?.url;
  }

  async listen(): Promise<string> {
    if (this.host) await this.host.start();
    if (this.liveness) {
      const liveness = this.liveness;
      this.#livenessTimer = setInterval(() => liveness.check(), this.config.liveness.checkIntervalSeconds * 1000);
      this.#livenessTimer.unref();
    }
    this.follower?.start();
    const address = await this.http.listen({ host: this.config.http.host, port: this.config.http.port });
    this.#url = address;
    if (this.#ops && this.config.adminHttp) {
      this.#ops.listener = await listenOps(this.http, this.#ops.requests, this.config.adminHttp.host, this.config.adminHttp.port);
    }
    if (this.validation) {
      const queued = await this.validation.resume();
      if (queued) this.logger.info({ event: 'validation-resumed', epochs: queued }, 'resuming validation of signed epochs');
    }
    for (const d of this.directorySources) d.start();
    this.#ready = true;
    this.logger.info(
      {
        event: 'listening',
        url: address,
        ...(this.#ops?.listener ? { admin_url: this.#ops.listener.url } : {}),
        public_keys: this.auditor.keyring.infos().map((k) => toHex(k.publicKey)),
        ...(this.host ? { peer_id: this.host.peerId, p2p: this.host.multiaddrs(), network: this.roster?.network } : {}),
      },
      'chorus node listening',
    );
    return address;
  }

  /** Finishes in-flight requests, leaves the network, then closes the database. */
  async close(): Promise<void> {
    if (this.#livenessTimer) clearInterval(this.#livenessTimer);
    this.network?.detach();
    this.follower?.stop();
    for (const d of this.directorySources) d.stop();
    this.validation?.stop();
    await this.#ops?.listener?.close();
    await this.http.close();
    if (this.host) await this.host.stop();
    for (const v of this.verifiers) await v.close();
    await this.db.close();
    await this.#journal?.close();
  }
}

/** A one-member roster for a node run without a network: itself and its namespaces' log keys. */
function localRoster(config: NodeConfig, keyring: Keyring): Roster {
  return new Roster(
    'local',
    1,
    [{ name: 'self', keys: keyring.infos(), addresses: [] }],
    config.namespaces.map((n) => ({ name: n.name, configuration: n.configuration, ...(n.logKey ? { logKey: n.logKey } : {}) })),
  );
}

function checkRosterMembership(roster: Roster, keyring: Keyring, config: NodeConfig): void {
  config.namespaces.forEach((ns, i) => {
    const rosterKey = roster.namespace(ns.name)?.logKey;
    if (ns.logKey && rosterKey && !bytesEqual(ns.logKey, rosterKey)) {
      throw new ConfigError(`namespaces.${i}.log_key`, `differs from the roster's log key for "${ns.name}" (${toHex(rosterKey)})`);
    }
  });
  const infos = keyring.infos();
  if (!infos.some((k) => roster.auditorByKey(k.publicKey))) {
    throw new ConfigError(
      'roster',
      `this node's public key ${toHex((infos.at(-1) as { publicKey: Uint8Array }).publicKey)} is not in the roster of network "${roster.network}" ` +
        `(add it with: chorus roster add ROSTER --name ORG --config ${config.file})`,
    );
  }
}
