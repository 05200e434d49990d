// Moving a node to another host without a window for double signing (issue: export/import).
// `chorus export` writes the node's signing history in a documented interchange format;
// `chorus import` verifies and merges one, refusing the whole file if any signature in it
// conflicts with what the importing node signed. Afterwards the node refuses to sign anything
// that conflicts with the history: imported epochs are signed epochs (same digest or 409), and the
// chain head moves to the low-water mark, so nothing at or below it can be signed anew.
//
// Format "chorus-signing-history/1" (JSON; u64 as JSON numbers, bytes as hex):
// { "format": "chorus-signing-history/1", "exported_at": ms, "public_keys": [hex…],
//   "namespaces": [ { "name", "root": {"epoch","digest"}|null,
//                     "low_water_mark": {"epoch","digest"}|null,   // the highest epoch signed
//                     "signatures": [ {"epoch","digest","previous"?,"timestamp","ciphersuite",
//                                      "signature","public_key"} … ] } ] }
import { z } from 'zod';
import { verifyStrict } from '../crypto/ed25519.js';
import { signedBytes } from '../plexi/signature-message.js';
import type { SignedEpoch } from '../store/records.js';
import type { SigningStore } from '../store/signing-store.js';
import { bytesEqual, fromHex, toHex } from '../util/bytes.js';
import { ChorusError } from '../util/errors.js';
import { describeZodError, u64 } from '../util/schema.js';

export const HISTORY_FORMAT = 'chorus-signing-history/1';

export class HistoryError extends ChorusError {
  constructor(message: string) {
    super('history', message);
  }
}

const hex32 = z.string().regex(/^[0-9a-fA-F]{64}$/);
const head = z.object({ epoch: u64, digest: hex32 }).strict();
const schema = z
  .object({
    format: z.literal(HISTORY_FORMAT),
    exported_at: u64,
    public_keys: z.array(hex32),
    namespaces: z.array(
      z
        .object({
          name: z.string().min(1).max(256),
          root: head.nullable(),
          low_water_mark: head.nullable(),
          signatures: z.array(
            z
              .object({
                epoch: u64,
                digest: hex32,
                previous: hex32.optional(),
                timestamp: u64,
                ciphersuite: z.bigint().min(1n).max(2n),
                signature: z.string().regex(/^[0-9a-fA-F]{128}$/),
                public_key: hex32,
              })
              .strict(),
          ),
        })
        .strict(),
    ),
  })
  .strict();

export type History = z.output<typeof schema>;

export async function exportHistory(
  signing: SigningStore,
  namespaces: string[],
  publicKeys: Uint8Array[],
  now: bigint,
): Promise<Record<string, unknown>> {
  // A store behind its signing journal would export less than was signed, and the new host could
  // sign another digest for what is missing: refuse until `chorus repair` restored it.
  const check = await signing.checkJournal();
  for (const ns of namespaces) {
    const v = check.verdicts.get(ns);
    if (v && v.kind !== 'consistent') throw new HistoryError(`cannot export "${ns}": ${v.reason}`);
  }
  const out: Record<string, unknown>[] = [];
  for (const ns of namespaces) {
    const state = await signing.namespaceState(ns);
    const signatures: Record<string, unknown>[] = [];
    for await (const s of signing.signedEpochs(ns)) {
      signatures.push({
        epoch: s.epoch,
        digest: toHex(s.digest),
        ...(s.previous ? { previous: toHex(s.previous) } : {}),
        timestamp: s.timestamp,
        ciphersuite: s.ciphersuite,
        signature: toHex(s.signature),
        public_key: toHex(s.publicKey),
      });
    }
    out.push({
      name: ns,
      root: state?.root ? { epoch: state.root.epoch, digest: toHex(state.root.digest) } : null,
      low_water_mark: state?.head ? { epoch: state.head.epoch, digest: toHex(state.head.digest) } : null,
      signatures,
    });
  }
  return { format: HISTORY_FORMAT, exported_at: now, public_keys: publicKeys.map(toHex), namespaces: out };
}

export function parseHistory(value: unknown): History {
  const r = schema.safeParse(value);
  if (!r.success) throw new HistoryError(`not a ${HISTORY_FORMAT} file: ${describeZodError(r.error)}`);
  return r.data;
}

export interface ImportSummary {
  namespaces: { name: string; imported: number; alreadyKnown: number; head: string | null }[];
}

/**
 * Verifies every signature, checks the whole file against the store, and only then writes.
 * `known` limits the import to namespaces this node audits.
 */
export async function importHistory(
  signing: SigningStore,
  h: History,
  known: (ns: string) => boolean,
): Promise<ImportSummary> {
  // Compared with a store behind its journal, the file could fill the gap with other digests than
  // the journal holds: restore first (`chorus repair`).
  const check = await signing.checkJournal();
  for (const ns of h.namespaces) {
    const v = check.verdicts.get(ns.name);
    if (v && v.kind !== 'consistent') throw new HistoryError(`cannot import into "${ns.name}": ${v.reason}`);
  }
  const plan: {
    name: string;
    records: SignedEpoch[];
    root?: { epoch: bigint; digest: Uint8Array };
    mark?: { epoch: bigint; digest: Uint8Array };
    known: number;
  }[] = [];
  for (const ns of h.namespaces) {
    if (!known(ns.name)) throw new HistoryError(`namespace "${ns.name}" is not in this node's configuration`);
    const records: SignedEpoch[] = [];
    let alreadyKnown = 0;
    const seenEpochs = new Map<bigint, string>();
    for (const s of ns.signatures) {
      const record: SignedEpoch = {
        namespace: ns.name,
        epoch: s.epoch,
        digest: fromHex(s.digest, 32),
        timestamp: s.timestamp,
        ciphersuite: Number(s.ciphersuite),
        signature: fromHex(s.signature, 64),
        publicKey: fromHex(s.public_key, 32),
        ...(s.previous ? { previous: fromHex(s.previous, 32) } : {}),
      };
      if (!verifyStrict(record.publicKey, signedBytes(record), record.signature)) {
        throw new HistoryError(`${ns.name} epoch ${s.epoch}: the signature does not verify`);
      }
      const dup = seenEpochs.get(s.epoch);
      if (dup !== undefined && dup !== s.digest.toLowerCase())
        throw new HistoryError(`${ns.name} epoch ${s.epoch}: the file itself holds two digests`);
      seenEpochs.set(s.epoch, s.digest.toLowerCase());
      const mine = await signing.signedEpoch(ns.name, s.epoch);
      if (mine) {
        if (!bytesEqual(mine.digest, record.digest)) {
          throw new HistoryError(
            `${ns.name} epoch ${s.epoch}: this node signed ${toHex(mine.digest)}, the file ${s.digest}: refusing ` +
              `the import`,
          );
        }
        alreadyKnown++;
        continue;
      }
      records.push(record);
    }
    const entry: (typeof plan)[number] = { name: ns.name, records, known: alreadyKnown };
    if (ns.root) entry.root = { epoch: ns.root.epoch, digest: fromHex(ns.root.digest, 32) };
    if (ns.low_water_mark)
      entry.mark = { epoch: ns.low_water_mark.epoch, digest: fromHex(ns.low_water_mark.digest, 32) };
    plan.push(entry);
  }
  const summary: ImportSummary = { namespaces: [] };
  for (const p of plan) {
    const head = await signing.importSigned(p.name, p.records, p.root, p.mark);
    summary.namespaces.push({
      name: p.name,
      imported: p.records.length,
      alreadyKnown: p.known,
      head: head ? `${head.epoch}/${toHex(head.digest)}` : null,
    });
  }
  return summary;
}
