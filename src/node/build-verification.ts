// The AKD proof-verification wiring: the worker pool, the ValidationService and one
// DirectorySource per namespace read from a proof directory (docs/akd.md).
import type { Logger } from 'pino';
import type { Alert } from '../consensus/alerts.js';
import type { NamespaceConfig, NodeConfig } from '../config/config.js';
import { AkdVerifyPool } from '../akd-runtime/verify-pool.js';
import { DirectorySource } from '../services/directory-source.js';
import type { EventType } from '../services/event-log.js';
import { openProofDirectory, type ProofDirectory } from '../services/proof-directory.js';
import { ValidationService } from '../services/proof-verification.js';
import type { SigningService } from '../services/signing-service.js';
import type { DirectoryPicks } from '../store/directory-picks.js';
import type { ProofFileStore } from '../store/proof-files.js';
import type { SigningStore } from '../store/signing-store.js';
import type { VerificationStore } from '../store/verification-store.js';
import type { Metrics } from './metrics.js';

export interface VerificationContext {
  config: NodeConfig;
  signing: SigningStore;
  verifications: VerificationStore;
  proofs: ProofFileStore;
  picks: DirectoryPicks;
  auditor: SigningService;
  metrics: Metrics;
  logger: Logger;
  raiseAlert: (alert: Alert, key: string) => Promise<void>;
  event: (type: EventType, data: Record<string, unknown>) => void;
  /** Filled with the namespaces' directory sources (read by the metrics at scrape time). */
  directorySources: DirectorySource[];
}

export interface Verification {
  pool: AkdVerifyPool;
  validation: ValidationService;
}

/** Undefined when no namespace has a proof directory (nothing to verify). */
export function buildVerification(ctx: VerificationContext, now: () => bigint): Verification | undefined {
  const directories = new Map<string, { dir: ProofDirectory; config: NamespaceConfig }>();
  for (const ns of ctx.config.namespaces) {
    if (ns.proofDirectory) directories.set(ns.name, { dir: openProofDirectory(ns.proofDirectory, ns.proofDirectoryFormat, { cacheBust: ns.proofDirectoryCacheBust }), config: ns });
  }
  if (directories.size === 0) return undefined;
  // One verification thread by default: a WhatsApp epoch takes ~1 s and a Messenger epoch ~5 s, far
  // below their intervals, and every extra thread adds a proof's worth of peak memory (docs/akd.md).
  const pool = new AkdVerifyPool({ size: ctx.config.validation.workers ?? 1 });
  const validation = new ValidationService({
    signing: ctx.signing,
    store: ctx.verifications,
    pool,
    directories,
    logger: ctx.logger,
    now,
    raiseAlert: (alert, key) => ctx.raiseAlert(alert, key),
    proofs: ctx.proofs,
    retention: {
      maxEpochs: ctx.config.validation.proofRetentionEpochs,
      maxBytes: ctx.config.validation.proofRetentionBytes,
      maxAgeMs: ctx.config.validation.proofRetentionSeconds * 1000,
    },
    onDownloaded: (ns, bytes) => ctx.metrics.proofBytesDownloaded.inc({ namespace: ns }, bytes),
    onVerified: (r) => {
      ctx.metrics.validationDuration.observe({ namespace: r.namespace }, r.ms / 1000);
      if (!r.ok) ctx.metrics.validationFailures.inc({ namespace: r.namespace });
      else ctx.event('validation-succeeded', { namespace: r.namespace, epoch: r.epoch, blob_name: r.blobName, ms: r.ms });
    },
  });
  for (const [ns, { dir, config }] of directories) {
    if (config.source !== 'directory') continue;
    ctx.directorySources.push(
      new DirectorySource({
        namespace: ns,
        dir,
        pollIntervalMs: config.pollIntervalSeconds * 1000,
        auditor: ctx.auditor,
        signing: ctx.signing,
        validation,
        logger: ctx.logger,
        now,
        raiseAlert: (alert, key) => ctx.raiseAlert(alert, key),
        startAt: config.startAt,
        picked: (epoch) => ctx.picks.picked(ns, epoch),
      }),
    );
  }
  return { pool, validation };
}
