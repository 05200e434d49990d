// RFC 6962 logs with C2SP signed checkpoints (Go's checksum database, Sigstore's Rekor v2, Sigsum, CT tiles)
// as a log format (docs/log-formats.md, "tlog"): the node does not sign such a log's epochs; it witnesses it,
// cosigning each checkpoint it is shown through `POST /add-checkpoint` when it is consistent with everything
// the node cosigned before (docs/c2sp.md, "Chorus as a tlog witness"). So the format has settings (the origin
// and the log's keys) and no proof names, no proof verifier, no Plexi side.
import { z } from 'zod';
import { ed25519VkeyProblem } from '../../c2sp/signed-note.js';
import { controlCharIndex } from '../../c2sp/text.js';
import type { FormatSettings, LogFormat, WitnessedLog } from '../log-format.js';

export const TLOG_FORMAT_ID = 'tlog';

/** The tlog fields of a namespace (README "Configuration"). */
export const tlogSettingsSchema = z.object({
  // The checkpoint origin line: the log's unique name, first line of every checkpoint it signs.
  origin: z.string().min(1).max(256),
  // The log's note verifier keys (c2sp.org/signed-note vkeys, Ed25519 type 0x01); any of them may sign.
  log_vkeys: z.array(z.string().min(1).max(1024)).min(1).max(16),
});

/** Why a string is not a checkpoint origin (one line, no control characters), or null. */
export function originProblem(origin: string): string | null {
  if (controlCharIndex(origin) >= 0 || origin.includes('\n')) return 'contains a control character or a newline';
  if (origin.trim() !== origin) return 'starts or ends with white space';
  return null;
}

/** The log a tlog namespace names: its origin and verifier keys. */
export function tlogLogOf(settings: FormatSettings): WitnessedLog {
  const s = tlogSettingsSchema.parse(settings);
  return { origin: s.origin, logVerifierKeys: s.log_vkeys };
}

export const tlogFormat: LogFormat = {
  id: TLOG_FORMAT_ID,
  settings: tlogSettingsSchema,
  checkSettings: (settings) => {
    // zod runs this refinement even when a field failed its own schema: those are reported already.
    const parsed = tlogSettingsSchema.safeParse(settings);
    if (!parsed.success) return [];
    const s = parsed.data;
    const problems: { field: string; message: string }[] = [];
    const origin = originProblem(s.origin);
    if (origin) problems.push({ field: 'origin', message: `not a checkpoint origin: ${origin}` });
    const seen = new Set<string>();
    s.log_vkeys.forEach((vkey, i) => {
      const problem = ed25519VkeyProblem(vkey);
      if (problem) problems.push({ field: `log_vkeys.${i}`, message: `not a log verifier key: ${problem}` });
      else if (seen.has(vkey)) problems.push({ field: `log_vkeys.${i}`, message: 'listed twice' });
      seen.add(vkey);
    });
    return problems;
  },
  witnessedLog: tlogLogOf,
  describe: { label: 'RFC 6962 log (C2SP checkpoints)', proofLabel: 'consistency proof' },
};
