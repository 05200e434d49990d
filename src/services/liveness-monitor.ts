// Watches what arrives (observations, quorums) and raises the liveness alerts operators of
// witness networks ask for: log-stalled, quorum-missed, auditor-silent. The rules are the pure
// functions in consensus/alerts.ts; this module keeps the clocks. An epoch's first-seen time and
// quorum come from the QuorumTracker, which persists both, so a restart changes neither.
import type { Observation } from '../consensus/observation.js';
import type { Roster } from '../consensus/roster.js';
import { auditorSilent, logStalled, quorumMissed, type Alert } from '../consensus/alerts.js';
import { nsEpochKey } from '../store/keys.js';

export interface LivenessSettings {
  /** Per namespace: the longest a log may go without a new epoch (undefined: not checked). */
  maxEpochIntervalMs: (ns: string) => bigint | undefined;
  /** How long an epoch may wait for the threshold (undefined: not checked). */
  quorumTimeoutMs?: bigint;
  /** How long a roster auditor may be silent while epochs keep coming (undefined: not checked). */
  auditorSilenceMs?: bigint;
}

export type RaiseAlert = (alert: Alert, dedupKey: string) => void;

export const MAX_TRACKED_EPOCHS = 2048;

export class LivenessMonitor {
  readonly #lastEpoch = new Map<string, { epoch: bigint; at: bigint }>();
  readonly #firstSeen = new Map<string, { ns: string; epoch: bigint; at: bigint; reached: boolean }>();
  /** Per namespace and roster auditor: when it was last heard, or when watching began (`heard: false`). */
  readonly #heard = new Map<string, { ns: string; auditor: string; at: bigint; heard: boolean }>();

  constructor(
    private readonly roster: Roster,
    private readonly settings: LivenessSettings,
    private readonly now: () => bigint,
    private readonly raise: RaiseAlert,
  ) {}

  /** Namespaces are watched from the start: a log that never produces an epoch stalls too. */
  watch(ns: string): void {
    const now = this.now();
    if (!this.#lastEpoch.has(ns)) this.#lastEpoch.set(ns, { epoch: -1n, at: now });
    // Every roster auditor is timed from the start too: one never heard since then is silent as
    // well once epochs keep coming (README, `liveness.auditor_silence_seconds`).
    for (const a of this.roster.auditors) {
      const k = `${ns}\x00${a.name}`;
      if (!this.#heard.has(k)) this.#heard.set(k, { ns, auditor: a.name, at: now, heard: false });
    }
  }

  onObservation(o: Observation): void {
    const now = this.now();
    const last = this.#lastEpoch.get(o.namespace);
    if (!last || o.epoch > last.epoch) this.#lastEpoch.set(o.namespace, { epoch: o.epoch, at: now });
    const role = this.roster.signerRole(o.namespace, o.signerKey);
    if (role?.kind === 'auditor')
      this.#heard.set(`${o.namespace}\x00${role.auditor.name}`, {
        ns: o.namespace,
        auditor: role.auditor.name,
        at: now,
        heard: true,
      });
  }

  /**
   * An epoch's persisted quorum state (QuorumTracker): waiting since `firstSeenMs`, or reached.
   * A reached epoch is never timed again, whenever its observations keep arriving.
   */
  onEpochState(ns: string, epoch: bigint, state: { reached: true } | { reached: false; firstSeenMs: bigint }): void {
    const k = nsEpochKey(ns, epoch);
    const e = this.#firstSeen.get(k);
    if (state.reached) {
      if (e) e.reached = true;
      return;
    }
    if (e) return;
    this.#firstSeen.set(k, { ns, epoch, at: state.firstSeenMs, reached: false });
    if (this.#firstSeen.size > MAX_TRACKED_EPOCHS)
      this.#firstSeen.delete(this.#firstSeen.keys().next().value as string);
  }

  onQuorum(ns: string, epoch: bigint): void {
    this.onEpochState(ns, epoch, { reached: true });
  }

  /** Evaluates every rule now; alerts are deduplicated by the caller's store. */
  check(): void {
    const now = this.now();
    for (const [ns, last] of this.#lastEpoch) {
      const max = this.settings.maxEpochIntervalMs(ns);
      if (max !== undefined && logStalled(last.at, now, max)) {
        this.raise(
          {
            type: 'log-stalled',
            namespace: ns,
            ...(last.epoch >= 0n ? { epoch: last.epoch } : {}),
            timestamp: now,
            reason: `no new epoch for ${(now - last.at) / 1000n} s (allowed: ${max / 1000n} s)`,
            last_epoch_seen_at: last.at,
          },
          `log-stalled:${ns}:${last.epoch}`,
        );
      }
    }
    if (this.settings.quorumTimeoutMs !== undefined) {
      for (const e of this.#firstSeen.values()) {
        if (quorumMissed(e.at, e.reached, now, this.settings.quorumTimeoutMs)) {
          this.raise(
            {
              type: 'quorum-missed',
              namespace: e.ns,
              epoch: e.epoch,
              timestamp: now,
              reason:
                `epoch ${e.epoch} did not reach ${this.roster.threshold} co-signatures within ` +
                `${this.settings.quorumTimeoutMs / 1000n} s`,
              threshold: this.roster.threshold,
            },
            `quorum-missed:${e.ns}:${e.epoch}`,
          );
          e.reached = true; // one alert per epoch
        }
      }
    }
    if (this.settings.auditorSilenceMs !== undefined) {
      for (const h of this.#heard.values()) {
        if (auditorSilent(h.at, this.#lastEpoch.get(h.ns)?.at, now, this.settings.auditorSilenceMs)) {
          this.raise(
            {
              type: 'auditor-silent',
              namespace: h.ns,
              timestamp: now,
              reason: h.heard
                ? `${h.auditor} has not been heard for ${(now - h.at) / 1000n} s while epochs kept coming`
                : `${h.auditor} has not been heard since this node started ${(now - h.at) / 1000n} s ago while ` +
                  `epochs kept coming`,
              auditor: h.auditor,
              last_heard_at: h.at,
            },
            `auditor-silent:${h.ns}:${h.auditor}:${h.at}`,
          );
        }
      }
    }
  }
}
