// What the page says about a witnessed RFC 6962 log, from the node's `GET /witness/logs` entry
// (src/api/witness-routes.ts, which names the format from its descriptor): nothing here names a format,
// so a witnessed log's card speaks like a namespace card (docs/log-formats.md, "What the dashboard
// shows"). Pure: unit-tested without a browser.
import type { WitnessedLogJson } from './api.js';

export interface WitnessedLogView {
  namespace: string;
  origin: string;
  /** The log's `log_format`, or undefined from a node that does not report it. */
  formatId: string | undefined;
  /** The format's name for people. */
  label: string;
  /** The card's state (as a namespace card's `data-state`) and its badge, icon and words. */
  state: 'ok' | 'idle' | 'equivocated';
  badge: string;
  /** The monitoring path of the cosigned note, only when it is a path on this node (never another origin). */
  checkpointPath: string | undefined;
  /** The latest cosigned checkpoint: the size in exact decimal digits, the root hash as served (base64). */
  cosigned: { size: string; rootHash: string; recordedAt: bigint } | null;
  /** How many roster auditors' cosignatures the node holds on it, in words. */
  cosignatures: string;
  /** The node's checkpoint equivocation proofs for the origin, in words; null when none is held or listed. */
  forks: string | null;
}

// An older node names no format: say so rather than guess one (as format-view.ts).
const UNKNOWN_FORMAT = 'log format not reported';
// A same-origin absolute path: one leading slash, no scheme, no second slash that would make it another host.
const LOCAL_PATH = /^\/(?![/\\])[^\s\\]*$/;

function plural(n: bigint, one: string, many: string): string {
  return `${n} ${n === 1n ? one : many}`;
}

/**
 * The card of one witnessed log. `proofs`: how many checkpoint equivocation proofs the node holds for its
 * origin (undefined: not known, as from a node that could not list them; shown as nothing, never as zero).
 */
export function witnessedLogView(log: WitnessedLogJson, proofs?: bigint): WitnessedLogView {
  const c = log.cosigned;
  const cosignatures =
    log.cosignatures === undefined
      ? 'not reported'
      : log.cosignatures === null
        ? 'none yet'
        : plural(log.cosignatures, 'roster cosignature', 'roster cosignatures');
  const forked = proofs !== undefined && proofs > 0n;
  const state = forked ? 'equivocated' : c ? 'ok' : 'idle';
  const badge = forked ? '⚠ Equivocated' : c ? `✓ Cosigned at size ${c.size}` : '… No checkpoint cosigned yet';
  return {
    namespace: log.namespace,
    origin: log.origin,
    formatId: log.log_format,
    label: log.log_format_label ?? UNKNOWN_FORMAT,
    state,
    badge,
    checkpointPath: LOCAL_PATH.test(log.checkpoint_path) ? log.checkpoint_path : undefined,
    cosigned: c ? { size: c.size.toString(), rootHash: c.root_hash, recordedAt: c.recorded_at } : null,
    cosignatures,
    forks: forked ? `${plural(proofs, 'checkpoint equivocation proof', 'checkpoint equivocation proofs')} held` : null,
  };
}
