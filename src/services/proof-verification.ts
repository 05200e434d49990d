// Proof verification in the node (docs/protocol.md §4.6): every epoch a namespace signs is checked
// against the log's proof by the namespace's log format (docs/log-formats.md; AKD verifies in worker
// threads), without ever delaying a signature. Results are stored and served (last-verified-epoch),
// verified proofs are mirrored for plexi users, failures are alerts. Fetch errors retry with
// backoff; after a restart, verification resumes where it was. Event and metric names keep the word
// "validation": they are user-visible contracts.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Alert } from '../consensus/alerts.js';
import type { SigningStore } from '../store/signing-store.js';
import type { VerificationRecord, VerificationStore } from '../store/verification-store.js';
import type { ProofFileStore, RetentionPolicy } from '../store/proof-files.js';
import { toHex } from '../util/bytes.js';
import { errorMessage } from '../util/errors.js';
import type { NamespaceConfig } from '../config/config.js';
import type { EpochLogFormat, ProofVerifier } from '../formats/log-format.js';
import { ProofDirectoryError, type ProofDirectory } from './proof-directory.js';
import { DOWNLOAD_RESERVATION_BYTES, type MemoryBudget } from './memory-budget.js';

/** A namespace whose proofs are checked: where they are, its config, its format and that format's verifier. */
export interface VerifiedNamespace {
  dir: ProofDirectory;
  config: NamespaceConfig;
  format: EpochLogFormat;
  verifier: ProofVerifier;
}

export interface ProofVerificationOptions {
  signing: SigningStore;
  store: VerificationStore;
  directories: Map<string, VerifiedNamespace>;
  logger: Logger;
  now: () => bigint;
  raiseAlert: (alert: Alert, dedupKey: string) => Promise<void>;
  onVerified?: (r: VerificationRecord) => void;
  /** Bytes of each proof downloaded (progress metrics). */
  onDownloaded?: (ns: string, bytes: number) => void;
  /** Where proofs are downloaded to and kept (files in the data directory). */
  proofs: ProofFileStore;
  /** Verified proofs kept per namespace. */
  retention: RetentionPolicy;
  /** Backoff for fetch retries. */
  retry?: { initialMs: number; maxMs: number };
  /** The node's memory budget, shared by every namespace's downloads and verifications. */
  budget?: MemoryBudget;
}

export interface Transition {
  namespace: string;
  epoch: bigint;
  previous: Uint8Array;
  current: Uint8Array;
}

/** A proof downloaded into the proof store's incoming folder, not yet judged. */
export interface DownloadedProof {
  blobName: string;
  path: string;
  bytes: number;
}

export type VerifyOutcome =
  | { kind: 'verified'; record: VerificationRecord }
  | { kind: 'failed'; record: VerificationRecord }
  | { kind: 'missing' };

export class ProofVerificationService {
  readonly #o: ProofVerificationOptions;
  readonly #queued = new Set<string>();
  #stopped = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(o: ProofVerificationOptions) {
    this.#o = o;
  }

  configFor(ns: string): NamespaceConfig | undefined {
    return this.#o.directories.get(ns)?.config;
  }

  directoryFor(ns: string): ProofDirectory | undefined {
    return this.#o.directories.get(ns)?.dir;
  }

  /** Fetches and verifies one transition's proof (no retries); records the result. */
  async verifyTransition(t: Transition, prefetched?: DownloadedProof): Promise<VerifyOutcome> {
    const entry = this.#o.directories.get(t.namespace);
    if (!entry) throw new Error(`namespace ${t.namespace} has no proof directory`);
    const blobName = entry.format.proofNames.format({ epoch: t.epoch, previous: t.previous, current: t.current });
    // A blob is judged once: its verdict does not change.
    const prior = await this.#o.store.result(t.namespace, t.epoch);
    if (prior && prior.blobName === blobName) {
      if (prefetched) await this.#o.proofs.discard(prefetched.path);
      return prior.ok ? { kind: 'verified', record: prior } : { kind: 'failed', record: prior };
    }
    if (prefetched && prefetched.blobName !== blobName) {
      await this.#o.proofs.discard(prefetched.path);
      prefetched = undefined;
    }
    const proof = prefetched ?? (await this.download(t.namespace, blobName));
    if (!proof) return { kind: 'missing' };
    let outcome;
    try {
      const settings = entry.config.formatSettings;
      const bytes = entry.format.verificationMemoryBytes?.(proof.bytes) ?? proof.bytes;
      outcome = await this.#budgeted(bytes, () => entry.verifier.verify(proof.path, { ...t, settings }));
    } catch (err) {
      await this.#o.proofs.discard(proof.path);
      throw err;
    }
    const record: VerificationRecord = {
      namespace: t.namespace,
      epoch: t.epoch,
      blobName,
      ok: outcome.ok,
      ...(outcome.failure ? { failure: outcome.failure } : {}),
      jobId: randomUUID(),
      timestamp: this.#o.now(),
      startHash: toHex(t.previous),
      endHash: toHex(t.current),
      inserted: outcome.inserted,
      unchanged: outcome.unchanged,
      ms: Math.round(outcome.totalMs),
    };
    // A verified proof is mirrored until retention drops it; a failed one is evidence, kept until
    // the operator prunes it (docs/design-decisions.md, "Proof storage").
    await this.#o.proofs.keep(
      t.namespace,
      blobName,
      proof.path,
      proof.bytes,
      outcome.ok ? undefined : { reason: outcome.failure?.message ?? 'the proof did not verify' },
    );
    if (outcome.ok) await this.#o.proofs.applyRetention(t.namespace, this.#o.retention);
    const root = (await this.#o.signing.namespaceState(t.namespace))?.root?.epoch ?? t.epoch - 1n;
    await this.#o.store.record(record, root);
    this.#o.onVerified?.(record);
    if (!outcome.ok) {
      this.#o.logger.error(
        {
          event: 'validation-failed',
          namespace: t.namespace,
          epoch: t.epoch.toString(),
          blob_name: blobName,
          reason: outcome.failure?.message,
        },
        `${entry.format.describe.label} proof did not verify`,
      );
      await this.#o.raiseAlert(
        {
          type: 'validation-failed',
          namespace: t.namespace,
          epoch: t.epoch,
          timestamp: record.timestamp,
          blob_name: blobName,
          reason: outcome.failure?.message ?? 'the proof did not verify',
          ...(outcome.failure ? { failure: outcome.failure } : {}),
        },
        `validation-failed:${t.namespace}:${blobName}`,
      );
      return { kind: 'failed', record };
    }
    this.#o.logger.info(
      {
        event: 'epoch-verified',
        namespace: t.namespace,
        epoch: t.epoch.toString(),
        ms: record.ms,
        inserted: record.inserted,
        unchanged: record.unchanged,
      },
      `${entry.format.describe.proofLabel} verified`,
    );
    return { kind: 'verified', record };
  }

  /** Streams a blob from the namespace's directory into the proof store's incoming folder. */
  async download(ns: string, blobName: string): Promise<DownloadedProof | undefined> {
    const entry = this.#o.directories.get(ns);
    if (!entry) throw new Error(`namespace ${ns} has no proof directory`);
    const path = this.#o.proofs.incomingPath();
    const bytes = await this.#budgeted(DOWNLOAD_RESERVATION_BYTES, () => entry.dir.download(blobName, path));
    if (bytes === undefined) return undefined;
    this.#o.onDownloaded?.(ns, bytes);
    return { blobName, path, bytes };
  }

  /** Runs a job within the memory budget (docs/akd.md, "The node's memory"), or at once without one. */
  #budgeted<T>(bytes: number, job: () => Promise<T>): Promise<T> {
    return this.#o.budget ? this.#o.budget.run(bytes, job) : job();
  }

  /** Removes a download that will not be judged (a prefetch that was not used). */
  async discardDownload(d: DownloadedProof): Promise<void> {
    await this.#o.proofs.discard(d.path);
  }

  /** Queues validation of an epoch this node signed (push source); never blocks the caller. */
  enqueue(ns: string, epoch: bigint, attempt = 0): void {
    if (this.#stopped || !this.#o.directories.has(ns) || this.configFor(ns)?.source === 'directory') return;
    const key = `${ns}\x00${epoch}`;
    if (this.#queued.has(key) && attempt === 0) return;
    this.#queued.add(key);
    void this.#run(ns, epoch, attempt);
  }

  async #run(ns: string, epoch: bigint, attempt: number): Promise<void> {
    const key = `${ns}\x00${epoch}`;
    try {
      if (await this.#o.store.result(ns, epoch)) return this.#done(key);
      const cur = await this.#o.signing.signedEpoch(ns, epoch);
      const prev = await this.#o.signing.signedEpoch(ns, epoch - 1n);
      if (!cur || !prev) return this.#done(key); // the root, or nothing signed: nothing to check
      const out = await this.verifyTransition({ namespace: ns, epoch, previous: prev.digest, current: cur.digest });
      if (out.kind !== 'missing') return this.#done(key);
      this.#retry(ns, epoch, attempt, 'the proof is not in the proof directory yet');
    } catch (err) {
      const transient = !(err instanceof ProofDirectoryError) || err.transient;
      if (!transient) {
        this.#o.logger.error(
          { event: 'validation-error', namespace: ns, epoch: epoch.toString(), err: errorMessage(err) },
          'cannot validate this epoch',
        );
      }
      this.#retry(ns, epoch, attempt, errorMessage(err));
    }
  }

  #retry(ns: string, epoch: bigint, attempt: number, why: string): void {
    const { initialMs, maxMs } = this.#o.retry ?? { initialMs: 1000, maxMs: 60_000 };
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 16));
    this.#o.logger.debug(
      { event: 'validation-retry', namespace: ns, epoch: epoch.toString(), attempt, delay, why },
      'will retry',
    );
    const t = setTimeout(() => {
      this.#timers.delete(t);
      this.enqueue(ns, epoch, attempt + 1);
    }, delay);
    t.unref();
    this.#timers.add(t);
  }

  #done(key: string): void {
    this.#queued.delete(key);
  }

  /** After a restart: queue every signed epoch above the last verified one that has no result. */
  async resume(): Promise<number> {
    let n = 0;
    for (const [ns, { config }] of this.#o.directories) {
      if (config.source === 'directory') continue;
      const state = await this.#o.signing.namespaceState(ns);
      if (!state?.root || !state.head) continue;
      const from = ((await this.#o.store.lastVerifiedEpoch(ns)) ?? state.root.epoch) + 1n;
      for await (const s of this.#o.signing.signedEpochs(ns, { from })) {
        if (!(await this.#o.store.result(ns, s.epoch))) {
          this.enqueue(ns, s.epoch);
          n++;
        }
      }
    }
    return n;
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
  }
}
