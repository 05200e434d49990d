// `chorus repair`: restores signed epochs the store lost from the signing journal, exactly as they
// were signed (same timestamp, same signature bytes), so the node serves every signature it ever
// returned and can never sign another digest for those epochs (docs/design-decisions.md,
// "Signing journal"). Refuses, writing nothing, if the journal conflicts with the store or a
// record's signature does not verify under one of the node's keys.
import { verifyStrict } from '../crypto/ed25519.js';
import { signedBytes } from '../plexi/signature-message.js';
import type { SigningStore } from '../store/signing-store.js';
import type { SignedEpoch } from '../store/records.js';
import { bytesEqual, toHex } from '../util/bytes.js';
import { ChorusError } from '../util/errors.js';

export class RepairError extends ChorusError {
  constructor(message: string) {
    super('repair-refused', message);
  }
}

export interface RepairSummary {
  namespaces: { name: string; restored: number; from: string | null; to: string | null }[];
}

/**
 * Runs the start-up check, then writes back what the store lacks. `ownKeys` are the node's public
 * keys (every journal record must be signed by one of them).
 */
export async function repairFromJournal(signing: SigningStore, ownKeys: Uint8Array[]): Promise<RepairSummary> {
  const check = await signing.checkJournal();
  const plan: { ns: string; records: SignedEpoch[] }[] = [];
  for (const [ns, v] of check.verdicts) {
    if (v.kind === 'conflict') throw new RepairError(`${v.reason}; nothing was changed`);
    if (v.kind !== 'store-behind') continue;
    for (const r of v.missing) {
      if (!ownKeys.some((k) => bytesEqual(k, r.publicKey))) {
        throw new RepairError(
          `${ns} epoch ${r.epoch}: the journal record is signed by ${toHex(r.publicKey)}, not by one of this node's ` +
            `keys; nothing was changed`,
        );
      }
      if (!verifyStrict(r.publicKey, signedBytes(r), r.signature)) {
        throw new RepairError(
          `${ns} epoch ${r.epoch}: the journal record's signature does not verify; nothing was changed`,
        );
      }
    }
    plan.push({ ns, records: v.missing });
  }
  const summary: RepairSummary = { namespaces: [] };
  for (const { ns, records } of plan) {
    await signing.restoreSigned(ns, records);
    const first = records[0];
    const last = records[records.length - 1];
    summary.namespaces.push({
      name: ns,
      restored: records.length,
      from: first ? `${first.epoch}/${toHex(first.digest)}` : null,
      to: last ? `${last.epoch}/${toHex(last.digest)}` : null,
    });
  }
  return summary;
}
