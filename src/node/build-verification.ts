// The proof-verification wiring: one verifier per log format in use (docs/log-formats.md), the
// ProofVerificationService and one DirectorySource per namespace read from a proof directory.
import type { Logger } from 'pino';
import type { Alert } from '../consensus/alerts.js';
import type { NodeConfig } from '../config/config.js';
import type { ProofVerifier } from '../formats/log-format.js';
import type { FormatRegistry } from '../formats/registry.js';
import { DirectorySource } from '../services/directory-source.js';
import type { EventType } from '../services/event-log.js';
import { MemoryBudget } from '../services/memory-budget.js';
import { openProofDirectory } from '../services/proof-directory.js';
import { ProofVerificationService, type VerifiedNamespace } from '../services/proof-verification.js';
import type { SigningService } from '../services/signing-service.js';
import type { DirectoryPicks } from '../store/directory-picks.js';
import type { ProofFileStore } from '../store/proof-files.js';
import type { SigningStore } from '../store/signing-store.js';
import type { VerificationRecord, VerificationStore } from '../store/verification-store.js';
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
  /** Every verification result, after it is recorded (AKD epochs as checkpoints: docs/c2sp.md). */
  onVerifiedRecord?: (r: VerificationRecord) => void;
}

export interface Verification {
  /** One verifier per log format in use, shared by that format's namespaces. */
  verifiers: ProofVerifier[];
  proofVerification: ProofVerificationService;
}

/** Undefined when no namespace has a proof directory (nothing to verify). */
export function buildVerification(
  ctx: VerificationContext,
  formats: FormatRegistry,
  now: () => bigint,
): Verification | undefined {
  const directories = new Map<string, VerifiedNamespace>();
  const verifiers = new Map<string, ProofVerifier>();
  for (const ns of ctx.config.namespaces) {
    if (!ns.proofDirectory) continue;
    const format = formats.epochFormat(ns.logFormat);
    let verifier = verifiers.get(format.id);
    if (!verifier) {
      // One verification thread by default: a WhatsApp epoch takes ~1 s and a Messenger epoch ~5 s, far
      // below their intervals, and every extra thread adds a proof's worth of peak memory (docs/akd.md).
      verifier = format.createVerifier({ workers: ctx.config.validation.workers ?? 1 });
      verifiers.set(format.id, verifier);
    }
    const cacheBust = ns.proofDirectoryCacheBust;
    const dir = openProofDirectory(ns.proofDirectory, ns.proofDirectoryFormat, { cacheBust });
    directories.set(ns.name, { dir, config: ns, format, verifier });
  }
  if (directories.size === 0) return undefined;
  // One budget for every namespace's downloads and verifications (docs/akd.md, "The node's memory").
  const budget = new MemoryBudget(ctx.config.validation.memoryBudgetBytes);
  ctx.metrics.watchMemoryBudget(() => budget.state());
  const validation = new ProofVerificationService({
    signing: ctx.signing,
    store: ctx.verifications,
    directories,
    logger: ctx.logger,
    now,
    raiseAlert: (alert, key) => ctx.raiseAlert(alert, key),
    proofs: ctx.proofs,
    budget,
    retention: {
      maxEpochs: ctx.config.validation.proofRetentionEpochs,
      maxBytes: ctx.config.validation.proofRetentionBytes,
      maxAgeMs: ctx.config.validation.proofRetentionSeconds * 1000,
    },
    onDownloaded: (ns, bytes) => ctx.metrics.proofBytesDownloaded.inc({ namespace: ns }, bytes),
    onVerified: (r) => {
      ctx.metrics.validationDuration.observe({ namespace: r.namespace }, r.ms / 1000);
      if (!r.ok) ctx.metrics.validationFailures.inc({ namespace: r.namespace });
      else {
        const data = { namespace: r.namespace, epoch: r.epoch, blob_name: r.blobName, ms: r.ms };
        ctx.event('validation-succeeded', data);
      }
      ctx.onVerifiedRecord?.(r);
    },
  });
  for (const [ns, { dir, config, format }] of directories) {
    if (config.source !== 'directory') continue;
    ctx.directorySources.push(
      new DirectorySource({
        namespace: ns,
        dir,
        pollIntervalMs: config.pollIntervalSeconds * 1000,
        auditor: ctx.auditor,
        signing: ctx.signing,
        validation,
        proofNames: format.proofNames,
        logger: ctx.logger,
        now,
        raiseAlert: (alert, key) => ctx.raiseAlert(alert, key),
        startAt: config.startAt,
        picked: (epoch) => ctx.picks.picked(ns, epoch),
      }),
    );
  }
  return { verifiers: [...verifiers.values()], proofVerification: validation };
}
