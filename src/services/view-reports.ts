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
import type { SignatureResponse } from '../plexi/signature-response.js';
import type { ObservationStore, StoredProof } from '../store/observation-store.js';
import { toHex } from '../util/bytes.js';
import { ChorusError } from '../util/errors.js';

/** A view as submitted: a Plexi SignatureResponse (its signer found in the roster) or a Chorus observation. */
export type SignedView =
  | { kind: 'signature-response'; response: SignatureResponse; signerKey?: Uint8Array }
  | { kind: 'observation'; observation: Observation };

/** The view was not signed by a roster signer in force (or is of a namespace not audited here): nothing changed. */
export class ViewRefusedError extends ChorusError {
  constructor(
    readonly reason: ViewRefusal,
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

export interface ViewServiceOptions {
  roster: Roster;
  audited: (namespace: string) => boolean;
  observations: ObservationStore;
  /** The gossip path for an observation first heard of here: store, detect, broadcast, re-publish. */
  ingest: (o: Observation) => Promise<Verdict>;
  now: () => bigint;
  maxFutureMs: bigint;
  logger: Logger;
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
      // Checked by the same rule a moment ago; only a concurrent store of the same view ends here.
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
