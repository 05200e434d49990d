// The typed client of a Chorus node's read API: what monitors and operators `import { … } from 'chorus'`
// (README "Client library"). Built on the project's outbound HTTP (proxies, timeouts, size limits:
// src/net/http-client.ts) and lossless JSON, so u64 epochs and timestamps arrive as exact bigints.
import { httpRequest, type OutboundRequest } from '../net/http-client.js';
import { ChorusError } from '../util/errors.js';
import { parseJson, stringifyJson } from '../util/json.js';

export { HttpClientError } from '../net/http-client.js';
export { ChorusError } from '../util/errors.js';
export { parseJson, stringifyJson } from '../util/json.js';

/** The node answered with an error: `code` is its kebab-case `error` field (or `http-<status>`). */
export class ChorusApiError extends ChorusError {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, code: string, message: string, body: unknown) {
    super(code, message);
    this.status = status;
    this.body = body;
  }
}

export interface ClientOptions {
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** Largest response accepted (default 16 MiB): a larger one fails instead of filling memory. */
  maxBytes?: number;
  headers?: Record<string, string>;
}

export interface NodeInfo {
  keys: { public_key: string; not_before: bigint }[];
  logs: string[];
  version?: string;
}
export interface SignatureResponse {
  version: bigint;
  ciphersuite: bigint;
  namespace: string;
  timestamp: bigint;
  epoch: bigint;
  digest: string;
  signature: string;
  key_id?: bigint;
  serialized_message: string | null;
}
export interface EpochView {
  namespace: string;
  epoch: bigint;
  equivocated: boolean;
  digests: {
    digest: string;
    signers: { signer_key: string; name: string | null; timestamp: bigint; signature: string; ciphersuite: bigint }[];
  }[];
  proofs: string[];
}
/** The co-signed bundle (checkable offline with `chorus verify-bundle`) plus the node's tally. */
export interface CosignedEpochJson {
  namespace: string;
  epoch: bigint;
  digest: string;
  threshold?: bigint;
  quorum?: boolean;
  equivocated?: boolean;
  [field: string]: unknown;
}
/** POST …/cosignatures/check: the bundle plus a tlog-policy's verdict over its verified signatures. */
export interface PolicyCheckJson extends CosignedEpochJson {
  policy_only: boolean;
  policy: {
    quorum: string;
    met: boolean;
    reason: string;
    witnesses: { name: string; key: string; signer: string | null }[];
    groups: { name: string; threshold: bigint; members: string[]; satisfied: string[]; met: boolean }[];
    unlisted: string[];
    not_counted: { witness: string; signer: string; counted_as: string }[];
  };
  co_signed: boolean;
  reasons: string[];
}
export interface LastVerifiedEpoch {
  job_id: string;
  epoch: bigint;
  start_hash: string;
  end_hash: string;
  timestamp: bigint;
}
export interface EquivocationSummary {
  id: string;
  namespace: string;
  epoch: bigint;
  [field: string]: unknown;
}
export interface Alert {
  type: string;
  namespace?: string;
  [field: string]: unknown;
}

/** What a node made of a signed observation (POST /views), and what it holds for that epoch. */
export interface ObservationViewReport {
  type: 'observation';
  /** `contradiction`: an equivocation (its proof in `proofs`); `new`: stored; `consistent`: already held. */
  outcome: 'contradiction' | 'new' | 'consistent';
  namespace: string;
  epoch: bigint;
  digest: string;
  signer: string;
  signer_key: string;
  /** Observations of that epoch the view was compared with (0: the node could not check it). */
  compared: bigint;
  /** Per digest held, the co-signatures in the shape of `cosignatures()`. */
  held: CosignedEpochJson[];
  proofs: EquivocationSummary[];
}
/** What a node made of a cosigned checkpoint note (POST /views), and what it holds for that (origin, size). */
export interface CheckpointViewReport {
  type: 'checkpoint';
  outcome: 'contradiction' | 'new' | 'consistent';
  origin: string;
  size: bigint;
  /** Signers of the signatures the node did not hold before. */
  added: string[];
  compared: bigint;
  /** Per body held, the note with every signature held. */
  held: string[];
  proofs: EquivocationSummary[];
}
export type ViewReport = ObservationViewReport | CheckpointViewReport;

/**
 * A remote Chorus node's read API. Every method throws ChorusApiError on an error answer and HttpClientError when it
 * cannot be reached.
 */
export class ChorusClient {
  readonly baseUrl: string;
  private readonly opts: Required<Pick<ClientOptions, 'timeoutMs' | 'maxBytes'>> & Pick<ClientOptions, 'headers'>;

  constructor(baseUrl: string, opts: ClientOptions = {}) {
    this.baseUrl = new URL(baseUrl).toString();
    this.opts = {
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxBytes: opts.maxBytes ?? 16 * 1024 * 1024,
      ...(opts.headers ? { headers: opts.headers } : {}),
    };
  }

  /** GET a path and parse the JSON losslessly; exposed for routes without a typed method. */
  async getJson<T = unknown>(
    path: string,
    query: Record<string, string | bigint | number | undefined> = {},
  ): Promise<T> {
    return this.requestJson<T>(path, query);
  }

  /** POST a JSON body (serialized losslessly) and parse the JSON answer. */
  async postJson<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.requestJson<T>(path, {}, stringifyJson(body));
  }

  private async requestJson<T>(
    path: string,
    query: Record<string, string | bigint | number | undefined>,
    payload?: string,
  ): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const req: OutboundRequest = {
      timeoutMs: this.opts.timeoutMs,
      maxBytes: this.opts.maxBytes,
      headers: {
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...this.opts.headers,
      },
      ...(payload === undefined ? {} : { method: 'POST' as const, body: payload }),
    };
    return this.#answer<T>(url, await httpRequest(url.toString(), req));
  }

  /** The JSON body of an answer; an error answer throws ChorusApiError. */
  #answer<T>(url: URL, res: { status: number; body: Uint8Array }): T {
    const text = new TextDecoder().decode(res.body);
    let body: unknown;
    try {
      body = parseJson(text);
    } catch (err) {
      if (res.status >= 200 && res.status < 300)
        throw new ChorusApiError(
          res.status,
          'malformed-response',
          `${url}: ${(err as Error).message}`,
          text.slice(0, 200),
        );
      body = text.slice(0, 200);
    }
    if (res.status < 200 || res.status > 299) {
      const e = body as { error?: unknown; message?: unknown };
      const code = typeof e?.error === 'string' ? e.error : `http-${res.status}`;
      const message = typeof e?.message === 'string' ? e.message : String(body);
      throw new ChorusApiError(res.status, code, `${url}: HTTP ${res.status} ${code}: ${message}`, body);
    }
    return body as T;
  }

  info(): Promise<NodeInfo> {
    return this.getJson('/info');
  }
  async namespaces(): Promise<unknown[]> {
    return (await this.getJson<{ namespaces: unknown[] }>('/namespaces')).namespaces;
  }
  namespace(ns: string): Promise<Record<string, unknown>> {
    return this.getJson(`/namespaces/${encodeURIComponent(ns)}`);
  }
  /** This node's Plexi signature of an epoch. */
  signature(ns: string, epoch: bigint): Promise<SignatureResponse> {
    return this.getJson(`/namespaces/${encodeURIComponent(ns)}/audits/${epoch}`);
  }
  /** Every digest observed for an epoch and who signed it. */
  epoch(ns: string, epoch: bigint): Promise<EpochView> {
    return this.getJson(`/namespaces/${encodeURIComponent(ns)}/epochs/${epoch}`);
  }
  /** The co-signed bundle for an epoch (the most-signed digest unless `digest` is given, 64 hex digits). */
  cosignatures(ns: string, epoch: bigint, digest?: string): Promise<CosignedEpochJson> {
    return this.getJson(`/namespaces/${encodeURIComponent(ns)}/epochs/${epoch}/cosignatures`, { digest });
  }
  /**
   * The node's check of an epoch's co-signatures against a tlog-policy (the policy file's text): the bundle,
   * the policy's verdict per witness and group, and `co_signed` (docs/c2sp.md, "Policies for Plexi co-signatures").
   * The node's answer is a convenience: `chorus verify-bundle --policy` checks a bundle without trusting it.
   */
  checkCosignatures(
    ns: string,
    epoch: bigint,
    policy: string,
    opts: { digest?: string; policyOnly?: boolean } = {},
  ): Promise<PolicyCheckJson> {
    return this.postJson(`/namespaces/${encodeURIComponent(ns)}/epochs/${epoch}/cosignatures/check`, {
      policy,
      ...(opts.digest === undefined ? {} : { digest: opts.digest }),
      ...(opts.policyOnly === undefined ? {} : { policy_only: opts.policyOnly }),
    });
  }
  lastVerifiedEpoch(ns: string): Promise<LastVerifiedEpoch> {
    return this.getJson(`/namespaces/${encodeURIComponent(ns)}/last-verified-epoch`);
  }
  async equivocations(q: { namespace?: string; limit?: number } = {}): Promise<EquivocationSummary[]> {
    return (await this.getJson<{ equivocations: EquivocationSummary[] }>('/equivocations', q)).equivocations;
  }
  equivocation(id: string): Promise<EquivocationSummary> {
    return this.getJson(`/equivocations/${encodeURIComponent(id)}`);
  }
  async alerts(q: { namespace?: string; type?: string; limit?: number } = {}): Promise<Alert[]> {
    return (await this.getJson<{ alerts: Alert[] }>('/alerts', q)).alerts;
  }
  /**
   * Hands the node one signed view (POST /views): a Plexi SignatureResponse as JSON (`signer_key`
   * optional), a chorus.v1.Observation as protobuf (`application/x-protobuf`) or a cosigned checkpoint
   * note (`text/plain`). A refused view
   * throws ChorusApiError (403/404 `view-refused`, 429 `rate-limited`, 413 `body-too-large`).
   */
  reportView(body: string | Uint8Array, contentType = 'application/json'): Promise<ViewReport> {
    const url = new URL('views', this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    const req: OutboundRequest = {
      method: 'POST',
      body,
      timeoutMs: this.opts.timeoutMs,
      maxBytes: this.opts.maxBytes,
      headers: { accept: 'application/json', ...this.opts.headers, 'content-type': contentType },
    };
    return httpRequest(url.toString(), req).then((res) => this.#answer<ViewReport>(url, res));
  }
  /** The node's OpenAPI 3.1 document. */
  openApi(): Promise<Record<string, unknown>> {
    return this.getJson('/openapi.json');
  }
}
