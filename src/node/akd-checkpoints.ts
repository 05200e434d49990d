// AKD epochs as checkpoints, tier B (docs/c2sp.md, "AKD epochs as checkpoints"): when the node has fully
// verified an epoch of an AKD namespace whose roster entry names a `checkpoint_origin` — the append-only
// proof replayed and valid, the proof verification's verdict, never only a signature — it cosigns the
// mapping's body for that epoch and root and publishes it. The checkpoint store never holds two own
// cosignatures for one (origin, epoch): a second body is refused (fail closed) and alerted.
import type { Logger } from 'pino';
import { akdCheckpointBody } from '../c2sp/akd-checkpoint.js';
import type { Roster } from '../consensus/roster.js';
import { AKD_FORMAT_ID } from '../formats/akd/index.js';
import { OwnCosignatureConflictError, type CheckpointService } from '../services/checkpoint-service.js';
import type { VerificationRecord, VerificationStore } from '../store/verification-store.js';
import { fromHex } from '../util/bytes.js';
import { errorMessage } from '../util/errors.js';

export interface AkdCheckpointDependencies {
  checkpoints: Pick<CheckpointService, 'cosignAndPublish'>;
  roster: Roster;
  /** The log format of a namespace this node audits (undefined: not one of its namespaces). */
  formatOf(namespace: string): string | undefined;
  logger: Logger;
  /** Raises the alert for a refused cosignature (counted, on the event stream). */
  refused(data: Record<string, unknown>): void;
}

export class AkdCheckpointCosigner {
  constructor(private readonly d: AkdCheckpointDependencies) {}

  /** The origin a namespace's epochs are cosigned under: an AKD namespace with a roster checkpoint_origin. */
  originOf(namespace: string): string | undefined {
    if (this.d.formatOf(namespace) !== AKD_FORMAT_ID) return undefined;
    return this.d.roster.namespace(namespace)?.checkpointOrigin;
  }

  /** After each verification: a valid one is cosigned; a failed one never is. Errors are logged, not thrown. */
  async onVerified(r: VerificationRecord): Promise<'cosigned' | 'held' | 'skipped' | 'refused' | 'failed'> {
    if (!r.ok) return 'skipped';
    const origin = this.originOf(r.namespace);
    if (origin === undefined) return 'skipped';
    const body = akdCheckpointBody(origin, r.epoch, fromHex(r.endHash, 32, 'verified root'));
    try {
      const c = await this.d.checkpoints.cosignAndPublish(body);
      return c.fresh ? 'cosigned' : 'held';
    } catch (err) {
      const what = { namespace: r.namespace, origin, epoch: r.epoch.toString(), root: r.endHash };
      if (err instanceof OwnCosignatureConflictError) {
        this.d.logger.error({ event: 'checkpoint-cosign-refused', ...what }, err.message);
        this.d.refused({ kind: 'checkpoint-cosign-refused', reason: err.message, ...what, epoch: r.epoch });
        return 'refused';
      }
      this.d.logger.error({ event: 'checkpoint-cosign-failed', ...what, err: errorMessage(err) }, 'could not cosign');
      return 'failed';
    }
  }

  /** At start: the newest verified epoch of each namespace, in case the node stopped before cosigning it. */
  async catchUp(namespaces: readonly string[], verifications: VerificationStore): Promise<void> {
    for (const ns of namespaces) {
      if (this.originOf(ns) === undefined) continue;
      const last = await verifications.lastVerifiedEpoch(ns);
      const r = last === undefined ? undefined : await verifications.result(ns, last);
      if (r) await this.onVerified(r);
    }
  }
}
