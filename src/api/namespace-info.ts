// The JSON of a namespace (GET /namespaces, GET /namespaces/{ns}): Plexi's NamespaceInfo
// (src/services/namespace-view.ts), then Chorus fields. Plexi clients ignore the extra fields. The
// log-format fields come from the format's descriptor (docs/log-formats.md, "What the dashboard
// shows"), so a dashboard or client shows any format as it shows AKD.
import { z } from 'zod';
import type { LogFormat } from '../formats/log-format.js';
import { u64 } from '../util/schema.js';

/** The newest verified transition's counts (as src/api/plexi-routes.ts LastVerification carries them). */
export interface VerifiedCounts {
  epoch: bigint;
  inserted?: number;
  unchanged?: number;
}

/** The Chorus fields naming a namespace's log format and, where the format has them, its counts. */
export function logFormatFields(format: LogFormat, last: VerifiedCounts | undefined): Record<string, unknown> {
  const d = format.describe;
  const out: Record<string, unknown> = {
    log_format: format.id,
    log_format_label: d.label,
    proof_label: d.proofLabel,
  };
  // Only a format whose verdicts count entries gets the field: a zero from one that does not
  // would pretend to be a fact.
  if (d.entryCounts) {
    out.last_verified_entries =
      last?.inserted !== undefined && last.unchanged !== undefined
        ? {
            epoch: last.epoch,
            inserted: last.inserted,
            unchanged: last.unchanged,
            inserted_label: d.entryCounts.inserted,
            unchanged_label: d.entryCounts.unchanged,
          }
        : null;
  }
  return out;
}

const digestHex = z.string().regex(/^[0-9a-f]{64}$/);

/** One namespace as the API serves it; documented in /openapi.json (README "HTTP API"). */
export const namespaceInfoJson = z.looseObject({
  name: z.string(),
  log_directory: z.string().nullable(),
  root: z.string().nullable().describe('"{epoch}/{digest hex}" of the namespace root, or null'),
  last_verified_epoch: u64.optional(),
  status: z.string(),
  reports_uri: z.string(),
  audits_uri: z.string(),
  signature_version: z.number().int(),
  ciphersuite: z.number().int(),
  last_signed: z.object({ epoch: u64, digest: digestHex, timestamp: u64 }).nullable(),
  network_status: z.enum(['Consistent', 'Equivocated']),
  equivocated_epochs: u64,
  signing_halted: z.string().nullable(),
  log_format: z.string().describe("the namespace's log_format (config), e.g. akd"),
  log_format_label: z.string().describe("the format's name for people"),
  proof_label: z.string().describe('what one of the log’s proofs is called, e.g. "append-only proof"'),
  last_verified_entries: z
    .object({
      epoch: u64,
      inserted: z.number().int().min(0),
      unchanged: z.number().int().min(0),
      inserted_label: z.string(),
      unchanged_label: z.string(),
    })
    .nullable()
    .optional()
    .describe("the last verified proof's counts; only for formats that count entries (null: none verified yet)"),
});

export const namespacesJson = z.looseObject({ namespaces: z.array(namespaceInfoJson) });
