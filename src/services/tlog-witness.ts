// Chorus as a tlog witness (c2sp.org/tlog-witness v1.0.0; docs/c2sp.md, "Chorus as a tlog witness"): an
// `add-checkpoint` request is parsed, decided by the pure rules of src/c2sp/witness-request.ts against the
// origin's record, recorded (synced) before anything is cosigned or answered, then cosigned. Check and
// record are one step per origin (src/store/witness-state-store.ts), so two requests never interleave.
import type { Logger } from 'pino';
import {
  decideAddCheckpoint,
  formatAddCheckpointResponse,
  parseAddCheckpointRequest,
  WitnessRequestError,
  type AddCheckpointRequest,
} from '../c2sp/witness-request.js';
import {
  ed25519NoteVerifier,
  formatNote,
  openNote,
  type NoteSignature,
  type NoteVerifier,
} from '../c2sp/signed-note.js';
import { MAX_CHECKPOINT_NOTE_BYTES } from '../consensus/checkpoint-rules.js';
import { bytesEqual, toHex } from '../util/bytes.js';
import { ConfigError } from '../util/errors.js';
import type { WitnessStateStore } from '../store/witness-state-store.js';

/** A log this node witnesses: a tlog namespace's origin and the log's keys. */
export interface WitnessedLogEntry {
  namespace: string;
  origin: string;
  logVerifierKeys: readonly string[];
}

/**
 * Cosigns a checkpoint body the witness recorded (with the log's verified signatures, kept beside it) and
 * returns the cosignature line(s) to answer with.
 */
export type CheckpointCosigner = (body: string, logSignatures: readonly NoteSignature[]) => Promise<NoteSignature[]>;

/**
 * The `add-checkpoint` body cap: a checkpoint note as large as the network carries (src/consensus/checkpoint-rules.ts),
 * 63 proof lines of 45 bytes and the old size line, rounded up.
 */
export const MAX_WITNESS_REQUEST_BYTES = MAX_CHECKPOINT_NOTE_BYTES + 4 * 1024;

/** What `add-checkpoint` answers (the API turns it into HTTP, src/api/witness-routes.ts). */
export type AddCheckpointOutcome =
  | { status: 200; body: string; origin: string; size: bigint }
  | { status: 409; latestSize: bigint; message: string }
  | { status: 400 | 403 | 404 | 422; message: string };

export interface TlogWitnessOptions {
  logs: readonly WitnessedLogEntry[];
  state: WitnessStateStore;
  cosign: CheckpointCosigner;
  now: () => bigint;
  logger: Logger;
  /**
   * A log-signed checkpoint for a size already recorded, with another root (a 422): positive evidence that
   * the log forked, handed on (to the checkpoint service, which turns two log-signed roots into a proof).
   */
  onFork?: (logSignedNote: string, namespace: string) => Promise<void>;
}

interface KnownLog {
  namespace: string;
  vkeys: readonly string[];
  verifiers: NoteVerifier[];
}

/** One witnessed log and what this node last cosigned of it (`GET /witness/logs`). */
export interface WitnessedLogStatus {
  namespace: string;
  origin: string;
  logVerifierKeys: readonly string[];
  /** The latest checkpoint recorded for the origin; undefined before the first. */
  latest?: { size: bigint; rootHash: Uint8Array; recordedAt: bigint };
}

export class TlogWitness {
  readonly #o: TlogWitnessOptions;
  readonly #logs = new Map<string, KnownLog>();
  readonly counters = { cosigned: 0, refused: 0, forks: 0 };
  /** Requests answered, by status (the metric chorus_witness_requests_total). */
  readonly answered = new Map<number, number>();

  constructor(o: TlogWitnessOptions) {
    this.#o = o;
    for (const l of o.logs) {
      if (this.#logs.has(l.origin))
        throw new ConfigError('namespaces', `two tlog namespaces have the origin ${JSON.stringify(l.origin)}`);
      const verifiers = l.logVerifierKeys.map(ed25519NoteVerifier);
      this.#logs.set(l.origin, { namespace: l.namespace, vkeys: l.logVerifierKeys, verifiers });
    }
  }

  /** The origins witnessed, with their namespaces. */
  get origins(): { origin: string; namespace: string }[] {
    return [...this.#logs].map(([origin, l]) => ({ origin, namespace: l.namespace }));
  }

  /** Every witnessed log with its latest record. */
  async status(): Promise<WitnessedLogStatus[]> {
    const out: WitnessedLogStatus[] = [];
    for (const [origin, l] of this.#logs) {
      const r = await this.#o.state.latest(origin);
      const latest = r ? { size: r.size, rootHash: r.rootHash, recordedAt: r.recordedAt } : undefined;
      out.push({ namespace: l.namespace, origin, logVerifierKeys: l.vkeys, ...(latest ? { latest } : {}) });
    }
    return out;
  }

  async addCheckpoint(body: Uint8Array | string): Promise<AddCheckpointOutcome> {
    const outcome = await this.#add(body);
    this.answered.set(outcome.status, (this.answered.get(outcome.status) ?? 0) + 1);
    return outcome;
  }

  async #add(body: Uint8Array | string): Promise<AddCheckpointOutcome> {
    let req: AddCheckpointRequest;
    try {
      req = parseAddCheckpointRequest(body);
    } catch (err) {
      // Parsing refuses with 400 only; a 409 needs the record, so it cannot come from here.
      if (err instanceof WitnessRequestError && err.status !== 409) return this.#refused(err.status, err.message);
      throw err;
    }
    // What the node cosigns it gossips and serves: a note larger than a checkpoint note may be is refused here.
    const noteBytes = Buffer.byteLength(formatNote(req.note), 'utf8');
    if (noteBytes > MAX_CHECKPOINT_NOTE_BYTES)
      return this.#refused(400, `checkpoint note of ${noteBytes} bytes is over ${MAX_CHECKPOINT_NOTE_BYTES}`);
    const origin = req.checkpoint.origin;
    const log = this.#logs.get(origin);
    if (!log) return this.#refused(404, `unknown log origin ${JSON.stringify(origin)}`);
    let fork: string | undefined;
    const outcome = await this.#o.state.run(origin, async (step): Promise<AddCheckpointOutcome> => {
      const latest = step.latest ? { size: step.latest.size, rootHash: step.latest.rootHash } : null;
      const d = decideAddCheckpoint(req, { verifiers: log.verifiers, latest });
      // A 409 or 422 comes after the log's signature verified: another root at the recorded size is evidence.
      const otherRoot =
        latest !== null && req.checkpoint.size === latest.size && !bytesEqual(req.checkpoint.rootHash, latest.rootHash);
      if ((d.status === 409 || d.status === 422) && otherRoot) fork = logSigned(req, log.verifiers);
      if (d.status === 409) return { status: 409, latestSize: d.latestSize, message: d.message };
      if (d.status !== 200) return { status: d.status, message: d.message };
      const note = formatNote({ text: req.note.text, signatures: d.logSignatures });
      const same =
        latest !== null && latest.size === d.checkpoint.size && bytesEqual(latest.rootHash, d.checkpoint.rootHash);
      // Recorded before anything is cosigned or answered (the spec's "persist before responding").
      if (!same)
        await step.persist({
          size: d.checkpoint.size,
          rootHash: d.checkpoint.rootHash,
          note,
          recordedAt: this.#o.now(),
        });
      const cosignatures = await this.#o.cosign(req.note.text, d.logSignatures);
      return { status: 200, body: formatAddCheckpointResponse(cosignatures), origin, size: d.checkpoint.size };
    });
    if (outcome.status === 200) {
      this.counters.cosigned++;
      this.#o.logger.info(
        { event: 'checkpoint-witnessed', namespace: log.namespace, origin, size: outcome.size.toString() },
        `cosigned ${origin} at size ${outcome.size}`,
      );
      return outcome;
    }
    if (fork !== undefined) {
      this.counters.forks++;
      this.#o.logger.error(
        {
          event: 'log-fork',
          namespace: log.namespace,
          origin,
          size: req.checkpoint.size.toString(),
          root: toHex(req.checkpoint.rootHash),
        },
        `${origin} signed another root for size ${req.checkpoint.size}, which this node cosigned`,
      );
      // The answer does not wait on the evidence's fate: a failure here is logged, the refusal stands.
      await this.#o
        .onFork?.(fork, log.namespace)
        .catch((err: unknown) =>
          this.#o.logger.error({ event: 'log-fork-report-failed', origin, err }, 'could not report the log fork'),
        );
    }
    return outcome.status === 409 ? outcome : this.#refused(outcome.status, outcome.message, origin);
  }

  #refused<S extends 400 | 403 | 404 | 422>(status: S, message: string, origin?: string): AddCheckpointOutcome {
    this.counters.refused++;
    this.#o.logger.info({ event: 'add-checkpoint-refused', status, ...(origin ? { origin } : {}), message }, message);
    return { status, message };
  }
}

/** The checkpoint with only the log's verified signatures (what proves the log signed it). */
function logSigned(req: AddCheckpointRequest, verifiers: readonly NoteVerifier[]): string {
  const signatures = openNote(req.note, verifiers).verified.map((v) => v.signature);
  return formatNote({ text: req.note.text, signatures });
}
