// Read-only history for the dashboard's auditor × epoch matrix, signing-lag timeline and epoch
// history (README "HTTP API"): pages of epoch views and of a namespace's equivocation proofs,
// newest first, each page bounded and ended by a cursor for the next (older) one. Everything is
// read from the observation store's own tables; nothing here writes.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Observation } from '../consensus/observation.js';
import type { Roster } from '../consensus/roster.js';
import { BadRequestError } from './http-errors.js';
import type { ObservationStore, StoredProof } from '../store/observation-store.js';
import { nsEpochKey, nsRange, SEP } from '../store/keys.js';
import { compareBytes, toHex } from '../util/bytes.js';
import { U64_MAX } from '../util/u64.js';
import { proofToJson } from './network-routes.js';
import { parseEpochParam } from './plexi-routes.js';

export interface HistoryRoutesContext {
  /** Throws UnknownNamespaceError (404) for a namespace this node does not audit. */
  signingService: { namespaceConfig(ns: string): unknown };
  observations: ObservationStore;
  roster: Roster;
  /** Observations read per history page at most (default HISTORY_MAX_SCAN). */
  maxScan?: number;
}

export const HISTORY_MAX_EPOCHS = 100;
export const HISTORY_DEFAULT_EPOCHS = 20;
export const EQUIVOCATIONS_MAX_PAGE = 200;
export const EQUIVOCATIONS_DEFAULT_PAGE = 20;
/**
 * Observations read for one page at most. Gossip admits only roster signers, so an epoch holds a
 * few dozen observations; the bound keeps a page cheap even if a store holds something odd.
 */
export const HISTORY_MAX_SCAN = 20_000;

export interface EpochViewJson {
  epoch: bigint;
  equivocated: boolean;
  /** Set when the page's scan bound was reached inside this epoch: not every observation is listed. */
  incomplete?: true;
  digests: {
    digest: string;
    signers: { signer_key: string; name: string | null; timestamp: bigint; signature: string; ciphersuite: number }[];
  }[];
  proofs: string[];
}

/**
 * One epoch's observations grouped by digest (most signers first), as GET
 * /namespaces/{ns}/epochs/{epoch} shows them. Pure: the names are the roster's, looked up by `name`.
 */
export function epochView(
  epoch: bigint,
  seen: Observation[],
  proofIds: string[],
  name: (key: Uint8Array) => string | null,
): EpochViewJson {
  const byDigest = new Map<string, Observation[]>();
  for (const o of seen) {
    const k = toHex(o.digest);
    const list = byDigest.get(k);
    if (list) list.push(o);
    else byDigest.set(k, [o]);
  }
  const digests = [...byDigest.entries()]
    .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
    .map(([digest, list]) => ({
      digest,
      signers: [...list]
        .sort((a, b) => compareBytes(a.signerKey, b.signerKey))
        .map((o) => ({
          signer_key: toHex(o.signerKey),
          name: name(o.signerKey),
          timestamp: o.timestamp,
          signature: toHex(o.signature),
          ciphersuite: o.ciphersuite,
        })),
    }));
  return { epoch, equivocated: proofIds.length > 0 || digests.length > 1, digests, proofs: proofIds };
}

/** The opaque cursor of the equivocation pages: the next page starts after (older than) this proof. */
export function equivocationCursor(p: Pick<StoredProof, 'epoch' | 'id'>): string {
  return `${p.epoch}-${p.id}`;
}

const CURSOR = /^(\d{1,20})-([0-9a-f]{64})$/;

/** The proofByNsEpoch key a cursor stands for; a malformed cursor is the client's mistake (400). */
export function cursorKey(ns: string, cursor: string): string {
  const m = CURSOR.exec(cursor);
  const epoch = m ? BigInt(m[1] as string) : undefined;
  if (!m || epoch === undefined || epoch > U64_MAX)
    throw new BadRequestError(
      `cursor ${JSON.stringify(cursor)} is not one this node gave out (EPOCH-PROOFID)`,
      'bad-cursor',
    );
  return `${nsEpochKey(ns, epoch)}${SEP}${m[2] as string}`;
}

const nsParams = z.object({ ns: z.string().max(256) });
const historyQuery = z
  .object({
    before: z.string().max(24).optional(),
    limit: z.coerce.number().int().min(1).max(HISTORY_MAX_EPOCHS).default(HISTORY_DEFAULT_EPOCHS),
  })
  .strict();
const equivocationQuery = z
  .object({
    before: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(EQUIVOCATIONS_MAX_PAGE).default(EQUIVOCATIONS_DEFAULT_PAGE),
  })
  .strict();

export function registerHistoryRoutes(app: FastifyInstance, ctx: HistoryRoutesContext): void {
  const store = ctx.observations;
  const maxScan = ctx.maxScan ?? HISTORY_MAX_SCAN;

  // Epoch views newest first: `before` (exclusive) pages to older epochs; `next_before` is the
  // value for the next page, null at the oldest. Only epochs someone observed are listed.
  app.get('/namespaces/:ns/history', { schema: { params: nsParams, querystring: historyQuery } }, async (req) => {
    const { ns } = req.params as z.infer<typeof nsParams>;
    const q = req.query as z.infer<typeof historyQuery>;
    ctx.signingService.namespaceConfig(ns);
    const before = q.before === undefined ? undefined : parseEpochParam(q.before);
    const range = nsRange(ns);
    const lt = before === undefined ? range.lt : nsEpochKey(ns, before);
    const groups: { epoch: bigint; seen: Observation[] }[] = [];
    let more = false;
    let scanned = 0;
    let incomplete = false;
    const epochOf = (k: string): bigint => BigInt(k.slice(ns.length + 1, ns.length + 21));
    const name = (key: Uint8Array): string | null => ctx.roster.signerName(ns, key) ?? null;
    // The page's proof ids in one range scan of the (namespace, epoch) index, not one per epoch.
    const views = async (list: { epoch: bigint; seen: Observation[] }[]): Promise<EpochViewJson[]> => {
      const newest = list[0];
      const oldest = list[list.length - 1];
      const ids = new Map<bigint, string[]>();
      if (newest && oldest) {
        for await (const [k, id] of store.proofByNsEpoch.entries({
          gte: nsEpochKey(ns, oldest.epoch),
          lt: `${nsEpochKey(ns, newest.epoch)}\x01`,
        })) {
          const e = epochOf(k);
          ids.set(e, [...(ids.get(e) ?? []), id]);
        }
      }
      return list.map((g) => epochView(g.epoch, g.seen, ids.get(g.epoch) ?? [], name));
    };
    for await (const [k, o] of store.observations.entries({ gte: range.gte, lt, reverse: true })) {
      const epoch = epochOf(k);
      const last = groups[groups.length - 1];
      if (!last || last.epoch !== epoch) {
        if (groups.length >= q.limit) {
          more = true;
          break;
        }
        groups.push({ epoch, seen: [o] });
      } else last.seen.push(o);
      if (++scanned >= maxScan) {
        incomplete = true;
        more = true;
        break;
      }
    }
    // Cut off by the scan bound: the partly read (oldest) epoch is left for the next page, which
    // starts with it; a single epoch larger than the bound is listed as far as read, marked.
    if (incomplete && groups.length > 1) {
      const cut = groups.pop() as { epoch: bigint };
      return { namespace: ns, epochs: await views(groups), next_before: cut.epoch + 1n };
    }
    const list = await views(groups);
    if (incomplete && list[0]) list[0] = { ...list[0], incomplete: true };
    const oldest = groups[groups.length - 1];
    return { namespace: ns, epochs: list, next_before: more && oldest ? oldest.epoch : null };
  });

  // A namespace's equivocation proofs, newest epoch first, with their total: the dashboard lists
  // every one of them page by page instead of the newest 100 of GET /equivocations.
  app.get(
    '/namespaces/:ns/equivocations',
    { schema: { params: nsParams, querystring: equivocationQuery } },
    async (req) => {
      const { ns } = req.params as z.infer<typeof nsParams>;
      const q = req.query as z.infer<typeof equivocationQuery>;
      ctx.signingService.namespaceConfig(ns);
      const range = nsRange(ns);
      const lt = q.before === undefined ? range.lt : cursorKey(ns, q.before);
      const page: StoredProof[] = [];
      let more = false;
      for await (const [, id] of store.proofByNsEpoch.entries({
        gte: range.gte,
        lt,
        reverse: true,
        limit: q.limit + 1,
      })) {
        if (page.length >= q.limit) {
          more = true;
          break;
        }
        const p = await store.proof(id);
        if (p) page.push(p);
      }
      let total = 0;
      for await (const _key of store.proofByNsEpoch.sub.keys(range)) total++;
      const oldest = page[page.length - 1];
      return {
        namespace: ns,
        total,
        equivocations: page.map(proofToJson),
        next: more && oldest ? equivocationCursor(oldest) : null,
      };
    },
  );
}
