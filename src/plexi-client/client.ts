// A client for any Plexi-compatible auditor, reading responses as plexi_core's serde types do
// (required fields, exact types; unknown fields ignored). It requests paths at the root of the
// base URL's host, as the real client does (reqwest's Url::join with an absolute path).
import { z } from 'zod';
import { fromHex } from '../util/bytes.js';
import { ChorusError, DecodeError } from '../util/errors.js';
import { parseJson } from '../util/json.js';
import { httpRequest } from '../net/http-client.js';
import { describeZodError, u32, u64 } from '../util/schema.js';
import { signatureResponseFromJson, type SignatureResponse } from '../plexi/signature-response.js';

export class PlexiClientError extends ChorusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('plexi-client', message, options);
  }
}

export const USER_AGENT = 'chorus-plexi-client/1';
/** Largest answer read (a proof blob is the biggest: Messenger's reach ~300 MB). */
const MAX_RESPONSE_BYTES = 512 * 1024 * 1024;

const keyInfo = z.object({ public_key: z.string(), not_before: u64 });
const configurationSchema = z.object({ keys: z.array(keyInfo), logs: z.array(z.string()) });

const namespaceInfoSchema = z.object({
  name: z.string(),
  log_directory: z.string().nullish(),
  root: z.string().nullish(),
  last_verified_epoch: u64.nullish(),
  status: z.enum(['Online', 'Initialization', 'Disabled']),
  reports_uri: z.string(),
  audits_uri: z.string(),
  signature_version: u32.nullish(),
  ciphersuite: u32.nullish(),
});

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const hexString = z.string().regex(/^([0-9a-fA-F]{2})*$/, { error: 'must be hex' });
const lastVerifiedSchema = z.object({
  job_id: z.string().regex(UUID_RE, { error: 'must be a UUID' }),
  epoch: u64,
  start_hash: hexString,
  end_hash: hexString,
  timestamp: u64,
});

export interface AuditorConfiguration {
  keys: { publicKey: string; notBefore: bigint }[];
  logs: string[];
}

export interface NamespaceInfo {
  name: string;
  logDirectory?: string;
  root?: string;
  lastVerifiedEpoch?: bigint;
  status: 'Online' | 'Initialization' | 'Disabled';
  signatureVersion: number;
}

export interface LastVerifiedEpochInfo {
  jobId: string;
  epoch: bigint;
  startHash: Uint8Array;
  endHash: Uint8Array;
  timestamp: bigint;
}

function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new DecodeError(`${what}: ${describeZodError(r.error)}`);
  return r.data;
}

export class PlexiClient {
  readonly origin: string;
  /** Every path requested, in order (used to check we behave like the real client). */
  readonly requested: string[] = [];

  constructor(
    baseUrl: string,
    private readonly opts: { timeoutMs?: number; userAgent?: string; maxBytes?: number } = {},
  ) {
    let u: URL;
    try {
      u = new URL(baseUrl);
    } catch (err) {
      throw new PlexiClientError(`invalid URL ${baseUrl}`, { cause: err });
    }
    this.origin = u.origin;
  }

  /** GET a path at the root of the host; undefined for 404, an error for other non-2xx. */
  async getBytes(originOrBase: string, path: string): Promise<Uint8Array | undefined> {
    const url = new URL(path, new URL(originOrBase).origin).toString();
    this.requested.push(new URL(url).pathname);
    let res: Awaited<ReturnType<typeof httpRequest>>;
    try {
      res = await httpRequest(url, {
        headers: { 'user-agent': this.opts.userAgent ?? USER_AGENT },
        timeoutMs: this.opts.timeoutMs ?? 60_000,
        maxBytes: this.opts.maxBytes ?? MAX_RESPONSE_BYTES,
      });
    } catch (err) {
      throw new PlexiClientError(`fetching ${url}: ${(err as Error).message}`, { cause: err });
    }
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status > 299) throw new PlexiClientError(`fetching ${url}: HTTP status ${res.status}`);
    return res.body;
  }

  async getJson(path: string): Promise<unknown> {
    const bytes = await this.getBytes(this.origin, path);
    if (bytes === undefined) return undefined;
    try {
      return parseJson(new TextDecoder().decode(bytes));
    } catch (err) {
      throw new PlexiClientError(`converting ${this.origin}${path} into json: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async info(): Promise<AuditorConfiguration> {
    const v = await this.getJson('/info');
    if (v === undefined) throw new PlexiClientError('auditor configuration should always be defined');
    const c = parseWith(configurationSchema, v, '/info');
    return { keys: c.keys.map((k) => ({ publicKey: k.public_key, notBefore: k.not_before })), logs: c.logs };
  }

  static namespaceInfoFromJson(v: unknown): NamespaceInfo {
    const n = parseWith(namespaceInfoSchema, v, 'namespace');
    const suite = n.signature_version ?? n.ciphersuite;
    if (suite === undefined || suite === null)
      throw new DecodeError('namespace: either signature_version or ciphersuite must be provided');
    const out: NamespaceInfo = { name: n.name, status: n.status, signatureVersion: Number(suite) };
    if (n.log_directory) out.logDirectory = n.log_directory;
    if (n.root) out.root = n.root;
    if (n.last_verified_epoch !== undefined && n.last_verified_epoch !== null)
      out.lastVerifiedEpoch = n.last_verified_epoch;
    return out;
  }

  async namespaces(): Promise<NamespaceInfo[]> {
    const v = await this.getJson('/namespaces');
    if (v === undefined) throw new PlexiClientError('auditor configuration should always be defined');
    const list = parseWith(z.object({ namespaces: z.array(z.unknown()) }), v, '/namespaces');
    return list.namespaces.map((n) => PlexiClient.namespaceInfoFromJson(n));
  }

  async namespace(ns: string): Promise<NamespaceInfo | undefined> {
    const v = await this.getJson(`/namespaces/${ns}`);
    return v === undefined ? undefined : PlexiClient.namespaceInfoFromJson(v);
  }

  async signature(ns: string, epoch: bigint): Promise<SignatureResponse | undefined> {
    const v = await this.getJson(`/namespaces/${ns}/audits/${epoch}`);
    return v === undefined ? undefined : signatureResponseFromJson(v);
  }

  async lastVerifiedEpoch(ns: string): Promise<LastVerifiedEpochInfo | undefined> {
    const v = await this.getJson(`/namespaces/${ns}/last-verified-epoch`);
    if (v === undefined) return undefined;
    const l = parseWith(lastVerifiedSchema, v, 'last-verified-epoch');
    return {
      jobId: l.job_id,
      epoch: l.epoch,
      startHash: fromHex(l.start_hash),
      endHash: fromHex(l.end_hash),
      timestamp: l.timestamp,
    };
  }

  /** A proof blob from a log directory: fetched at the root of its host, as plexi does. */
  async proof(logDirectory: string, blobName: string): Promise<Uint8Array | undefined> {
    return this.getBytes(logDirectory, `/${blobName}`);
  }
}
