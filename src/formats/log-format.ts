// The seam between Chorus and the kind of log it audits (docs/log-formats.md): everything the node
// needs to know about a log format — its namespace settings, how its proofs are named, how a proof
// is verified, what the dashboard calls it — behind one interface. The node, the services and the
// stores see only this module's types; each format lives in its own folder under src/formats/.
import type { z } from 'zod';

/** A namespace's format-specific settings, as the format's schema parsed them (plain data). */
export type FormatSettings = Readonly<Record<string, unknown>>;

/** What a proof name says: the transition it proves, from `previous` at epoch-1 to `current`. */
export interface ProofName {
  epoch: bigint;
  previous: Uint8Array;
  current: Uint8Array;
}

/**
 * How a format names its proofs in a proof directory. Every name starts with `{epoch}/`: the
 * directory source lists one epoch by that prefix and the proof store indexes by it
 * (docs/log-formats.md, "Proof names").
 */
export interface ProofNaming {
  format(name: ProofName): string;
  /** Throws a DecodeError for anything that is not one of this format's proof names. */
  parse(text: string): ProofName;
}

/** The transition a proof must prove, with the namespace's settings for this format. */
export interface ProofTransition {
  namespace: string;
  epoch: bigint;
  previous: Uint8Array;
  current: Uint8Array;
  settings: FormatSettings;
}

/**
 * Why a proof failed, as plain data (stored, served by the API, carried by alerts). `code` and
 * `reason` are machine-readable; a format may add its own detail fields.
 */
export interface ProofFailure {
  code: string;
  reason: string;
  message: string;
  readonly [detail: string]: unknown;
}

/** A format-neutral verdict: what the verification store keeps (src/store/verification-store.ts). */
export interface ProofVerdict {
  ok: boolean;
  failure?: ProofFailure;
  /** Entries the transition added, and entries it kept (0 when a format has no such notion). */
  inserted: number;
  unchanged: number;
  /** Time from submission to verdict (ms). */
  totalMs: number;
}

/** Verifies proof files; owns whatever it runs on (worker threads), released by close(). */
export interface ProofVerifier {
  /**
   * Judges the proof in `proofFile` for `transition`. Resolves with a verdict for a proof that was
   * read (valid or not); rejects only when it could not check (docs/design-decisions.md: "could
   * not check" is retried, never an accusation).
   */
  verify(proofFile: string, transition: ProofTransition): Promise<ProofVerdict>;
  close(): Promise<void>;
}

export interface VerifierOptions {
  /** Worker threads the verifier may use (config `validation.workers`, default 1). */
  workers: number;
}

/** What the dashboard, the API and the logs call this format's things. */
export interface FormatDescriptor {
  /** The format's name for people, e.g. "AKD (WhatsApp Key Transparency)". */
  label: string;
  /** What one proof is called, e.g. "append-only proof". */
  proofLabel: string;
  /**
   * What a verdict's `inserted` and `unchanged` counts are called, when the format has them (AKD:
   * inserted leaves, unchanged subtrees). Absent: the counts mean nothing for this format, and the
   * API and the dashboard show none (docs/log-formats.md, "What the dashboard shows").
   */
  entryCounts?: { inserted: string; unchanged: string };
}

export interface LogFormat {
  /** The `log_format` value in a namespace's configuration. */
  readonly id: string;
  /**
   * The namespace fields this format adds (snake_case, as in the config file). An object schema
   * whose fields have defaults or are optional, so the common fields stay the same for all formats.
   */
  readonly settings: z.ZodObject;
  /** Cross-field rules on the parsed settings: each problem with its field. */
  checkSettings?(settings: FormatSettings): { field: string; message: string }[];
  /**
   * How the log names its proofs, and how they are verified: the epoch side (Plexi signing, push, reports,
   * proof directory, Plexi follower). Both present or both absent; a format without them is witnessed only
   * (its namespaces are never signed as epochs: docs/log-formats.md, "Capabilities").
   */
  readonly proofNames?: ProofNaming;
  createVerifier?(options: VerifierOptions): ProofVerifier;
  /**
   * For a format whose logs publish C2SP checkpoints that the node witnesses (`POST /add-checkpoint`,
   * docs/c2sp.md "Chorus as a tlog witness"): the origin and the log's keys a namespace's settings name.
   */
  witnessedLog?(settings: FormatSettings): WitnessedLog;
  readonly describe: FormatDescriptor;
  /**
   * The most memory verifying a proof file of `proofBytes` can take, for the node's memory budget
   * (config `validation.memory_budget_mb`, docs/akd.md "The node's memory"); default: `proofBytes`.
   */
  verificationMemoryBytes?(proofBytes: number): number;
}

/** A log the node witnesses: its checkpoint origin and its signed-note verifier keys (Ed25519, type 0x01). */
export interface WitnessedLog {
  origin: string;
  logVerifierKeys: string[];
}

/** A format whose epochs the node signs and whose proofs it verifies (AKD; the test-only toy format). */
export type EpochLogFormat = LogFormat & Required<Pick<LogFormat, 'proofNames' | 'createVerifier'>>;

/** Whether a format's namespaces are epoch logs (signed as Plexi does); otherwise only witnessed. */
export function signsEpochs(format: LogFormat): format is EpochLogFormat {
  return format.proofNames !== undefined && format.createVerifier !== undefined;
}
