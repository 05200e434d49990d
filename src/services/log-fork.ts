// A log-signed checkpoint the witness refused (422: another root at a size it cosigned) is positive evidence
// that the log forked: with the body held for that (origin, size), both signed by the log's key, it makes a
// `log-equivocation` proof (src/consensus/checkpoint-equivocation.ts), stored, gossiped and alerted by the
// checkpoint service like any other (docs/c2sp.md, "Chorus as a tlog witness").
import { buildCheckpointEquivocationProof, type SignedBody } from '../consensus/checkpoint-equivocation.js';
import { decodeCheckpointNote } from '../consensus/checkpoint-rules.js';
import type { StoredCheckpointProof } from '../store/checkpoint-store.js';
import type { CheckpointService } from './checkpoint-service.js';

/**
 * The proofs a log-signed note (its signatures already verified as the log's) makes with every other body
 * held for its (origin, size). The checkpoint service checks each proof against the roster before storing it.
 */
export async function reportLogFork(
  checkpoints: CheckpointService,
  logSignedNote: string,
  namespace: string,
): Promise<StoredCheckpointProof[]> {
  const cn = decodeCheckpointNote(logSignedNote);
  const { origin, size } = cn.checkpoint;
  const forked: SignedBody = {
    text: cn.note.text,
    signatures: cn.note.signatures.map((signature) => ({ signature, role: 'log', signer: `log:${namespace}` })),
  };
  const out: StoredCheckpointProof[] = [];
  for (const held of await checkpoints.store.bodies(origin, size)) {
    if (held.text === forked.text) continue;
    const built = buildCheckpointEquivocationProof(forked, held);
    if (!built) continue;
    const r = await checkpoints.acceptProof(built.proof, 'local', true);
    if (r.stored) out.push(r.stored);
  }
  return out;
}
