// Signed views from anyone (docs/protocol.md, "Views from anyone"): a client hands the node a signed
// statement it was shown. The view is judged by the pure rules of src/consensus/views.ts against the
// roster and what the node holds for that epoch; a valid view the node did not hold enters through
// the very path gossip takes (NetworkService.importObservation: stored, checked for equivocation,
// proofs stored, broadcast, counted and alerted), and is re-published like an imported one.
import type { Logger } from 'pino';
import { verifyStrictAsync } from '../crypto/ed25519-async.js';
import type { Observation } from '../consensus/observation.js';
import type { Verdict } from '../consensus/observation-rules.js';
import { cosignedView, tallyEpoch, type CosignedView } from '../consensus/quorum.js';
import type { Roster } from '../consensus/roster.js';
import {
  candidateSigners,
  classifyView,
  signatureResponseAsObservation,
  type ViewRefusal,
} from '../consensus/views.js';
import { decodeCheckpointNote } from '../consensus/checkpoint-rules.js';
import type { SignatureResponse } from '../plexi/signature-response.js';
import { mergedNote, type StoredCheckpointProof } from '../store/checkpoint-store.js';
import type { ObservationStore, StoredProof } from '../store/observation-store.js';
import { toHex } from '../util/bytes.js';
import { ChorusError, DecodeError } from '../util/errors.js';
import type { CheckpointService } from './checkpoint-service.js';
import { InvalidRequestError } from './errors.js';

/** A view as submitted: a Plexi SignatureResponse (its signer found in the roster) or a Chorus observation. */
export type SignedView =
  | { kind: 'signature-response'; response: SignatureResponse; signerKey?: Uint8Array }
  | { kind: 'observation'; observation: Observation };

/**
 * The view was not signed by a roster signer in force (or is of a namespace or checkpoint origin not
 * known here): nothing changed. `reason` is a ViewRefusal, or a checkpoint note's refusal
 * (src/consensus/checkpoint-rules.ts: `unknown-origin`, `no-witness-cosignature`, …).
 */
export class ViewRefusedError extends ChorusError {
  constructor(
    readonly reason: ViewRefusal | string,
    message: string,
  ) {
    super('view-refused', message);
  }
}

/** What became of an accepted view, and what the node holds for its epoch afterwards. */
export interface ViewReport {
  outcome: 'contradiction' | 'new' | 'consistent';
  /** The view as an observation (its signer identified). */
  view: Observation;
  /** The roster name of its signer (`log:NS` for the log). */
  signer: string;
  /** Held observations of that epoch the view was compared with before it was stored. */
  compared: number;
  /** Per digest held for the epoch, the co-signatures (most signed first). */
  held: CosignedView[];
  proofs: StoredProof[];
}

/** What became of a cosigned checkpoint note, and what the node holds for its (origin, size) afterwards. */
export interface CheckpointViewReport {
  outcome: 'contradiction' | 'new' | 'consistent';
  origin: string;
  size: bigint;
  /** Who signed the signatures the node did not hold before (roster names, `log:NS` for the log). */
  added: string[];
  /** Bodies held for that (origin, size) before, this note's included if it was held. */
  compared: number;
  /** Per body held for that (origin, size), the note with every signature held (the monitoring path's form). */
  held: string[];
  proofs: StoredCheckpointProof[];
}

/** The checkpoint service's part views use (docs/c2sp.md, "Checkpoints in the network"). */
export type CheckpointViews = Pick<CheckpointService, 'ingest' | 'store' | 'listProofs'>;

export interface ViewServiceOptions {
  roster: Roster;
  audited: (namespace: string) => boolean;
  observations: ObservationStore;
  /** The gossip path for an observation first heard of here: store, detect, broadcast, re-publish. */
  ingest: (o: Observation) => Promise<Verdict>;
  now: () => bigint;
  maxFutureMs: bigint;
  logger: Logger;
  /** Cosigned checkpoint notes are checked, stored and compared by the checkpoint service itself. */
  checkpoints?: CheckpointViews;
}

export class ViewService {
  readonly #o: ViewServiceOptions;
  constructor(o: ViewServiceOptions) {
    this.#o = o;
  }

  /** Judges one view and acts on it; throws ViewRefusedError when it is refused. */
  async submit(view: SignedView): Promise<ViewReport> {
    const o = await this.#asObservation(view);
    const { roster, observations } = this.#o;
    const held = await observations.observationsAt(o.namespace, o.epoch);
    const judged = await classifyView(o, {
      audited: this.#o.audited,
      roster,
      nowMs: this.#o.now(),
      maxFutureMs: this.#o.maxFutureMs,
      verify: verifyStrictAsync,
      held,
    });
    if (judged.outcome === 'refused') throw new ViewRefusedError(judged.reason, refusalMessage(judged.reason, o));
    const fresh = judged.outcome === 'new' || (judged.outcome === 'contradiction' && !judged.alreadyHeld);
    if (fresh) {
      const verdict = await this.#o.ingest(o);
      // The same rule accepted it a moment ago; should the two ever disagree, refuse rather than claim it stored.
      if (verdict.outcome === 'reject')
        throw new ViewRefusedError('invalid', `the view was rejected: ${verdict.reason}`);
    }
    const signer = roster.signerName(o.namespace, o.signerKey) ?? toHex(o.signerKey);
    this.#o.logger.info(
      {
        event: 'view-reported',
        outcome: judged.outcome,
        namespace: o.namespace,
        epoch: o.epoch.toString(),
        digest: toHex(o.digest),
        signer,
      },
      `signed view of ${o.namespace} epoch ${o.epoch}: ${judged.outcome}`,
    );
    return {
      outcome: judged.outcome,
      view: o,
      signer,
      compared: held.length,
      ...(await this.heldAt(o.namespace, o.epoch)),
    };
  }

  /** Whether cosigned checkpoint notes are taken (a checkpoint service is wired). */
  get takesCheckpoints(): boolean {
    return this.#o.checkpoints !== undefined;
  }

  /**
   * A cosigned checkpoint note, handed to the checkpoint service's `ingest` (the path gossip takes:
   * verified against the roster, stored, a second body for its (origin, size) turned into a
   * checkpoint equivocation proof, stored, broadcast and alerted); nothing is checked twice here.
   */
  async submitCheckpoint(note: Uint8Array): Promise<CheckpointViewReport> {
    const cps = this.#o.checkpoints;
    if (!cps) throw new InvalidRequestError('no-checkpoints', 'this node does not take checkpoint notes');
    let origin: string;
    let size: bigint;
    try {
      ({ origin, size } = decodeCheckpointNote(note).checkpoint);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      throw new InvalidRequestError('invalid-request', `not a checkpoint note: ${err.message}`);
    }
    const before = await cps.store.bodies(origin, size);
    const r = await cps.ingest(note, 'api');
    if (r.outcome === 'reject' || (r.outcome === 'ignore' && r.reason !== 'duplicate'))
      throw new ViewRefusedError(r.reason, r.message ?? `the checkpoint note was refused: ${r.reason}`);
    const after = await cps.store.bodies(origin, size);
    // Two bodies for one (origin, size), each signed by the roster or the log: a positive contradiction.
    const outcome = after.length > 1 ? 'contradiction' : r.outcome === 'accept' ? 'new' : 'consistent';
    const proofs = (await cps.listProofs({ origin, limit: 1000 })).filter((p) => p.size === size);
    this.#o.logger.info(
      { event: 'view-reported', outcome, origin, size: size.toString(), added: r.added.length },
      `cosigned checkpoint of ${origin} size ${size}: ${outcome}`,
    );
    return {
      outcome,
      origin,
      size,
      added: r.added.map((a) => a.signer),
      compared: before.length,
      held: after.map(mergedNote),
      proofs,
    };
  }

  /** What the node holds for an epoch: co-signatures per digest and the proofs. */
  async heldAt(ns: string, epoch: bigint): Promise<{ held: CosignedView[]; proofs: StoredProof[] }> {
    const { roster, observations } = this.#o;
    const tally = tallyEpoch(await observations.observationsAt(ns, epoch), roster);
    const proofs = await observations.proofsAt(ns, epoch);
    const held = tally.digests.flatMap((d) => {
      const v = cosignedView(ns, epoch, tally, roster, proofs.length > 0, d.digest);
      return v ? [v] : [];
    });
    return { held, proofs };
  }

  async #asObservation(view: SignedView): Promise<Observation> {
    const ns = view.kind === 'observation' ? view.observation.namespace : view.response.namespace;
    // Before any signature is checked: a namespace not audited here costs nothing.
    if (!this.#o.audited(ns))
      throw new ViewRefusedError('unknown-namespace', `this node does not audit namespace "${ns}"`);
    if (view.kind === 'observation') return view.observation;
    const r = view.response;
    const candidates = candidateSigners(this.#o.roster, r.namespace, view.signerKey ? undefined : r.keyId);
    const o = await signatureResponseAsObservation(r, candidates, verifyStrictAsync, view.signerKey);
    if (o) return o;
    if (!view.signerKey && candidates.length === 0)
      throw new ViewRefusedError(
        'unknown-signer',
        `no roster auditor key nor log key of "${r.namespace}"` +
          `${r.keyId === undefined ? '' : ` has key_id ${r.keyId}`}: the view's signer is unknown`,
      );
    throw new ViewRefusedError(
      'bad-signature',
      view.signerKey
        ? `the view's signature does not verify with the key ${toHex(view.signerKey)}`
        : `the view's signature verifies with no roster auditor key nor log key of "${r.namespace}"`,
    );
  }
}

function refusalMessage(reason: ViewRefusal, o: Observation): string {
  const who = toHex(o.signerKey);
  switch (reason) {
    case 'unknown-namespace':
      return `this node does not audit namespace "${o.namespace}"`;
    case 'unknown-signer':
      return `the key ${who} is neither a roster auditor's nor the log key of "${o.namespace}"`;
    case 'bad-signature':
      return `the view's signature does not verify with the key ${who}`;
    case 'future-timestamp':
      return `the view's timestamp ${o.timestamp} is too far in the future`;
    case 'key-not-yet-valid':
    case 'key-retired':
      return `the key ${who} is ${reason === 'key-retired' ? 'retired' : 'not yet valid'} at timestamp ${o.timestamp}`;
    case 'invalid':
      return 'the view is not a valid observation';
  }
}
