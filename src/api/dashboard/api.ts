// The node's HTTP API as the page reads it. Every JSON body is parsed with util/json.ts (u64 stay
// bigint) and shape-checked with zod: what passes is only well-formed, not trusted — signatures
// and proofs are checked separately (verify.ts).
import { z } from 'zod';
import { parseJson } from '../../util/json.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function get(path: string, accept = 'application/json'): Promise<Response> {
  const res = await fetch(path, { headers: { accept }, cache: 'no-store' });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    const text = await res.text();
    try {
      const body = parseJson(text) as { message?: unknown };
      if (typeof body.message === 'string') message = `${res.status}: ${body.message}`;
    } catch (err) {
      // A non-JSON error page: keep the status line, but say what the body was not.
      console.warn(`GET ${path}: error body is not JSON`, err);
    }
    throw new ApiError(res.status, `GET ${path} failed (${message})`);
  }
  return res;
}

export async function getJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  const text = await (await get(path)).text();
  const parsed = schema.safeParse(parseJson(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `GET ${path}: unexpected response (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`,
    );
  }
  return parsed.data;
}

/** The raw JSON value (for code that has its own decoder, like Roster.fromJson). */
export async function getRawJson(path: string): Promise<unknown> {
  return parseJson(await (await get(path)).text());
}

export async function getBytes(path: string, accept: string): Promise<Uint8Array> {
  return new Uint8Array(await (await get(path, accept)).arrayBuffer());
}

const u64 = z.bigint().min(0n);

export const namespaceInfoSchema = z.looseObject({
  name: z.string(),
  root: z.string().nullable().optional(),
  last_verified_epoch: u64.optional(),
  status: z.string(),
  last_signed: z.object({ epoch: u64, digest: z.string(), timestamp: u64 }).nullable().optional(),
  network_status: z.string().optional(),
  equivocated_epochs: u64.optional(),
  signing_halted: z.string().nullable().optional(),
  // The log format, from its descriptor (src/api/namespace-info.ts); absent from older nodes.
  log_format: z.string().optional(),
  log_format_label: z.string().optional(),
  proof_label: z.string().optional(),
  last_verified_entries: z
    .looseObject({
      epoch: u64,
      inserted: u64,
      unchanged: u64,
      inserted_label: z.string(),
      unchanged_label: z.string(),
    })
    .nullable()
    .optional(),
});
export type NamespaceInfo = z.infer<typeof namespaceInfoSchema>;

export const namespacesSchema = z.looseObject({ namespaces: z.array(namespaceInfoSchema) });

export const lastVerifiedSchema = z.looseObject({
  epoch: u64,
  end_hash: z.string().optional(),
  timestamp: u64.optional(),
});
export type LastVerified = z.infer<typeof lastVerifiedSchema>;

/** The co-signature contract; the flags and names are the server's claims, recomputed by the page. */
export const cosignaturesSchema = z.looseObject({
  namespace: z.string(),
  epoch: u64,
  digest: z.string(),
  threshold: u64.optional(),
  quorum: z.boolean().optional(),
  equivocated: z.boolean().optional(),
  cosignatures: z.array(
    z.looseObject({ signer_key: z.string(), timestamp: u64, name: z.string().nullable().optional() }),
  ),
});
export type CosignaturesJson = z.infer<typeof cosignaturesSchema>;

const observationJson = z.looseObject({ digest: z.string(), signer_key: z.string(), timestamp: u64.optional() });
export const equivocationsSchema = z.looseObject({
  equivocations: z.array(
    z.looseObject({
      id: z.string().regex(/^[0-9a-f]{64}$/),
      namespace: z.string(),
      epoch: u64,
      kind: z.string(),
      signers: z.array(z.string()),
      first: observationJson,
      second: observationJson,
      received_at: u64.optional(),
    }),
  ),
});
export type EquivocationJson = z.infer<typeof equivocationsSchema>['equivocations'][number];

export const alertsSchema = z.looseObject({
  alerts: z.array(
    z.looseObject({
      type: z.string(),
      namespace: z.string(),
      epoch: u64.optional(),
      timestamp: u64,
      reason: z.string(),
    }),
  ),
});
export type AlertJson = z.infer<typeof alertsSchema>['alerts'][number];

export const enc = encodeURIComponent;

// GET /namespaces/{ns}/history (src/api/history-routes.ts): a page of epoch views, newest first.
const signatureJson = z.looseObject({
  signer_key: z.string(),
  name: z.string().nullable().optional(),
  timestamp: u64,
  signature: z.string(),
  ciphersuite: u64.optional(),
});
export const epochViewSchema = z.looseObject({
  epoch: u64,
  equivocated: z.boolean(),
  incomplete: z.boolean().optional(),
  digests: z.array(z.looseObject({ digest: z.string(), signers: z.array(signatureJson) })),
  proofs: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
});
export type EpochViewJson = z.infer<typeof epochViewSchema>;
export const historySchema = z.looseObject({
  namespace: z.string(),
  epochs: z.array(epochViewSchema),
  next_before: u64.nullable(),
});

// GET /namespaces/{ns}/equivocations: one page of proofs, newest epoch first, and the total.
export const equivocationPageSchema = z.looseObject({
  namespace: z.string(),
  total: u64,
  equivocations: equivocationsSchema.shape.equivocations,
  next: z.string().max(100).nullable(),
});

// GET /network/status (src/api/admin-routes.ts): the libp2p host's own view. Scores are
// fractional JSON numbers, counters integers (bigint here).
const num = z.union([z.bigint(), z.number()]);
export const networkStatusSchema = z.looseObject({
  enabled: z.boolean(),
  peerId: z.string().optional(),
  running: z.boolean().optional(),
  connectedPeers: z.array(z.string()).optional(),
  blockedPeers: z.array(z.string()).optional(),
  peerScores: z.record(z.string(), num).optional(),
  topics: z
    .record(
      z.string(),
      z.looseObject({
        subscribed: z.boolean().optional(),
        meshPeers: z.array(z.string()),
        topicPeers: z.array(z.string()),
        validation: z
          .looseObject({
            accept: z.record(z.string(), num),
            ignore: z.record(z.string(), num),
            reject: z.record(z.string(), num),
          })
          .optional(),
      }),
    )
    .optional(),
});
export type NetworkStatusJson = z.infer<typeof networkStatusSchema>;

// GET /witness/logs (src/api/witness-routes.ts): the RFC 6962 logs the node witnesses. Sizes and times are
// bigint, exact; the format fields and `cosignatures` are absent from older nodes.
export const witnessedLogSchema = z.looseObject({
  namespace: z.string(),
  origin: z.string(),
  checkpoint_path: z.string(),
  cosigned: z.looseObject({ size: u64, root_hash: z.string(), recorded_at: u64 }).nullable(),
  log_format: z.string().optional(),
  log_format_label: z.string().optional(),
  cosignatures: u64.nullable().optional(),
});
export type WitnessedLogJson = z.infer<typeof witnessedLogSchema>;
export const witnessedLogsSchema = z.looseObject({ logs: z.array(witnessedLogSchema) });

// GET /checkpoints/equivocations?origin=… (src/api/checkpoint-routes.ts): only how many are held is shown.
export const checkpointEquivocationsSchema = z.looseObject({
  equivocations: z.array(z.looseObject({ id: z.string(), kind: z.string(), size: u64 })),
});
