// The `directory` source (design §1): audit a log that does not push, as anyone can audit
// WhatsApp from its public bucket. Each round asks the listing for the next epoch's blobs
// (`prefix={head+1}/`): S3 lists keys in byte order ("10/…" before "9/…"), so a single start-after
// cursor over the whole bucket would skip new epochs; the chain head is the cursor instead. A
// namespace without a root first pages through the whole listing (start-after) for its first blob.
// Each blob is validated first and signed only if it verified, under the usual chain rules.
import type { Logger } from 'pino';
import { parseBlobName, type AuditBlobName } from '../akd/blob-name.js';
import type { Alert } from '../consensus/alerts.js';
import type { SigningStore } from '../store/signing-store.js';
import { bytesEqual, toHex } from '../util/bytes.js';
import { errorMessage } from '../util/errors.js';
import type { Auditor } from './auditor.js';
import { listAll, type ProofDirectory } from './proof-directory.js';
import type { ValidationService } from './validation.js';

export interface DirectorySourceOptions {
  namespace: string;
  dir: ProofDirectory;
  pollIntervalMs: number;
  auditor: Auditor;
  signing: SigningStore;
  validation: ValidationService;
  logger: Logger;
  now: () => bigint;
  raiseAlert: (alert: Alert, dedupKey: string) => Promise<void>;
  /** Epochs handled per round at most (a node catching up yields between rounds). */
  maxEpochsPerRound?: number;
}

function parseKeys(keys: string[]): AuditBlobName[] {
  const out: AuditBlobName[] = [];
  for (const k of keys) {
    try {
      out.push(parseBlobName(k));
    } catch {
      // Not a proof blob (a README, a folder marker): not ours to judge.
    }
  }
  return out;
}

export class DirectorySource {
  readonly #o: DirectorySourceOptions;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #stopped = false;
  rounds = 0;

  constructor(o: DirectorySourceOptions) {
    this.#o = o;
  }

  start(): void {
    const tick = () => void this.round();
    tick();
    this.#timer = setInterval(tick, this.#o.pollIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  async #alert(reason: string, key: string, extra: Record<string, unknown> & { epoch?: bigint }): Promise<void> {
    await this.#o.raiseAlert({ type: 'validation-failed', namespace: this.#o.namespace, timestamp: this.#o.now(), reason, ...extra }, key);
  }

  /** One polling round: find the root if needed, then validate and sign every new epoch in order. */
  async round(): Promise<number> {
    if (this.#running || this.#stopped) return 0;
    this.#running = true;
    this.rounds++;
    const { namespace: ns, dir, logger } = this.#o;
    let signed = 0;
    try {
      let state = await this.#o.signing.namespaceState(ns);
      if (!state?.head) {
        const first = parseKeys(await listAll(dir, '')).sort((a, b) => (a.epoch < b.epoch ? -1 : a.epoch > b.epoch ? 1 : 0))[0];
        if (!first) return 0;
        // The first blob's previous digest is the root (the epoch before it).
        await this.#o.auditor.submit(ns, { epoch: first.epoch - 1n, digest: first.previousHash });
        logger.info({ event: 'directory-root', namespace: ns, root: `${first.epoch - 1n}/${toHex(first.previousHash)}` }, 'root taken from the first blob of the proof directory');
        state = await this.#o.signing.namespaceState(ns);
      }
      const max = this.#o.maxEpochsPerRound ?? 1000;
      while (state?.head && signed < max && !this.#stopped) {
        const head = state.head;
        const next = head.epoch + 1n;
        const blobs = parseKeys(await listAll(dir, `${next}/`)).filter((b) => b.epoch === next);
        if (blobs.length === 0) break;
        if (blobs.length > 1) {
          await this.#alert(`the proof directory lists ${blobs.length} blobs for epoch ${next}`, `directory-fork:${ns}:${next}`, {
            epoch: next,
            blob_names: blobs.map((b) => `${b.epoch}/${toHex(b.previousHash)}/${toHex(b.currentHash)}`),
          });
        }
        const chained = blobs.filter((b) => bytesEqual(b.previousHash, head.digest));
        if (chained.length === 0) {
          await this.#alert(`no blob for epoch ${next} continues the chain from ${toHex(head.digest)}`, `directory-chain-break:${ns}:${next}`, {
            epoch: next,
            blob_names: blobs.map((b) => `${b.epoch}/${toHex(b.previousHash)}/${toHex(b.currentHash)}`),
          });
          break;
        }
        const blob = chained[0] as AuditBlobName;
        const outcome = await this.#o.validation.verifyTransition({ namespace: ns, epoch: next, previous: blob.previousHash, current: blob.currentHash });
        if (outcome.kind !== 'verified') break; // missing: retry next round; failed: alerted, never signed
        await this.#o.auditor.submit(ns, { epoch: next, digest: blob.currentHash, previous: blob.previousHash });
        signed++;
        state = await this.#o.signing.namespaceState(ns);
      }
    } catch (err) {
      logger.warn({ event: 'directory-poll-failed', namespace: ns, err: errorMessage(err) }, 'polling the proof directory failed; will retry');
    } finally {
      this.#running = false;
    }
    return signed;
  }
}
