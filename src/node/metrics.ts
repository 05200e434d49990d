// Prometheus metrics (prom-client). Counters are incremented where things happen; gauges that
// mirror state (chain heads, peers, scores, gossip validation counts) are read at scrape time.
// Epoch gauges are floats, as Prometheus values are: exact only up to 2^53.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ChorusHost } from '../p2p/index.js';
import type { SigningStore } from '../store/signing-store.js';
import type { DirectoryProgress } from './directory-source.js';

export interface MetricsSources {
  namespaces: () => string[];
  signing: SigningStore;
  host: () => ChorusHost | undefined;
  lastVerifiedEpoch: (ns: string) => Promise<bigint | undefined>;
  /** Directory sources' catch-up state. */
  directoryProgress?: () => DirectoryProgress[];
}

export class Metrics {
  readonly registry = new Registry();
  readonly epochsSigned: Counter<'namespace'>;
  readonly equivocations: Counter<'namespace' | 'kind'>;
  readonly syncObservations: Counter<'outcome' | 'reason'>;
  readonly validationDuration: Histogram<'namespace'>;
  readonly validationFailures: Counter<'namespace'>;
  readonly alerts: Counter<'type'>;
  readonly proofBytesDownloaded: Counter<'namespace'>;

  constructor(src: MetricsSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'chorus_process_' });
    this.epochsSigned = new Counter({ name: 'chorus_epochs_signed_total', help: 'Epochs this node signed', labelNames: ['namespace'], registers: [r] });
    this.equivocations = new Counter({ name: 'chorus_equivocations_total', help: 'Equivocation proofs stored', labelNames: ['namespace', 'kind'], registers: [r] });
    this.syncObservations = new Counter({ name: 'chorus_sync_observations_total', help: 'Observations received through sync, by outcome', labelNames: ['outcome', 'reason'], registers: [r] });
    this.validationDuration = new Histogram({
      name: 'chorus_validation_duration_seconds',
      help: 'AKD append-only proof validation time',
      labelNames: ['namespace'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [r],
    });
    this.validationFailures = new Counter({ name: 'chorus_validation_failures_total', help: 'AKD proofs that did not verify', labelNames: ['namespace'], registers: [r] });
    this.alerts = new Counter({ name: 'chorus_alerts_total', help: 'Alerts raised', labelNames: ['type'], registers: [r] });

    this.proofBytesDownloaded = new Counter({ name: 'chorus_proof_bytes_downloaded_total', help: 'Proof bytes downloaded from proof directories', labelNames: ['namespace'], registers: [r] });
    const progress = (pick: (p: DirectoryProgress) => number | undefined) =>
      function (this: Gauge<'namespace'>) {
        for (const p of src.directoryProgress?.() ?? []) {
          const v = pick(p);
          if (v !== undefined) this.set({ namespace: p.namespace }, v);
        }
      };
    new Gauge({ name: 'chorus_directory_epochs_behind', help: 'Epochs between the proof directory head and the last epoch signed from it', labelNames: ['namespace'], registers: [r], collect: progress((p) => Number(p.behind)) });
    new Gauge({ name: 'chorus_directory_head_epoch', help: 'Highest epoch known to be in the proof directory', labelNames: ['namespace'], registers: [r], collect: progress((p) => (p.head === undefined ? undefined : Number(p.head))) });
    new Gauge({ name: 'chorus_directory_eta_seconds', help: 'Estimated time to catch up with the proof directory head', labelNames: ['namespace'], registers: [r], collect: progress((p) => p.etaSeconds) });
    new Gauge({ name: 'chorus_directory_download_bytes_per_second', help: 'Recent proof download rate', labelNames: ['namespace'], registers: [r], collect: progress((p) => p.bytesPerSecond) });
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
      help: '1 while signing is halted, by reason: doppelganger (persisted), store-failed (a failed write, until restart), store-behind-journal (namespaces refused at start)',
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
      name: 'chorus_peer_score',
      help: 'Gossipsub score of each known peer',
      labelNames: ['peer'],
      registers: [r],
      collect() {
        this.reset();
        const host = src.host();
        if (!host) return;
        for (const [peer, score] of Object.entries(host.stats().peerScores)) this.set({ peer }, score);
      },
    });
    new Gauge({
      name: 'chorus_gossip_cache',
      help: 'Entries in gossipsub caches: seen_ids (de-duplication) and messages (forwarding); a flood that gets through grows them (docs/p2p.md)',
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
    new Gauge({
      name: 'chorus_gossip_messages',
      help: 'Gossip messages validated, by topic, outcome (accept/ignore/reject) and reason (a counter exposed as a gauge: it is read from the host)',
      labelNames: ['topic', 'outcome', 'reason'],
      registers: [r],
      collect() {
        this.reset();
        const host = src.host();
        if (!host) return;
        for (const [topic, t] of Object.entries(host.stats().topics)) {
          for (const outcome of ['accept', 'ignore', 'reject'] as const) {
            for (const [reason, n] of Object.entries(t.validation[outcome])) this.set({ topic, outcome, reason }, n);
          }
        }
      },
    });
  }
}
