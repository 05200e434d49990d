// The node's configuration file (YAML, so the example can carry comments), validated with zod at
// start; every error names the offending field. Relative paths resolve against the file's folder.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../util/errors.js';
import { fromHex } from '../util/bytes.js';
import { U64_MAX } from '../util/u64.js';
import { signsEpochs, type FormatSettings, type LogFormat } from '../formats/log-format.js';
import { DEFAULT_LOG_FORMAT, defaultFormats, type FormatRegistry } from '../formats/registry.js';
import { DEFAULT_MAX_FUTURE_SKEW_MS } from '../consensus/observation-rules.js';

/** 2 GiB per namespace: ~35 WhatsApp or ~7 Messenger proofs. */
export const DEFAULT_PROOF_RETENTION_BYTES = 2 * 1024 * 1024 * 1024;

export const NAMESPACE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const rootSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})\/[0-9a-fA-F]{64}$/, {
    error: 'must be "EPOCH/DIGEST" with a decimal epoch and a 32-byte hex digest',
  })
  // zod runs this refinement even when the regex failed: only a decimal epoch goes to BigInt.
  .refine((s) => !/^[0-9]+\//.test(s) || BigInt(s.split('/')[0] as string) <= U64_MAX, {
    error: 'epoch must be at most 2^64-1',
  });

const port = z.union([z.number(), z.bigint()]).transform(Number).pipe(z.number().int().min(0).max(65535));
/** `validation.memory_budget_mb` by default (docs/akd.md, "The node's memory"). */
export const DEFAULT_MEMORY_BUDGET_MB = 384;
const positiveInt = z.union([z.number(), z.bigint()]).transform(Number).pipe(z.number().int().positive());

/**
 * POST /views defaults: a view is a few hundred bytes (a cosigned checkpoint note a few KiB); a
 * monitor reporting what it was shown needs a burst, not a stream.
 */
export const DEFAULT_VIEWS = { bodyLimitBytes: 64 * 1024, rateLimit: { burst: 30, perMinute: 30 } } as const;

// The fields every namespace has, whatever its log format; each format adds its own
// (docs/log-formats.md, "Namespace settings").
const commonNamespaceShape = {
  name: z.string().regex(NAMESPACE_NAME_RE, {
    error: 'letters, digits, ".", "_" and "-" only (1-128), starting with a letter or digit',
  }),
  status: z.enum(['Initialization', 'Online', 'Disabled']).default('Initialization'),
  root: rootSchema.nullish(),
  source: z.enum(['push', 'directory']).default('push'),
  proof_directory: z
    .string()
    .refine((u) => /^(https?|file):\/\//.test(u), { error: 'must be an http(s):// or file:// URL' })
    .nullish(),
  proof_directory_format: z.enum(['s3', 'http']).nullish(),
  poll_interval_seconds: positiveInt.default(30),
  // Where a new directory namespace starts: the directory's head, or an epoch (catching up from
  // genesis is a choice: start_at: 1).
  start_at: z
    .union([
      z.literal('head'),
      z.union([z.number(), z.bigint()]).transform(BigInt).pipe(z.bigint().min(1n).max(U64_MAX)),
    ])
    .default('head'),
  // log_directory in NamespaceInfo: this node's mirror of verified proofs, or the log's own directory.
  advertised_log_directory: z.enum(['mirror', 'proof_directory']).default('mirror'),
  proof_directory_cache_bust: z.boolean().default(true),
  max_epoch_interval_seconds: positiveInt.nullish(),
  log_key: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { error: "must be the log's 32-byte Ed25519 public key in hex" })
    .nullish(),
  token_sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be the lowercase hex SHA-256 of the bearer token' }),
};

type CommonNamespace = z.output<z.ZodObject<typeof commonNamespaceShape>>;
/** A parsed namespace: the common fields, its `log_format` and that format's own fields. */
type ParsedNamespace = CommonNamespace & { log_format: string } & FormatSettings;

const isMapping = (v: unknown): v is object => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkCommonNamespace(ns: CommonNamespace, ctx: z.RefinementCtx): void {
  if (ns.status === 'Online' && !ns.root) {
    ctx.addIssue({ code: 'custom', path: ['root'], message: 'an Online namespace needs a root "EPOCH/DIGEST"' });
  }
  if (ns.source === 'directory' && !ns.proof_directory) {
    ctx.addIssue({
      code: 'custom',
      path: ['proof_directory'],
      message: 'a directory source needs the proof directory to poll',
    });
  }
  if (ns.source === 'directory' && ns.proof_directory_format === 'http') {
    ctx.addIssue({
      code: 'custom',
      path: ['proof_directory_format'],
      message: 'a plain HTTP directory cannot be listed: use s3 or a file:// folder',
    });
  }
}

/**
 * A namespace of a witness-only format (docs/log-formats.md, "Capabilities"): its name and settings. The
 * epoch fields (root, source, proof directory, token…) make no sense for it and are refused by name.
 */
function witnessedNamespaceSchema(f: LogFormat) {
  const refused = Object.fromEntries(
    Object.keys(commonNamespaceShape)
      .filter((k) => k !== 'name')
      .map((k) => [
        k,
        z.undefined({ error: `does not apply to log_format ${f.id} (its logs are witnessed, not signed)` }).optional(),
      ]),
  );
  return z
    .object({ ...refused, name: commonNamespaceShape.name, ...f.settings.shape, log_format: z.literal(f.id) })
    .strict()
    .superRefine((ns, ctx) => {
      for (const p of f.checkSettings?.(ns) ?? []) {
        ctx.addIssue({
          code: 'custom',
          path: p.field.split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x)),
          message: p.message,
        });
      }
    });
}

/**
 * A namespace: a union discriminated by `log_format` (absent: `akd`, so every config written before
 * formats existed keeps its meaning), each member the common fields plus its format's settings.
 */
function namespaceSchemaFor(formats: FormatRegistry): z.ZodType<ParsedNamespace> {
  const [first, ...rest] = formats.all.map((f) =>
    !signsEpochs(f)
      ? witnessedNamespaceSchema(f)
      : z
          .object({ ...commonNamespaceShape, ...f.settings.shape, log_format: z.literal(f.id) })
          .strict()
          .superRefine((ns, ctx) => {
            checkCommonNamespace(ns, ctx);
            for (const p of f.checkSettings?.(ns) ?? []) {
              ctx.addIssue({ code: 'custom', path: [p.field], message: p.message });
            }
          }),
  );
  if (!first) throw new ConfigError('log_format', 'no log format is registered');
  const known = z.object({
    log_format: z.string().refine((id) => formats.has(id), { error: `must be one of: ${formats.ids.join(', ')}` }),
  });
  const union = z.discriminatedUnion('log_format', [first, ...rest]);
  return z.preprocess(
    (v) => (isMapping(v) && !('log_format' in v) ? { ...v, log_format: DEFAULT_LOG_FORMAT } : v),
    // The format is checked first so an unknown one is named as such, not as a union mismatch.
    known.loose().pipe(union),
  ) as unknown as z.ZodType<ParsedNamespace>;
}

const configSchemaFor = (namespaceSchema: z.ZodType<ParsedNamespace>) =>
  z
    .object({
      data_dir: z.string().default('.'),
      keys: z
        .array(
          z
            .object({
              file: z.string(),
              not_before: z
                .union([z.bigint(), z.number().int()])
                .transform(BigInt)
                .pipe(z.bigint().min(0n).max(U64_MAX))
                .default(0n),
            })
            .strict(),
        )
        .min(1)
        .default([{ file: 'node.key', not_before: 0n }]),
      log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      http: z
        .object({
          host: z.string().default('127.0.0.1'),
          port: port.default(8080),
          body_limit_bytes: positiveInt.default(16 * 1024),
          public_url: z.url().nullish(),
          rate_limit: z
            .object({ max: positiveInt.default(6000), window_seconds: positiveInt.default(60) })
            .strict()
            .default({ max: 6000, window_seconds: 60 }),
          // Reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the client. Only these:
          // trusting any sender would let every client pick its own rate-limit key.
          trusted_proxies: z
            .array(
              z
                .string()
                .regex(/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/, { error: 'must be an IP address or CIDR (e.g. 10.0.0.0/8)' }),
            )
            .default([]),
        })
        .strict()
        .default({
          host: '127.0.0.1',
          port: 8080,
          body_limit_bytes: 16 * 1024,
          rate_limit: { max: 6000, window_seconds: 60 },
          trusted_proxies: [],
        }),
      namespaces: z.array(namespaceSchema).default([]),
      liveness: z
        .object({
          quorum_timeout_seconds: positiveInt.default(300),
          auditor_silence_seconds: positiveInt.default(3600),
          check_interval_seconds: positiveInt.default(5),
        })
        .strict()
        .default({ quorum_timeout_seconds: 300, auditor_silence_seconds: 3600, check_interval_seconds: 5 }),
      validation: z
        .object({
          workers: positiveInt.nullish(),
          proof_retention_epochs: z
            .union([z.number(), z.bigint()])
            .transform(Number)
            .pipe(z.number().int().min(0))
            .default(1000),
          // Verified proofs kept per namespace, by bytes and by age (0: no limit); evidence is kept
          // until the operator prunes it (docs/design-decisions.md, "Proof storage").
          proof_retention_bytes: z
            .union([z.number(), z.bigint()])
            .transform(Number)
            .pipe(z.number().int().min(0))
            .default(DEFAULT_PROOF_RETENTION_BYTES),
          proof_retention_seconds: z
            .union([z.number(), z.bigint()])
            .transform(Number)
            .pipe(z.number().int().min(0))
            .default(86_400),
          // Memory the node's proof downloads and verifications may hold at once, on top of its
          // base (docs/akd.md, "The node's memory"): 384 keeps a node auditing WhatsApp and
          // Messenger within 512 MB.
          memory_budget_mb: z
            .union([z.number(), z.bigint()])
            .transform(Number)
            .pipe(z.number().int().positive().max(1_048_576))
            .default(DEFAULT_MEMORY_BUDGET_MB),
        })
        .strict()
        .default({
          proof_retention_epochs: 1000,
          proof_retention_bytes: DEFAULT_PROOF_RETENTION_BYTES,
          proof_retention_seconds: 86_400,
          memory_budget_mb: DEFAULT_MEMORY_BUDGET_MB,
        }),
      plexi_follow: z
        .object({ poll_interval_seconds: positiveInt.default(30), max_epochs_per_poll: positiveInt.default(100) })
        .strict()
        .default({ poll_interval_seconds: 30, max_epochs_per_poll: 100 }),
      // POST /views: its own body cap and per-client token bucket (docs/protocol.md, "Views from anyone").
      views: z
        .object({
          body_limit_bytes: positiveInt.default(DEFAULT_VIEWS.bodyLimitBytes),
          rate_limit: z
            .object({
              burst: positiveInt.default(DEFAULT_VIEWS.rateLimit.burst),
              per_minute: positiveInt.default(DEFAULT_VIEWS.rateLimit.perMinute),
            })
            .strict()
            .default({ burst: DEFAULT_VIEWS.rateLimit.burst, per_minute: DEFAULT_VIEWS.rateLimit.perMinute }),
        })
        .strict()
        .default({
          body_limit_bytes: DEFAULT_VIEWS.bodyLimitBytes,
          rate_limit: { burst: DEFAULT_VIEWS.rateLimit.burst, per_minute: DEFAULT_VIEWS.rateLimit.perMinute },
        }),
      // Its own listener for /admin/* and /metrics (then refused on `http`): README "Configuration".
      admin_http: z
        .object({ host: z.string().default('127.0.0.1'), port })
        .strict()
        .nullish(),
      admin: z
        .object({
          token_sha256: z
            .string()
            .regex(/^[0-9a-f]{64}$/, { error: 'must be the lowercase hex SHA-256 of the admin token' }),
        })
        .strict()
        .nullish(),
      p2p: z
        .object({
          listen: z.array(z.string().min(1)).min(1).default(['/ip4/127.0.0.1/tcp/0']),
          announce: z.array(z.string().min(1)).default([]),
          identity_file: z.string().default('p2p-identity.key'),
          max_future_skew_ms: positiveInt.default(DEFAULT_MAX_FUTURE_SKEW_MS),
          sync_interval_seconds: positiveInt.default(60),
        })
        .strict()
        .nullish(),
    })
    .strict()
    .superRefine((c, ctx) => {
      const seen = new Set<string>();
      c.namespaces.forEach((ns, i) => {
        if (seen.has(ns.name))
          ctx.addIssue({
            code: 'custom',
            path: ['namespaces', i, 'name'],
            message: `duplicate namespace "${ns.name}"`,
          });
        seen.add(ns.name);
      });
    });

/** One schema per registry: the registry is fixed for a node's life. */
const schemas = new WeakMap<FormatRegistry, ReturnType<typeof configSchemaFor>>();
function configSchemaOf(formats: FormatRegistry): ReturnType<typeof configSchemaFor> {
  let schema = schemas.get(formats);
  if (!schema) schemas.set(formats, (schema = configSchemaFor(namespaceSchemaFor(formats))));
  return schema;
}

export type RawConfig = z.output<ReturnType<typeof configSchemaFor>>;
export type RawNamespaceConfig = ParsedNamespace;

export interface NamespaceConfig {
  name: string;
  status: 'Initialization' | 'Online' | 'Disabled';
  root?: { epoch: bigint; digest: Uint8Array };
  /** The log format (src/formats/registry.ts) and its own fields, as its settings schema parsed them. */
  logFormat: string;
  formatSettings: FormatSettings;
  /**
   * The roster's AKD tree configuration (src/consensus/roster.ts names one for every namespace):
   * the AKD settings' value; `whatsapp_v1` for other formats, whose roster entries do not use it.
   */
  configuration: 'whatsapp_v1' | 'experimental';
  domainLabel?: string;
  source: 'push' | 'directory';
  proofDirectory?: string;
  proofDirectoryFormat?: 's3' | 'http';
  pollIntervalSeconds: number;
  /** Directory source: where a namespace without a chain starts. */
  startAt: 'head' | bigint;
  advertisedLogDirectory: 'mirror' | 'proof_directory';
  /** A per-request query parameter on listings (the CDN caches negative listings). */
  proofDirectoryCacheBust: boolean;
  tokenSha256: Uint8Array;
  logKey?: Uint8Array;
  /** A log-stalled alert is raised after this long without a new epoch. */
  maxEpochIntervalSeconds?: number;
}

/** A namespace of a witness-only log format (tlog): the node cosigns its checkpoints, never signs epochs. */
export interface WitnessedNamespaceConfig {
  name: string;
  logFormat: string;
  formatSettings: FormatSettings;
}

export interface LivenessConfig {
  quorumTimeoutSeconds: number;
  auditorSilenceSeconds: number;
  checkIntervalSeconds: number;
}

export interface P2PConfig {
  listen: string[];
  announce: string[];
  /** The libp2p identity file: absolute, or relative to the data directory. */
  identityFile: string;
  maxFutureSkewMs: number;
  /** Anti-entropy: about this often, a sync with one random connected peer (besides on every (re)connection). */
  syncIntervalSeconds: number;
}

export interface NodeConfig {
  file: string;
  dataDir: string;
  /** Signing keys; the one with the latest `notBefore` not in the future signs. */
  keys: { file: string; notBefore: bigint }[];
  logLevel: RawConfig['log_level'];
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    publicUrl?: string;
    rateLimit: { max: number; windowSeconds: number };
    trustedProxies: string[];
  };
  /** The namespaces whose epochs the node signs (epoch-log formats: AKD). */
  namespaces: NamespaceConfig[];
  /** The namespaces of witness-only formats (tlog), in `namespaces:` of the file too; absent: none. */
  witnessedNamespaces?: WitnessedNamespaceConfig[];
  p2p?: P2PConfig;
  liveness: LivenessConfig;
  /** AKD validation: worker threads (default: cores) and how many verified proofs to keep. */
  validation: {
    workers?: number;
    proofRetentionEpochs: number;
    proofRetentionBytes: number;
    proofRetentionSeconds: number;
    /** Bytes of the budget shared by proof downloads and verifications (`memory_budget_mb`). */
    memoryBudgetBytes: number;
  };
  /** Following external Plexi auditors listed in the roster. */
  plexiFollow: { pollIntervalSeconds: number; maxEpochsPerPoll: number };
  /** SHA-256 of the operator's admin token (admin endpoints are off without it). */
  adminTokenSha256?: Uint8Array;
  /** When set, /admin/* and /metrics are served here only (not on `http`). */
  adminHttp?: { host: string; port: number };
  /** POST /views: body cap and per-client token bucket. */
  views: { bodyLimitBytes: number; rateLimit: { burst: number; perMinute: number } };
}

function resolvePath(base: string, p: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}

export function parseRoot(text: string): { epoch: bigint; digest: Uint8Array } {
  const [e, d] = text.split('/') as [string, string];
  return { epoch: BigInt(e), digest: fromHex(d, 32, 'root digest') };
}

/** Validate an already-parsed config document; `file` anchors relative paths. */
export function configFromObject(doc: unknown, file: string, formats: FormatRegistry = defaultFormats): NodeConfig {
  const parsed = configSchemaOf(formats).safeParse(doc ?? {});
  if (!parsed.success) {
    const [issue, ...rest] = parsed.error.issues as [z.core.$ZodIssue, ...z.core.$ZodIssue[]];
    // Every problem, one per line, so one run of `chorus config check` shows them all.
    const more = rest.map((i) => `\n  ${i.path.join('.') || '(top level)'}: ${i.message}`).join('');
    throw new ConfigError(issue.path.join('.'), `${issue.message}${more}`);
  }
  const c = parsed.data;
  const base = dirname(resolve(file));
  const dataDir = resolvePath(base, c.data_dir);
  const http: NodeConfig['http'] = {
    host: c.http.host,
    port: c.http.port,
    bodyLimitBytes: c.http.body_limit_bytes,
    rateLimit: { max: c.http.rate_limit.max, windowSeconds: c.http.rate_limit.window_seconds },
    trustedProxies: c.http.trusted_proxies,
  };
  if (c.http.public_url) http.publicUrl = c.http.public_url.replace(/\/+$/, '');
  return {
    file: resolve(file),
    dataDir,
    keys: c.keys.map((k) => ({ file: resolvePath(dataDir, k.file), notBefore: k.not_before })),
    logLevel: c.log_level,
    http,
    namespaces: c.namespaces.flatMap((ns) => {
      const format = formats.get(ns.log_format);
      if (!signsEpochs(format)) return [];
      const settingsShape = format.settings.shape;
      const formatSettings = Object.fromEntries(Object.keys(settingsShape).map((k) => [k, ns[k]]));
      const akd = ns.log_format === DEFAULT_LOG_FORMAT;
      const out: NamespaceConfig = {
        name: ns.name,
        status: ns.status,
        logFormat: ns.log_format,
        formatSettings,
        configuration: akd && ns.configuration === 'experimental' ? 'experimental' : 'whatsapp_v1',
        source: ns.source,
        pollIntervalSeconds: ns.poll_interval_seconds,
        startAt: ns.start_at,
        advertisedLogDirectory: ns.advertised_log_directory,
        proofDirectoryCacheBust: ns.proof_directory_cache_bust,
        tokenSha256: fromHex(ns.token_sha256, 32),
      };
      if (ns.root) out.root = parseRoot(ns.root);
      if (akd && typeof ns.domain_label === 'string') out.domainLabel = ns.domain_label;
      if (ns.log_key) out.logKey = fromHex(ns.log_key, 32);
      if (ns.max_epoch_interval_seconds) out.maxEpochIntervalSeconds = ns.max_epoch_interval_seconds;
      if (ns.proof_directory) out.proofDirectory = ns.proof_directory;
      if (ns.proof_directory_format) out.proofDirectoryFormat = ns.proof_directory_format;
      return [out];
    }),
    ...witnessedNamespacesOf(c.namespaces, formats),
    liveness: {
      quorumTimeoutSeconds: c.liveness.quorum_timeout_seconds,
      auditorSilenceSeconds: c.liveness.auditor_silence_seconds,
      checkIntervalSeconds: c.liveness.check_interval_seconds,
    },
    validation: {
      ...(c.validation.workers ? { workers: c.validation.workers } : {}),
      proofRetentionEpochs: c.validation.proof_retention_epochs,
      proofRetentionBytes: c.validation.proof_retention_bytes,
      proofRetentionSeconds: c.validation.proof_retention_seconds,
      memoryBudgetBytes: c.validation.memory_budget_mb * 2 ** 20,
    },
    plexiFollow: {
      pollIntervalSeconds: c.plexi_follow.poll_interval_seconds,
      maxEpochsPerPoll: c.plexi_follow.max_epochs_per_poll,
    },
    ...(c.admin ? { adminTokenSha256: fromHex(c.admin.token_sha256, 32) } : {}),
    ...(c.admin_http ? { adminHttp: { host: c.admin_http.host, port: c.admin_http.port } } : {}),
    views: {
      bodyLimitBytes: c.views.body_limit_bytes,
      rateLimit: { burst: c.views.rate_limit.burst, perMinute: c.views.rate_limit.per_minute },
    },
    ...(c.p2p
      ? {
          p2p: {
            listen: c.p2p.listen,
            announce: c.p2p.announce,
            identityFile: c.p2p.identity_file,
            maxFutureSkewMs: c.p2p.max_future_skew_ms,
            syncIntervalSeconds: c.p2p.sync_interval_seconds,
          },
        }
      : {}),
  };
}

/** The witness-only namespaces, as `{witnessedNamespaces}` when there are any (configs without them are unchanged). */
function witnessedNamespacesOf(
  namespaces: readonly ParsedNamespace[],
  formats: FormatRegistry,
): { witnessedNamespaces?: WitnessedNamespaceConfig[] } {
  const out = namespaces.flatMap((ns) => {
    const format = formats.get(ns.log_format);
    if (signsEpochs(format)) return [];
    const formatSettings = Object.fromEntries(Object.keys(format.settings.shape).map((k) => [k, ns[k]]));
    return [{ name: ns.name, logFormat: ns.log_format, formatSettings }];
  });
  return out.length ? { witnessedNamespaces: out } : {};
}

export function loadConfig(file: string, formats: FormatRegistry = defaultFormats): NodeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  return parseConfigText(text, file, formats);
}

/** Parses and validates a config file's text (`chorus config check`, loadConfig); `file` anchors relative paths. */
export function parseConfigText(text: string, file: string, formats: FormatRegistry = defaultFormats): NodeConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { intAsBigInt: true, uniqueKeys: true });
  } catch (err) {
    // The yaml library's message spans lines (position and a caret under the excerpt): keep it whole.
    throw new ConfigError('', `config file ${file} is not valid YAML: ${(err as Error).message}`);
  }
  // An empty file (or only comments) is a mistake, never "all defaults": refuse it.
  if (doc === null || doc === undefined)
    throw new ConfigError('', `config file ${file} is empty: write one with chorus init`);
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError('', `config file ${file} must be a YAML mapping (key: value lines)`);
  return configFromObject(doc, file, formats);
}
