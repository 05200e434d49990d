// Following auditors that do not run Chorus (docs/protocol.md §1, source `plexi`): for every external
// Plexi auditor in the roster and every namespace this node audits, poll its API, verify each
// SignatureResponse strictly against the auditor's roster key, and import it as an observation
// signed by that auditor — stored, checked for equivocation and gossiped like any member's. The
// same response imported by several nodes encodes to the same bytes: one gossip message.
import type { Logger } from 'pino';
import type { Observation } from '../consensus/observation.js';
import type { Roster, RosterAuditor } from '../consensus/roster.js';
import { PlexiClient } from '../plexi-client/client.js';
import { verifySignatureResponse } from '../plexi/verify-response.js';
import { Batch, Table, type RootDb } from '../store/database.js';
import type { SigningStore } from '../store/signing-store.js';
import { toHex } from '../util/bytes.js';
import { errorMessage } from '../util/errors.js';
import { parseU64 } from '../util/u64.js';

export interface PlexiFollowerOptions {
  roster: Roster;
  namespaces: string[];
  db: RootDb;
  signing: SigningStore;
  /** Stores, checks and publishes an imported observation. */
  importObservation: (o: Observation) => Promise<void>;
  logger: Logger;
  pollIntervalMs: number;
  maxEpochsPerPoll: number;
  timeoutMs?: number;
}

export interface FollowStats {
  imported: number;
  badSignatures: number;
  errors: number;
}

export class PlexiFollower {
  readonly #o: PlexiFollowerOptions;
  readonly #cursors: Table<string, string>;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #running = new Set<string>();
  readonly stats: FollowStats = { imported: 0, badSignatures: 0, errors: 0 };
  #stopped = false;

  constructor(o: PlexiFollowerOptions) {
    this.#o = o;
    this.#cursors = new Table(
      o.db,
      'plexi-cursors',
      (v: string) => v,
      (v: string) => v,
    );
  }

  get auditors(): RosterAuditor[] {
    return this.#o.roster.auditors.filter((a) => a.plexiUrl !== undefined);
  }

  start(): void {
    for (const auditor of this.auditors) {
      for (const ns of this.#o.namespaces) {
        const tick = () => void this.poll(auditor, ns);
        tick();
        const t = setInterval(tick, this.#o.pollIntervalMs);
        t.unref();
        this.#timers.push(t);
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
  }

  /** One polling round for (auditor, namespace); rounds for one pair never overlap. */
  async poll(auditor: RosterAuditor, ns: string): Promise<number> {
    const key = `${auditor.name}\x00${ns}`;
    if (this.#running.has(key) || this.#stopped) return 0;
    this.#running.add(key);
    const { logger } = this.#o;
    let imported = 0;
    try {
      const client = new PlexiClient(auditor.plexiUrl as string, { timeoutMs: this.#o.timeoutMs ?? 10_000 });
      const info = await client.namespace(ns);
      if (!info) return 0; // the auditor does not audit this namespace
      const state = await this.#o.signing.namespaceState(ns);
      const theirRoot =
        info.root && /^[0-9]+\//.test(info.root) ? parseU64(info.root.split('/')[0] as string) : undefined;
      const saved = await this.#cursors.get(key);
      let next = saved !== undefined ? BigInt(saved) : (maxOf(state?.root?.epoch, theirRoot) ?? 0n);
      // The newest epoch worth asking for: what we signed, or what the auditor says it verified.
      const newest = maxOf(state?.head?.epoch, info.lastVerifiedEpoch);
      if (newest === undefined) return 0;
      while (next <= newest && imported < this.#o.maxEpochsPerPoll && !this.#stopped) {
        const response = await client.signature(ns, next);
        if (!response) break; // not signed there (yet): ask again next round
        const keyEntry = auditor.keys.find((k) => verifySignatureResponse(response, k.publicKey).ok);
        if (response.namespace !== ns || response.epoch !== next || !keyEntry) {
          this.stats.badSignatures++;
          logger.warn(
            { event: 'plexi-bad-signature', auditor: auditor.name, namespace: ns, epoch: next.toString() },
            `the signature served by ${auditor.name} for epoch ${next} does not verify against its roster key; not ` +
              `imported`,
          );
        } else {
          await this.#o.importObservation({
            ciphersuite: response.ciphersuite,
            namespace: ns,
            timestamp: response.timestamp,
            epoch: response.epoch,
            digest: response.digest,
            signature: response.signature,
            signerKey: keyEntry.publicKey,
          });
          imported++;
          this.stats.imported++;
          logger.debug(
            {
              event: 'plexi-imported',
              auditor: auditor.name,
              namespace: ns,
              epoch: next.toString(),
              digest: toHex(response.digest),
            },
            "imported an external auditor's signature",
          );
        }
        next++;
        await new Batch(this.#o.db).put(this.#cursors, key, next.toString()).write(false);
      }
    } catch (err) {
      this.stats.errors++;
      logger.warn(
        { event: 'plexi-follow-failed', auditor: auditor.name, namespace: ns, err: errorMessage(err) },
        `could not poll ${auditor.name}`,
      );
    } finally {
      this.#running.delete(key);
    }
    return imported;
  }
}

function maxOf(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}
