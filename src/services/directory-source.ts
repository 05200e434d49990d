// The `directory` source: audit a log that does not push, as anyone can audit WhatsApp from its
// public bucket (docs/design-decisions.md, "Directory source"). The bucket is never listed whole:
// each epoch is one `prefix={epoch}/&max-keys=2` listing (keys sort in byte order, "10/…" before
// "9/…", so a start-after cursor would skip epochs); a new namespace starts where the operator says
// (`start_at`: the head, found by a bounded search, or an epoch). The download of the next epoch's
// proof overlaps the verification of the current one. An epoch is signed only when its listing
// shows exactly one canonical blob that continues the chain and that blob verified.
import type { Logger } from 'pino';
import type { Alert } from '../consensus/alerts.js';
import type { SigningStore } from '../store/signing-store.js';
import { bytesEqual, toHex } from '../util/bytes.js';
import { errorMessage } from '../util/errors.js';
import type { SigningService } from './signing-service.js';
import { judgeEpoch, listEpoch, type EpochVerdict } from './directory-listing.js';
import { findHead } from './head-search.js';
import type { ProofDirectory } from './proof-directory.js';
import type { DownloadedProof, ProofVerificationService } from './proof-verification.js';
import type { ProofNaming } from '../formats/log-format.js';

export interface DirectorySourceOptions {
  namespace: string;
  dir: ProofDirectory;
  pollIntervalMs: number;
  auditor: SigningService;
  signing: SigningStore;
  validation: ProofVerificationService;
  /** How the namespace's log format names its proofs. */
  proofNames: ProofNaming;
  logger: Logger;
  now: () => bigint;
  raiseAlert: (alert: Alert, dedupKey: string) => Promise<void>;
  /** The operator's pick among two blobs for one epoch (admin endpoint), if any. */
  picked?: (epoch: bigint) => Promise<string | undefined>;
  /** Where a namespace without a chain starts: the directory's head (default) or an epoch. */
  startAt?: 'head' | bigint;
  /** Epochs handled per round at most (a node catching up yields between rounds). */
  maxEpochsPerRound?: number;
  /** A progress line while catching up, at most this often (ms). */
  progressLogMs?: number;
  /** How often the directory head is searched again while behind (ms). */
  headRefreshMs?: number;
}

export interface DirectoryProgress {
  namespace: string;
  /** Last epoch signed from the directory. */
  signed?: bigint;
  /** Highest epoch known to be in the directory. */
  head?: bigint;
  /** Epochs behind the directory head. */
  behind: bigint;
  /** Proof bytes downloaded per second (moving average). */
  bytesPerSecond: number;
  /** Estimated seconds to catch up, from the recent time per epoch. */
  etaSeconds: number;
  /** Recent epoch: download and verification time, and time from first seen to signed (ms). */
  last?: { epoch: bigint; downloadMs: number; verifyMs: number; totalMs: number };
}

interface Prefetch {
  epoch: bigint;
  verdict: Promise<EpochVerdict>;
  proof: Promise<DownloadedProof | undefined> | undefined;
  downloadMs: number;
}

/** Ignore a prefetch's failure until it is used (then the epoch is fetched again). */
function settled<T>(p: Promise<T>): Promise<T | undefined> {
  return p.then(
    (v) => v,
    () => undefined,
  );
}

const ewma = (prev: number, x: number) => (prev === 0 ? x : prev * 0.8 + x * 0.2);

export class DirectorySource {
  readonly #o: DirectorySourceOptions;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #stopped = false;
  #ahead: Prefetch | undefined;
  #head: bigint | undefined;
  #headSearchedAt = 0;
  #lastProgressLog = 0;
  #bytesPerSecond = 0;
  #msPerEpoch = 0;
  #last: DirectoryProgress['last'];
  #signed: bigint | undefined;
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
    void this.#dropAhead();
  }

  progress(): DirectoryProgress {
    const behind =
      this.#head !== undefined && this.#signed !== undefined && this.#head > this.#signed
        ? this.#head - this.#signed
        : 0n;
    return {
      namespace: this.#o.namespace,
      ...(this.#signed !== undefined ? { signed: this.#signed } : {}),
      ...(this.#head !== undefined ? { head: this.#head } : {}),
      behind,
      bytesPerSecond: Math.round(this.#bytesPerSecond),
      etaSeconds: Math.round((Number(behind) * this.#msPerEpoch) / 1000),
      ...(this.#last ? { last: this.#last } : {}),
    };
  }

  async #alert(reason: string, key: string, extra: Record<string, unknown> & { epoch?: bigint }): Promise<void> {
    await this.#o.raiseAlert(
      { type: 'validation-failed', namespace: this.#o.namespace, timestamp: this.#o.now(), reason, ...extra },
      key,
    );
  }

  async #dropAhead(): Promise<void> {
    const a = this.#ahead;
    this.#ahead = undefined;
    const p = a?.proof ? await settled(a.proof) : undefined;
    if (p) await this.#o.validation.discardDownload(p);
  }

  async #probe(epoch: bigint): Promise<boolean> {
    return (await this.#o.dir.list(`${epoch}/`, { maxKeys: 1 })).keys.length > 0;
  }

  /** The directory head, searched from a hint (bounded; docs/design-decisions.md). */
  async #searchHead(hint: bigint): Promise<bigint | undefined> {
    const head = await findHead((e) => this.#probe(e), hint);
    this.#headSearchedAt = Date.now();
    if (head !== undefined && (this.#head === undefined || head > this.#head)) this.#head = head;
    return head;
  }

  /** Alerts for an epoch that cannot be signed as listed; true when the epoch may proceed. */
  async #check(epoch: bigint, v: EpochVerdict): Promise<boolean> {
    const ns = this.#o.namespace;
    if (v.kind === 'fork') {
      // A fork in the log's own directory: sign neither until one is gone (fail closed).
      await this.#alert(
        `the proof directory has two different blobs for epoch ${epoch}: ${v.names.join(' and ')}; signing neither`,
        `directory-fork:${ns}:${epoch}`,
        {
          epoch,
          blob_names: v.names,
        },
      );
    } else if (v.kind === 'malformed') {
      await this.#alert(
        `the proof directory lists ${v.keys.length} malformed key(s) for epoch ${epoch} (e.g. ` +
          `${JSON.stringify(v.keys[0])}); not signing it`,
        `directory-malformed:${ns}:${epoch}`,
        {
          epoch,
          count: v.keys.length,
          examples: v.keys.slice(0, 3),
        },
      );
    }
    return v.kind === 'one';
  }

  /** A fork the operator settled by picking one of its blobs counts as that one blob. */
  async #judge(epoch: bigint): Promise<EpochVerdict> {
    const listing = await listEpoch(this.#o.dir, epoch, this.#o.proofNames);
    const v = judgeEpoch(listing);
    if (v.kind !== 'fork' || !this.#o.picked) return v;
    const pick = await this.#o.picked(epoch);
    const blob = listing.blobs.find((b) => b.name === pick);
    return blob ? { kind: 'one', blob } : v;
  }

  /** Lists the next epoch and, when it has one blob continuing `from`, starts its download. */
  #prefetch(epoch: bigint, from: Uint8Array): Prefetch {
    const verdict = this.#judge(epoch);
    const p: Prefetch = { epoch, verdict, proof: undefined, downloadMs: 0 };
    const started = Date.now();
    const proof = verdict.then(async (v) => {
      if (v.kind !== 'one' || !bytesEqual(v.blob.previous, from)) return undefined;
      const d = await this.#o.validation.download(this.#o.namespace, v.blob.name);
      p.downloadMs = Date.now() - started;
      return d;
    });
    p.proof = proof;
    // Failures surface when the prefetch is used; until then they must not go unhandled.
    void settled(verdict);
    void settled(proof);
    return p;
  }

  /** Start of a namespace without a chain: the root is the start epoch's previous digest. */
  async #begin(): Promise<boolean> {
    const { namespace: ns, logger } = this.#o;
    const startAt = this.#o.startAt ?? 'head';
    let epoch: bigint | undefined;
    if (startAt === 'head') {
      // Any present epoch is a hint to search upward from: the bucket's first key in byte order
      // (one key listed), which works whether the log starts at epoch 1 or at epoch 10^6.
      const first = (await this.#o.dir.list('', { maxKeys: 1 })).keys[0];
      const m = first === undefined ? null : /^([0-9]{1,20})\//.exec(first);
      epoch = await this.#searchHead(m ? BigInt(m[1] as string) : 1n);
      if (epoch === undefined) return false;
    } else {
      epoch = startAt;
      // Catching up from an epoch: how far the head is, for progress from the first epoch on.
      await this.#searchHead(epoch);
    }
    const v = await this.#judge(epoch);
    if (!(await this.#check(epoch, v)) || v.kind !== 'one') return false;
    await this.#o.auditor.submit(ns, { epoch: epoch - 1n, digest: v.blob.previous });
    logger.info(
      {
        event: 'directory-root',
        namespace: ns,
        start_at: startAt.toString(),
        root: `${epoch - 1n}/${toHex(v.blob.previous)}`,
      },
      `starting the directory audit at epoch ${epoch}`,
    );
    return true;
  }

  /** One polling round: start if needed, then validate and sign every new epoch in order. */
  async round(): Promise<number> {
    if (this.#running || this.#stopped) return 0;
    this.#running = true;
    this.rounds++;
    const { namespace: ns, logger } = this.#o;
    let signed = 0;
    try {
      let state = await this.#o.signing.namespaceState(ns);
      if (!state?.head) {
        if (!(await this.#begin())) return 0;
        state = await this.#o.signing.namespaceState(ns);
      }
      const max = this.#o.maxEpochsPerRound ?? 1000;
      while (state?.head && signed < max && !this.#stopped) {
        const head = state.head;
        this.#signed = head.epoch;
        const next = head.epoch + 1n;
        const t0 = Date.now();
        if (this.#ahead && this.#ahead.epoch !== next) await this.#dropProof(this.#ahead);
        const ahead = this.#ahead?.epoch === next ? this.#ahead : this.#prefetch(next, head.digest);
        this.#ahead = undefined;
        let verdict: EpochVerdict;
        try {
          verdict = await ahead.verdict;
        } catch (err) {
          await this.#dropProof(ahead);
          throw err;
        }
        if (verdict.kind === 'absent') {
          await this.#dropProof(ahead);
          break; // not yet (or a cached negative listing): retry next round, never evidence
        }
        if (!(await this.#check(next, verdict)) || verdict.kind !== 'one') {
          await this.#dropProof(ahead);
          break;
        }
        const blob = verdict.blob;
        if (this.#head === undefined || next > this.#head) this.#head = next;
        if (!bytesEqual(blob.previous, head.digest)) {
          // Both objects are present and their names do not chain: conclusive.
          await this.#alert(
            `the blob for epoch ${next} (${blob.name}) does not continue the chain from ` +
              `${head.epoch}/${toHex(head.digest)}`,
            `directory-chain-break:${ns}:${next}`,
            {
              epoch: next,
              blob_names: [blob.name],
            },
          );
          break;
        }
        // A failed prefetch is retried by verifyTransition, which downloads what it is not given.
        const proof = await settled(ahead.proof ?? Promise.resolve(undefined));
        // Next epoch's listing and download run while this one verifies.
        this.#ahead = this.#prefetch(next + 1n, blob.current);
        const tv = Date.now();
        const outcome = await this.#o.validation.verifyTransition(
          { namespace: ns, epoch: next, previous: blob.previous, current: blob.current },
          proof,
        );
        if (outcome.kind !== 'verified') break; // missing: retry next round; failed: alerted, never signed
        await this.#o.auditor.submit(ns, { epoch: next, digest: blob.current, previous: blob.previous });
        signed++;
        const done = Date.now();
        this.#note(next, ahead.downloadMs, done - tv, done - t0, proof?.bytes ?? 0);
        state = await this.#o.signing.namespaceState(ns);
        this.#signed = state?.head?.epoch;
        await this.#refreshHead();
        this.#logProgress();
      }
      await this.#refreshHead();
      this.#logProgress();
    } catch (err) {
      logger.warn(
        { event: 'directory-poll-failed', namespace: ns, err: errorMessage(err) },
        'polling the proof directory failed; will retry',
      );
    } finally {
      this.#running = false;
    }
    return signed;
  }

  async #dropProof(p: Prefetch): Promise<void> {
    const d = p.proof ? await settled(p.proof) : undefined;
    if (d) await this.#o.validation.discardDownload(d);
  }

  #note(epoch: bigint, downloadMs: number, verifyMs: number, totalMs: number, bytes: number): void {
    this.#last = { epoch, downloadMs, verifyMs, totalMs };
    this.#msPerEpoch = ewma(this.#msPerEpoch, totalMs);
    if (downloadMs > 0 && bytes > 0) this.#bytesPerSecond = ewma(this.#bytesPerSecond, (bytes * 1000) / downloadMs);
    this.#o.logger.debug(
      {
        event: 'directory-epoch',
        namespace: this.#o.namespace,
        epoch: epoch.toString(),
        bytes,
        download_ms: downloadMs,
        verify_ms: verifyMs,
        total_ms: totalMs,
      },
      'epoch audited from the directory',
    );
  }

  /** While behind, or once a minute, look for the directory's head again (a bounded search). */
  async #refreshHead(): Promise<void> {
    const every = this.#o.headRefreshMs ?? 60_000;
    if (this.#signed === undefined || Date.now() - this.#headSearchedAt < every) return;
    await this.#searchHead(this.#head ?? this.#signed);
  }

  #logProgress(): void {
    const p = this.progress();
    if (p.behind <= 1n) return;
    const now = Date.now();
    if (now - this.#lastProgressLog < (this.#o.progressLogMs ?? 5000)) return;
    this.#lastProgressLog = now;
    this.#o.logger.info(
      {
        event: 'directory-catching-up',
        namespace: p.namespace,
        signed: p.signed?.toString(),
        head: p.head?.toString(),
        behind: p.behind.toString(),
        eta_seconds: p.etaSeconds,
        bytes_per_second: p.bytesPerSecond,
      },
      `catching up: ${p.behind} epoch(s) behind the directory head, ETA ${p.etaSeconds} s, ` +
        `${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s`,
    );
  }
}
