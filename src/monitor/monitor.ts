// `chorus monitor`: a non-signing peer of the auditor network. It verifies every equivocation
// proof itself (gossip and, on every connection, sync of past proofs), accepts alerts only when a
// roster node signed them, prints one line per alert and posts it to a webhook, each once.
import { DEFAULT_MAX_FUTURE_SKEW_MS } from '../consensus/observation-rules.js';
import type { Logger } from 'pino';
import type { PrivateKey } from '@libp2p/interface';
import { verifyStrictAsync } from '../crypto/ed25519-async.js';
import type { Alert } from '../consensus/alerts.js';
import { proofFact, proofId, type EquivocationProof } from '../consensus/equivocation.js';
import { checkpointProofId } from '../consensus/checkpoint-equivocation.js';
import type { Roster } from '../consensus/roster.js';
import { bootstrapPeer } from './bootstrap-peers.js';
import { createHost, SyncPageLimitError, type ChorusHost, type ValidationResult } from '../p2p/index.js';
import { observationToJson } from '../consensus/proof-json.js';
import { decodeGossip, guardedValidator } from '../gossip/outcome.js';
import { pageThrough, SYNC_PAGE_MAX } from '../gossip/sync-pager.js';
import { TOPIC_KINDS, type AlertFacts, type ProofFacts } from '../gossip/topic-kinds.js';
import { toHex } from '../util/bytes.js';
import { errorMessage } from '../util/errors.js';
import { U64_MAX } from '../util/u64.js';
import type { Webhook } from './webhook.js';
import { PrintedAlerts } from './printed-alerts.js';

export interface MonitorOptions {
  roster: Roster;
  privateKey: PrivateKey;
  bootstrap: string[];
  namespaces?: string[];
  listen?: string[];
  logger: Logger;
  print: (alert: Record<string, unknown>) => void;
  webhook?: Webhook;
  now?: () => bigint;
  /** Where the monitor remembers what it reported (--data-dir); memory only without it. */
  dataDir?: string;
  /** Clock skew allowed for alert timestamps ahead of ours (ms). */
  maxFutureMs?: bigint;
}

const { equivocations: EQUIVOCATIONS, alerts: ALERTS } = TOPIC_KINDS;
const { checkpointEquivocations: CHECKPOINT_EQUIVOCATIONS } = TOPIC_KINDS;

export class Monitor {
  readonly #o: MonitorOptions;
  readonly #seen: PrintedAlerts;
  host!: ChorusHost;
  alertsPrinted = 0;

  constructor(o: MonitorOptions) {
    this.#o = o;
    this.#seen = new PrintedAlerts(o.dataDir);
    if (this.#seen.skipped)
      o.logger.warn(
        { event: 'printed-alerts-damaged', lines: this.#seen.skipped },
        'skipped damaged lines of the printed-alerts file',
      );
  }

  #wanted(ns: string): boolean {
    return !this.#o.namespaces?.length || this.#o.namespaces.includes(ns);
  }

  async start(): Promise<void> {
    const { roster } = this.#o;
    const peers = roster.auditors
      .filter((a) => a.peerId)
      .map((a) => ({ peerId: a.peerId as string, addrs: a.addresses }));
    for (const addr of this.#o.bootstrap) peers.push(bootstrapPeer(addr, roster.auditors));
    this.host = await createHost({
      privateKey: this.#o.privateKey,
      ...(this.#o.listen ? { listenAddrs: this.#o.listen } : {}),
      roster: peers,
      logger: this.#o.logger,
    });
    const equivocations = { maxBytes: EQUIVOCATIONS.maxBytes, validate: this.validators.equivocations };
    this.host.subscribe(EQUIVOCATIONS.topic(roster.network), equivocations);
    this.host.subscribe(ALERTS.topic(roster.network), { maxBytes: ALERTS.maxBytes, validate: this.validators.alerts });
    const checkpointProofs = {
      maxBytes: CHECKPOINT_EQUIVOCATIONS.maxBytes,
      validate: this.validators.checkpointProofs,
    };
    this.host.subscribe(CHECKPOINT_EQUIVOCATIONS.topic(roster.network), checkpointProofs);
    this.host.onPeerConnected((peer) => {
      void this.#syncProofs(peer);
    });
    await this.host.start();
  }

  async stop(): Promise<void> {
    await this.host.stop();
    await this.#o.webhook?.drain();
  }

  /** Alerts reported, by type, and proofs verified: read by `/metrics` (monitor-http.ts). */
  readonly alertsByType = new Map<string, number>();
  proofsVerified = 0;
  /** Gossip validations that failed on our own error (message ignored, sender not penalised). */
  gossipInternalErrors = 0;

  readonly #onInternalError = (error: string, from: string): void => {
    this.gossipInternalErrors++;
    const what = { event: 'gossip-internal-error', from, err: error };
    this.#o.logger.error(what, 'a gossip validation failed on our side; message ignored');
  };

  /** The topic handlers' validators (what gossipsub is told), by topic kind. */
  readonly validators = {
    equivocations: guardedValidator((d) => this.#onProof(d), this.#onInternalError),
    alerts: guardedValidator((d) => this.#onAlert(d), this.#onInternalError),
    checkpointProofs: guardedValidator((d) => this.#onCheckpointProof(d), this.#onInternalError),
  };

  /** The facts a proof is judged with: the same rules as a node's (src/gossip/topic-kinds.ts). */
  proofFacts(): ProofFacts {
    const { roster } = this.#o;
    // The monitor stores no proofs: each is verified again (its alerts are de-duplicated instead).
    const knownNamespace = (ns: string): boolean => roster.namespace(ns) !== undefined;
    return { roster, knownNamespace, alreadyStored: false, verify: verifyStrictAsync };
  }

  /** The facts an alert is judged with: the same rules as a node's. */
  alertFacts(): AlertFacts {
    const nowMs = this.#o.now?.() ?? BigInt(Date.now());
    return {
      roster: this.#o.roster,
      nowMs,
      maxFutureMs: this.#o.maxFutureMs ?? BigInt(DEFAULT_MAX_FUTURE_SKEW_MS),
      verify: verifyStrictAsync,
    };
  }

  /** Roster peers connected now: `/readyz` is ready from one on. */
  rosterPeersConnected(): number {
    const roster = new Set(this.#o.roster.auditors.map((a) => a.peerId).filter((p) => p !== undefined));
    return this.host.connectedPeers().filter((p) => roster.has(p)).length;
  }

  #emit(key: string, alert: Record<string, unknown>): void {
    if (this.#seen.has(key)) return;
    this.alertsPrinted++;
    const type = String(alert.type);
    this.alertsByType.set(type, (this.alertsByType.get(type) ?? 0) + 1);
    this.#o.print(alert);
    // The dedup key holds separators that are not valid in a header: send its hash as the id.
    this.#o.webhook?.send(PrintedAlerts.hash(key), alert);
    // Recorded after printing: a crash in between reports the alert again, it never loses it.
    this.#seen.add(key);
  }

  async #onProof(data: Uint8Array): Promise<ValidationResult> {
    const decoded = decodeGossip(EQUIVOCATIONS.codec, data);
    if (!('value' in decoded)) return decoded;
    return this.#handleProof(decoded.value, 'gossip');
  }

  async #handleProof(proof: EquivocationProof, origin: 'gossip' | 'sync'): Promise<ValidationResult> {
    const judged = await EQUIVOCATIONS.validate(proof, this.proofFacts());
    if (judged.outcome !== 'accept') return judged;
    const check = judged.value;
    this.proofsVerified++;
    const ns = proof.first.namespace;
    if (!this.#wanted(ns)) return { outcome: 'accept', reason: 'valid' };
    const fact = proofFact(proof, check.kind, check.signers);
    const key = `equivocation\x00${fact}`;
    if (this.#seen.has(key)) return { outcome: 'ignore', reason: 'duplicate' };
    this.#emit(key, {
      type: 'equivocation',
      namespace: ns,
      epoch: proof.first.epoch,
      kind: check.kind,
      signers: check.signers,
      digests: [toHex(proof.first.digest), toHex(proof.second.digest)],
      id: proofId(proof),
      origin,
      verified: true,
      proof: { first: observationToJson(proof.first), second: observationToJson(proof.second) },
    });
    return { outcome: 'accept', reason: 'valid' };
  }

  /** A checkpoint equivocation proof (docs/c2sp.md, "Checkpoints in the network"), verified like the others. */
  async #onCheckpointProof(data: Uint8Array): Promise<ValidationResult> {
    const decoded = decodeGossip(CHECKPOINT_EQUIVOCATIONS.codec, data);
    if (!('value' in decoded)) return decoded;
    const judged = await CHECKPOINT_EQUIVOCATIONS.validate(decoded.value, {
      roster: this.#o.roster,
      alreadyStored: false,
    });
    if (judged.outcome !== 'accept') return judged;
    const { proof, check } = judged.value;
    this.proofsVerified++;
    if (!this.#wanted(check.namespace)) return { outcome: 'accept', reason: 'valid' };
    const key = `checkpoint-equivocation\x00${check.fact}`;
    if (this.#seen.has(key)) return { outcome: 'ignore', reason: 'duplicate' };
    this.#emit(key, {
      type: 'equivocation',
      namespace: check.namespace,
      epoch: check.size,
      checkpoint_origin: check.origin,
      kind: check.kind,
      signers: check.signers,
      id: checkpointProofId(proof),
      origin: 'gossip',
      verified: true,
      proof: { first: proof.first, second: proof.second },
    });
    return { outcome: 'accept', reason: 'valid' };
  }

  async #onAlert(data: Uint8Array): Promise<ValidationResult> {
    const decoded = decodeGossip(ALERTS.codec, data);
    if (!('value' in decoded)) return decoded;
    const judged = await ALERTS.validate(decoded.value, this.alertFacts());
    if (judged.outcome !== 'accept') return judged;
    const check = judged.value;
    const a: Alert = check.alert;
    // Proofs are checked by the monitor itself; a node's word about an equivocation adds nothing.
    if (a.type === 'equivocation' || !this.#wanted(a.namespace)) return { outcome: 'accept', reason: 'valid' };
    const key = `${a.type}\x00${a.namespace}\x00${a.epoch ?? ''}\x00${typeof a.auditor === 'string' ? a.auditor : ''}`;
    this.#emit(key, { ...a, raised_by: check.raisedBy });
    return { outcome: 'accept', reason: 'valid' };
  }

  /** Past proofs from a peer, paged like a node's sync (bounded by the host's per-session page bound). */
  async #syncProofs(peer: string): Promise<void> {
    for (const ns of this.#o.roster.namespaces.map((n) => n.name).filter((n) => this.#wanted(n))) {
      let proofs = 0;
      try {
        const mode = { kind: 'proofs', fromEpoch: 0n, toEpoch: U64_MAX } as const;
        const request = { namespace: ns, limit: SYNC_PAGE_MAX, cursor: new Uint8Array(), mode };
        await pageThrough(this.host.syncSession(peer), request, async (res) => {
          for (const p of res.proofs) await this.#handleProof(p, 'sync');
          proofs += res.proofs.length;
          return undefined;
        });
        this.#o.logger.info({ event: 'proofs-synced', peer, namespace: ns, proofs }, 'synced past proofs from a peer');
      } catch (err) {
        if (err instanceof SyncPageLimitError) {
          const what = { event: 'sync-cut-off', peer, namespace: ns, proofs };
          this.#o.logger.info(what, 'sync page bound reached; the next connection syncs again');
        } else {
          const what = { event: 'sync-failed', peer, namespace: ns, err: errorMessage(err) };
          this.#o.logger.warn(what, 'could not sync past proofs from a peer');
        }
      }
    }
  }
}
