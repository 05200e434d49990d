// Every route of the node's HTTP API, registered from one narrow set of dependencies: the api
// knows the domain services it serves, never the node that wires them (docs/design-decisions.md
// "Composition root").
import type { FastifyInstance } from 'fastify';
import type { Roster } from '../consensus/roster.js';
import type { SignatureResponse } from '../plexi/signature-response.js';
import type { EventLog } from '../services/event-log.js';
import type { NamespaceView } from '../services/namespace-view.js';
import type { SigningService } from '../services/signing-service.js';
import type { AlertStore } from '../store/alert-store.js';
import type { DirectoryPicks } from '../store/directory-picks.js';
import type { LogFormat, ProofNaming } from '../formats/log-format.js';
import type { ObservationStore } from '../store/observation-store.js';
import type { ProofFileStore } from '../store/proof-files.js';
import type { SigningStore } from '../store/signing-store.js';
import { registerAdminRoutes, type PeerAdministration } from './admin-routes.js';
import { registerAlertRoutes } from './alert-routes.js';
import { registerCheckpointRoutes, type CheckpointRoutesContext } from './checkpoint-routes.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { registerEventRoutes } from './events-routes.js';
import { registerHistoryRoutes } from './history-routes.js';
import { registerNetworkRoutes } from './network-routes.js';
import { registerPlexiRoutes, type LastVerification } from './plexi-routes.js';
import { registerPolicyRoutes } from './policy-routes.js';
import { registerProofMirrorRoutes } from './proof-mirror-routes.js';
import type { RateLimitHook } from './server.js';
import { registerWitnessRoutes, type WitnessRoutesContext } from './witness-routes.js';
import { registerViewRoutes, type ViewRoutesContext } from './view-routes.js';

/** The Prometheus exposition, rendered at scrape time. */
export interface MetricsExposition {
  readonly contentType: string;
  exposition(): Promise<string>;
}

export interface ApiDependencies {
  /** Per-client rate limit for write endpoints. */
  limitWrites: RateLimitHook;
  adminTokenSha256: Uint8Array | undefined;
  signingService: SigningService;
  namespaces: NamespaceView;
  signing: SigningStore;
  observations: ObservationStore;
  alerts: AlertStore;
  events: EventLog;
  proofs: ProofFileStore;
  picks: DirectoryPicks;
  /** A namespace's log format (undefined: not a namespace of this node): GET /namespaces fields. */
  logFormat?: (ns: string) => LogFormat | undefined;
  /** How a namespace's log format names its proofs (undefined: not a namespace of this node). */
  proofNaming: (ns: string) => ProofNaming | undefined;
  /** The network's roster, or the node's one-member roster when it runs alone. */
  roster: Roster;
  /** The libp2p peers, when the node runs in a network. */
  peers?: PeerAdministration;
  lastVerification(ns: string): Promise<LastVerification | undefined>;
  /** A log-signed report (Plexi's Report), kept as the log's observation and audited like a push. */
  submitReport(ns: string, report: SignatureResponse): Promise<SignatureResponse>;
  metrics: MetricsExposition;
  /** Why the node is not ready to serve (empty when it is): GET /readyz. */
  readinessProblems(): string[];
  /** Signed views from anyone: POST /views (docs/protocol.md, "Views from anyone"). */
  views?: Omit<ViewRoutesContext, 'roster'>;
  /** Cosigned checkpoints (monitoring path, checkpoint equivocations); absent: routes not served. */
  checkpoints?: CheckpointRoutesContext;
  /** The tlog witness (`POST /add-checkpoint`, docs/c2sp.md "Chorus as a tlog witness"). */
  witness?: Pick<WitnessRoutesContext, 'addCheckpoint' | 'status' | 'logFormat' | 'cosignatures'>;
}

export function registerApi(app: FastifyInstance, deps: ApiDependencies): void {
  const { limitWrites, signingService, observations, roster } = deps;
  registerEventRoutes(app, deps.events);
  registerAlertRoutes(app, deps.alerts);
  app.get('/metrics', async (_req, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.exposition()),
  );
  app.get('/readyz', async (_req, reply) => {
    const problems = deps.readinessProblems();
    return reply.code(problems.length ? 503 : 200).send({ ready: problems.length === 0, problems });
  });
  registerPlexiRoutes(app, {
    limitWrites,
    signingService,
    namespaces: deps.namespaces,
    submitReport: (ns, report) => deps.submitReport(ns, report),
    lastVerification: (ns) => deps.lastVerification(ns),
    ...(deps.logFormat ? { logFormat: deps.logFormat } : {}),
  });
  registerProofMirrorRoutes(app, deps.proofs);
  registerNetworkRoutes(app, { signingService, observations, roster });
  registerPolicyRoutes(app, { limitWrites, signingService, observations, roster });
  registerHistoryRoutes(app, { signingService, observations, roster });
  registerAdminRoutes(app, {
    limitWrites,
    adminTokenSha256: deps.adminTokenSha256,
    signing: deps.signing,
    ...(deps.peers ? { peers: deps.peers } : {}),
    proofs: deps.proofs,
    picks: deps.picks,
    proofNaming: deps.proofNaming,
  });
  if (deps.views) registerViewRoutes(app, { ...deps.views, roster });
  if (deps.checkpoints) registerCheckpointRoutes(app, deps.checkpoints);
  app.get('/healthz', async () => ({ status: 'ok' }));
  registerDashboardRoutes(app);
  const witness = deps.witness;
  if (witness)
    registerWitnessRoutes(app, {
      limitWrites,
      addCheckpoint: (b) => witness.addCheckpoint(b),
      status: () => witness.status(),
      ...(witness.logFormat ? { logFormat: witness.logFormat.bind(witness) } : {}),
      ...(witness.cosignatures ? { cosignatures: witness.cosignatures.bind(witness) } : {}),
    });
}
