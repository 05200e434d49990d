// Prometheus metrics (prom-client). Counters are incremented where things happen; gauges that
// mirror state (chain heads, peers, scores) are read at scrape time. The exposition passes
// `promtool check metrics` (README "Metrics"): counters end in _total and are counters, the
// process/Node.js defaults keep their standard names, and every labelled counter starts at 0 for
// the labels known at start, so the first equivocation is an increase() from 0, not a new series.
// Epoch gauges are floats, as Prometheus values are: exact only up to 2^53.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EquivocationKind } from '../consensus/equivocation.js';
import { CHECKPOINT_EQUIVOCATION_KINDS } from '../consensus/checkpoint-equivocation.js';
import type { ChorusHost } from '../p2p/index.js';
import type { SigningStore } from '../store/signing-store.js';
import type { DirectoryProgress } from '../services/directory-source.js';
import type { BudgetState } from '../services/memory-budget.js';
import { chorusVersion } from '../util/version.js';
import { withoutGaugeTotals } from './exposition.js';

export interface MetricsSources {
  namespaces: () => string[];
  signing: SigningStore;
  host: () => ChorusHost | undefined;
  lastVerifiedEpoch: (ns: string) => Promise<bigint | undefined>;
  /** Directory sources' catch-up state. */
  directoryProgress?: () => DirectoryProgress[];
  /** Roster auditors: name and (when they run libp2p) peer id. Peers are labelled by name. */
  rosterAuditors: () => { name: string; peerId?: string }[];
  /** Alert types that count in chorus_alerts_total (pre-set to 0). */
  alertTypes?: readonly string[];
  /** Gossip validations that failed on our own error (src/gossip/outcome.ts); 0 without a network. */
  gossipInternalErrors?: () => number;
  /** The roster's checkpoint origins (chorus_checkpoint_equivocations_total starts at 0 for each). */
  checkpointOrigins?: () => string[];
  /** The tlog witness's add-checkpoint answers by status (docs/c2sp.md, "Chorus as a tlog witness"). */
  witnessAnswers?: () => ReadonlyMap<number, number> | undefined;
}

const EQUIVOCATION_KINDS: readonly EquivocationKind[] = ['auditor-equivocation', 'log-equivocation', 'split-view'];
const GOSSIP_OUTCOMES = ['accept', 'ignore', 'reject'] as const;

export class Metrics {
  readonly registry = new Registry();
  readonly epochsSigned: Counter<'namespace'>;
  readonly equivocations: Counter<'namespace' | 'kind'>;
  /** Checkpoint equivocation proofs stored (docs/c2sp.md, "Checkpoints in the network"). */
  readonly checkpointEquivocations: Counter<'origin' | 'kind'>;
  readonly syncObservations: Counter<'outcome' | 'reason'>;
  readonly validationDuration: Histogram<'namespace'>;
  readonly validationFailures: Counter<'namespace'>;
  readonly alerts: Counter<'type'>;
  readonly proofBytesDownloaded: Counter<'namespace'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  /** When an observation from each roster auditor last arrived (Unix seconds). */
  readonly auditorLastSeen: Gauge<'auditor'>;

  constructor(src: MetricsSources) {
    const r = this.registry;
    // Standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, …): the shared
    // Node.js dashboards and alerts expect them unprefixed.
    collectDefaultMetrics({ register: r });
    new Gauge({
      name: 'chorus_build_info',
      help: 'Always 1; the labels say which Chorus and Node.js versions run',
      labelNames: ['version', 'node_version'],
      registers: [r],
    }).set({ version: chorusVersion(), node_version: process.version }, 1);

    this.epochsSigned = new Counter({
      name: 'chorus_epochs_signed_total',
      help: 'Epochs this node signed',
      labelNames: ['namespace'],
      registers: [r],
    });
    this.equivocations = new Counter({
      name: 'chorus_equivocations_total',
      help: 'Equivocation proofs stored',
      labelNames: ['namespace', 'kind'],
      registers: [r],
    });
    this.syncObservations = new Counter({
      name: 'chorus_sync_observations_total',
      help: 'Observations received through sync, by outcome',
      labelNames: ['outcome', 'reason'],
      registers: [r],
    });
    this.validationDuration = new Histogram({
      name: 'chorus_validation_duration_seconds',
      help: 'AKD append-only proof validation time',
      labelNames: ['namespace'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [r],
    });
    this.validationFailures = new Counter({
      name: 'chorus_validation_failures_total',
      help: 'AKD proofs that did not verify',
      labelNames: ['namespace'],
      registers: [r],
    });
    this.alerts = new Counter({
      name: 'chorus_alerts_total',
      help: 'Alerts raised',
      labelNames: ['type'],
      registers: [r],
    });
    this.httpRequests = new Counter({
      name: 'chorus_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [r],
    });
    this.httpDuration = new Histogram({
      name: 'chorus_http_request_duration_seconds',
      help: 'HTTP request handling time, by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [r],
    });
    this.auditorLastSeen = new Gauge({
      name: 'chorus_auditor_last_seen_timestamp_seconds',
      help: "When an observation signed by each roster auditor last arrived (starts at the node's start time)",
      labelNames: ['auditor'],
      registers: [r],
    });

    // Known labels start at 0 (see the top of this file).
    const startedAt = Date.now() / 1000;
    for (const ns of src.namespaces()) {
      this.epochsSigned.inc({ namespace: ns }, 0);
      this.validationFailures.inc({ namespace: ns }, 0);
      for (const kind of EQUIVOCATION_KINDS) this.equivocations.inc({ namespace: ns, kind }, 0);
    }
    for (const type of src.alertTypes ?? []) this.alerts.inc({ type }, 0);
    this.checkpointEquivocations = new Counter({
      name: 'chorus_checkpoint_equivocations_total',
      help: 'Checkpoint equivocation proofs stored, by checkpoint origin and kind',
      labelNames: ['origin', 'kind'],
      registers: [r],
    });
    for (const origin of src.checkpointOrigins?.() ?? [])
      for (const kind of CHECKPOINT_EQUIVOCATION_KINDS) this.checkpointEquivocations.inc({ origin, kind }, 0);
    for (const a of src.rosterAuditors()) this.auditorLastSeen.set({ auditor: a.name }, startedAt);

    this.proofBytesDownloaded = new Counter({
      name: 'chorus_proof_bytes_downloaded_total',
      help: 'Proof bytes downloaded from proof directories',
      labelNames: ['namespace'],
      registers: [r],
    });
    const progress = (pick: (p: DirectoryProgress) => number | undefined) =>
      function (this: Gauge<'namespace'>) {
        for (const p of src.directoryProgress?.() ?? []) {
          const v = pick(p);
          if (v !== undefined) this.set({ namespace: p.namespace }, v);
        }
      };
    new Gauge({
      name: 'chorus_directory_lag_epochs',
      help: 'Epochs between the proof directory head and the last epoch signed from it',
      labelNames: ['namespace'],
      registers: [r],
      collect: progress((p) => Number(p.behind)),
    });
    new Gauge({
      name: 'chorus_directory_head_epoch',
      help: 'Highest epoch known to be in the proof directory',
      labelNames: ['namespace'],
      registers: [r],
      collect: progress((p) => (p.head === undefined ? undefined : Number(p.head))),
    });
    new Gauge({
      name: 'chorus_directory_eta_seconds',
      help: 'Estimated time to catch up with the proof directory head',
      labelNames: ['namespace'],
      registers: [r],
      collect: progress((p) => p.etaSeconds),
    });
    new Gauge({
      name: 'chorus_directory_download_bytes_per_second',
      help: 'Recent proof download rate',
      labelNames: ['namespace'],
      registers: [r],
      collect: progress((p) => p.bytesPerSecond),
    });
    new Gauge({
      name: 'chorus_last_signed_epoch',
      help: 'Last epoch this node signed',
      labelNames: ['namespace'],
      registers: [r],
      async collect() {
        for (const ns of src.namespaces()) {
          const head = (await src.signing.namespaceState(ns))?.head;
          if (head) this.set({ namespace: ns }, Number(head.epoch));
        }
      },
    });
    new Gauge({
      name: 'chorus_last_signed_timestamp_seconds',
      help: 'Signing time of the last epoch this node signed (Unix seconds)',
      labelNames: ['namespace'],
      registers: [r],
      async collect() {
        for (const ns of src.namespaces()) {
          const head = (await src.signing.namespaceState(ns))?.head;
          const last = head ? await src.signing.signedEpoch(ns, head.epoch) : undefined;
          if (last) this.set({ namespace: ns }, Number(last.timestamp) / 1000);
        }
      },
    });
    new Gauge({
      name: 'chorus_last_verified_epoch',
      help: 'Last epoch whose append-only proof this node verified',
      labelNames: ['namespace'],
      registers: [r],
      async collect() {
        for (const ns of src.namespaces()) {
          const e = await src.lastVerifiedEpoch(ns);
          if (e !== undefined) this.set({ namespace: ns }, Number(e));
        }
      },
    });
    new Gauge({
      name: 'chorus_signing_halted',
      help:
        '1 while signing is halted, by reason: doppelganger (persisted), store-failed (a failed write, until ' +
        'restart), store-behind-journal (namespaces refused at start)',
      labelNames: ['reason'],
      registers: [r],
      collect() {
        this.set({ reason: 'doppelganger' }, src.signing.haltReason === undefined ? 0 : 1);
        this.set({ reason: 'store-failed' }, src.signing.storeFailure === undefined ? 0 : 1);
        this.set({ reason: 'store-behind-journal' }, src.signing.refusedNamespaces.size > 0 ? 1 : 0);
      },
    });
    new Counter({
      name: 'chorus_store_write_failures_total',
      help: 'Writes to the store or the signing journal that failed (each one halts signing)',
      registers: [r],
      collect() {
        this.reset();
        if (src.signing.writeFailures > 0) this.inc(src.signing.writeFailures);
      },
    });
    new Gauge({
      name: 'chorus_peers',
      help: 'Connected libp2p peers',
      registers: [r],
      collect() {
        this.set(src.host()?.connectedPeers().length ?? 0);
      },
    });
    new Gauge({
      name: 'chorus_roster_peer_connected',
      help: '1 while this node holds a libp2p connection to the roster auditor, else 0',
      labelNames: ['peer'],
      registers: [r],
      collect() {
        const host = src.host();
        const connected = new Set(host?.connectedPeers() ?? []);
        for (const a of src.rosterAuditors()) {
          if (a.peerId && a.peerId !== host?.peerId) this.set({ peer: a.name }, connected.has(a.peerId) ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'chorus_peer_score',
      help: 'Gossipsub score of each roster peer (others are not exported: their ids are unbounded)',
      labelNames: ['peer'],
      registers: [r],
      collect() {
        this.reset();
        const host = src.host();
        if (!host) return;
        const scores = host.stats().peerScores;
        for (const a of src.rosterAuditors()) {
          const score = a.peerId === undefined ? undefined : scores[a.peerId];
          if (score !== undefined) this.set({ peer: a.name }, score);
        }
      },
    });
    new Gauge({
      name: 'chorus_gossip_cache',
      help:
        'Entries in gossipsub caches: seen_ids (de-duplication) and messages (forwarding); a flood that gets ' +
        'through grows them (docs/p2p.md)',
      labelNames: ['cache'],
      registers: [r],
      collect() {
        this.reset();
        const c = src.host()?.stats().gossipCache;
        if (!c) return;
        this.set({ cache: 'seen_ids' }, c.seenIds);
        this.set({ cache: 'messages' }, c.messages);
      },
    });
    new Gauge({
      name: 'chorus_peers_cooling_down',
      help: 'Peers disconnected for flooding (over their rate), until their cool-down ends',
      registers: [r],
      collect() {
        this.set(src.host()?.stats().coolingDown.length ?? 0);
      },
    });
    new Counter({
      name: 'chorus_gossip_internal_errors_total',
      help: "Gossip validations that failed on this node's own error (message ignored, sender not penalised)",
      registers: [r],
      collect() {
        this.reset();
        const n = src.gossipInternalErrors?.() ?? 0;
        if (n > 0) this.inc(n);
      },
    });
    new Counter({
      name: 'chorus_gossip_messages_total',
      help: 'Gossip messages validated, by topic, outcome (accept/ignore/reject) and reason',
      labelNames: ['topic', 'outcome', 'reason'],
      registers: [r],
      collect() {
        // The host keeps the running totals; the counter mirrors them (they only grow).
        const host = src.host();
        if (!host) return;
        this.reset();
        for (const [topic, t] of Object.entries(host.stats().topics)) {
          for (const outcome of GOSSIP_OUTCOMES) {
            for (const [reason, n] of Object.entries(t.validation[outcome])) this.inc({ topic, outcome, reason }, n);
          }
        }
      },
    });
    new Counter({
      name: 'chorus_witness_requests_total',
      help: 'tlog-witness add-checkpoint requests answered, by HTTP status',
      labelNames: ['status'],
      registers: [r],
      collect() {
        // The witness keeps the running totals; every status the spec names starts at 0.
        this.reset();
        const answered = src.witnessAnswers?.();
        for (const status of [200, 400, 403, 404, 409, 422])
          this.inc({ status: String(status) }, answered?.get(status) ?? 0);
      },
    });
  }

  /** The text served at /metrics. */
  async exposition(): Promise<string> {
    return withoutGaugeTotals(await this.registry.metrics());
  }

  /** One answered HTTP request (the server's onResponse hook). */
  observeHttp(r: { method: string; route: string; status: number; seconds: number }): void {
    this.httpRequests.inc({ method: r.method, route: r.route, status: String(r.status) });
    this.httpDuration.observe({ method: r.method, route: r.route }, r.seconds);
  }

  /** Gauges of the node's memory budget (docs/akd.md, "The node's memory"), read at scrape time. */
  watchMemoryBudget(state: () => BudgetState): void {
    const gauge = (name: string, help: string, pick: (s: BudgetState) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(pick(state()));
        },
      });
    gauge('chorus_memory_budget_bytes', 'The memory budget of proof downloads and verifications', (s) => s.capacity);
    gauge(
      'chorus_memory_budget_in_use_bytes',
      'Bytes of the memory budget reserved by running downloads and verifications',
      (s) => s.inUse,
    );
    gauge(
      'chorus_memory_budget_running_jobs',
      'Downloads and verifications holding the memory budget',
      (s) => s.running,
    );
    gauge(
      'chorus_memory_budget_waiting_jobs',
      'Downloads and verifications waiting for the memory budget (first come, first served)',
      (s) => s.waiting,
    );
  }

  /** An observation signed by this roster auditor arrived now. */
  auditorSeen(auditor: string, nowMs: bigint): void {
    this.auditorLastSeen.set({ auditor }, Number(nowMs) / 1000);
  }
}
