// What the page says about a namespace's log format, from the node's namespace JSON
// (src/api/namespace-info.ts), which takes it from the format's descriptor: nothing here names a
// format, so a second format shows as the first does (docs/log-formats.md, "What the dashboard
// shows"). Pure: unit-tested without a browser.
import type { NamespaceInfo } from './api.js';

export interface FormatView {
  /** The namespace's `log_format`, or undefined from a node that does not report it. */
  id: string | undefined;
  /** The format's name for people. */
  label: string;
  /** What one of the log's proofs is called ("append-only proof" for AKD). */
  proofLabel: string;
  /**
   * The last verified proof's counts in the format's words. Undefined: the format counts no entries,
   * and nothing is shown (never zeros). Null: it does, but no proof is verified yet.
   */
  entries: { epoch: bigint; text: string } | null | undefined;
}

// An older node names no format: say so rather than guess one.
const UNKNOWN_FORMAT = 'log format not reported';
const GENERIC_PROOF = 'proof';

export function formatView(info: NamespaceInfo): FormatView {
  const e = info.last_verified_entries;
  return {
    id: info.log_format,
    label: info.log_format_label ?? UNKNOWN_FORMAT,
    proofLabel: info.proof_label ?? GENERIC_PROOF,
    entries:
      e === undefined
        ? undefined
        : e === null
          ? null
          : { epoch: e.epoch, text: `${e.inserted} ${e.inserted_label}, ${e.unchanged} ${e.unchanged_label}` },
  };
}

/** "the append-only proof of epoch 5": the phrase the card uses for the newest verified proof. */
export function proofOf(view: FormatView, epoch: bigint): string {
  return `the ${view.proofLabel} of epoch ${epoch}`;
}
