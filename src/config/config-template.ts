// The commented example configuration `chorus init` writes.
import { DEFAULT_MAX_FUTURE_SKEW_MS } from '../consensus/observation-rules.js';
export interface TemplateNamespace {
  name: string;
  tokenSha256: string;
  status?: 'Initialization' | 'Online' | 'Disabled';
  root?: string;
  /** The log format (docs/log-formats.md); default akd. */
  logFormat?: string;
  configuration?: 'whatsapp_v1' | 'experimental';
  domainLabel?: string;
  /** The log's Ed25519 public key (hex): enables log-signed reports. */
  logKey?: string;
  source?: 'push' | 'directory';
  proofDirectory?: string;
  pollIntervalSeconds?: number;
}

export interface TemplateOptions {
  httpPort: number;
  httpHost?: string;
  publicUrl?: string;
  /** libp2p listen port; the p2p section is written only when given. */
  p2pPort?: number;
  p2pHost?: string;
  p2pAnnounce?: string[];
  keyFile: string;
  notBefore: bigint;
  namespaces: TemplateNamespace[];
  adminTokenSha256?: string;
}

function namespaceBlock(ns: TemplateNamespace): string {
  const lines = [
    `  - name: ${JSON.stringify(ns.name)}`,
    `    # Initialization: the first epoch the log submits becomes the root. Online needs a root.`,
    `    # Disabled: nothing is signed.`,
    `    status: ${ns.status ?? 'Initialization'}`,
    `    # root: "EPOCH/HEX_DIGEST"   # the trust anchor; it is signed when the node starts`,
  ];
  if (ns.root) lines.push(`    root: ${JSON.stringify(ns.root)}`);
  const format = ns.logFormat ?? 'akd';
  lines.push(`    log_format: ${format}   # how the log's proofs are named and verified (docs/log-formats.md): akd`);
  if (format === 'akd') {
    const configuration = ns.configuration ?? 'whatsapp_v1';
    lines.push(`    configuration: ${configuration}   # AKD configuration: whatsapp_v1 | experimental`);
    if (ns.domainLabel) lines.push(`    domain_label: ${JSON.stringify(ns.domainLabel)}`);
  }
  lines.push(
    ns.source === 'directory'
      ? `    source: directory   # poll the proof directory; validate each epoch, then sign it`
      : `    source: push   # the log POSTs each epoch to /namespaces/{name}/audits`,
    `    # Where the log publishes its append-only proofs: an S3 ListObjectsV2 endpoint (WhatsApp's`,
    `    # form), a plain HTTP base URL (proof_directory_format: http) or a file:// folder. With it,`,
    `    # every signed epoch is validated and the proofs are mirrored on this node.`,
    ns.proofDirectory
      ? `    proof_directory: ${JSON.stringify(ns.proofDirectory)}`
      : `    # proof_directory: "https://…"`,
    `    poll_interval_seconds: ${ns.pollIntervalSeconds ?? 30}   # directory source: how often to look for new blobs`,
    `    # start_at: head   # directory source, new namespace: the directory's head, or an epoch (1: from genesis)`,
    `    # advertised_log_directory: mirror   # log_directory in NamespaceInfo: this node (mirror) or proof_directory`,
    `    # max_epoch_interval_seconds: 600   # raise log-stalled after this long without an epoch`,
    `    # log_key: HEX   # the log's Ed25519 public key: accept log-signed reports at /namespaces/{name}/reports`,
    ...(ns.logKey ? [`    log_key: ${ns.logKey}`] : []),
    `    # SHA-256 of the bearer token the log presents (the token itself is never stored).`,
    `    token_sha256: ${ns.tokenSha256}`,
  );
  return lines.join('\n');
}

export function renderConfig(o: TemplateOptions): string {
  return [
    "# Chorus node configuration (YAML). Relative paths resolve against this file's folder.",
    '# Validate and run with: chorus start --config <this file>',
    '',
    '# Where the LevelDB database ("db/") lives. Back this folder up: it holds every signature.',
    'data_dir: .',
    '',
    '# Ed25519 signing keys (PKCS#8 PEM, mode 0600). During a rotation list both; the key with the',
    '# latest not_before (ms since the Unix epoch) that is not in the future signs.',
    'keys:',
    `  - file: ${JSON.stringify(o.keyFile)}`,
    `    not_before: ${o.notBefore}`,
    '',
    '# fatal | error | warn | info | debug | trace | silent',
    'log_level: info',
    '',
    'http:',
    `  host: ${o.httpHost ?? '127.0.0.1'}        # listen address; 0.0.0.0 to serve other hosts`,
    `  port: ${o.httpPort}`,
    '  body_limit_bytes: 16384',
    '  rate_limit: { max: 6000, window_seconds: 60 }   # per client, on submissions, reports and /admin',
    '  trusted_proxies: []   # reverse proxies (IPs/CIDRs) whose X-Forwarded-For names the client',
    o.publicUrl
      ? `  public_url: ${JSON.stringify(o.publicUrl)}   # how clients reach this node`
      : '  # public_url: https://auditor.example.org   # how clients reach this node',
    '',
    '# POST /views (signed views from anyone): its own body cap and per-client token bucket.',
    'views:',
    '  body_limit_bytes: 65536',
    '  rate_limit: { burst: 30, per_minute: 30 }',
    '',
    ...(o.p2pPort !== undefined
      ? [
          "# libp2p (gossip with the other organisations' nodes; used with `chorus start --roster`).",
          'p2p:',
          `  listen: [${JSON.stringify(`/ip4/${o.p2pHost ?? '127.0.0.1'}/tcp/${o.p2pPort}`)}]`,
          `  announce: ${JSON.stringify(o.p2pAnnounce ?? [])}   # public multiaddrs, e.g. ` +
            `"/dns4/node.example.org/tcp/4001"`,
          '  identity_file: p2p-identity.key   # the persistent peer id (in data_dir)',
          `  max_future_skew_ms: ${DEFAULT_MAX_FUTURE_SKEW_MS}         ` +
            '# observations timestamped further ahead are rejected',
          '  sync_interval_seconds: 60          # anti-entropy: a sync with one random peer about this often',
          '',
        ]
      : []),
    ...(o.adminTokenSha256
      ? [
          '# Operator endpoints under /admin (resume signing after a doppelgänger halt, block a peer).',
          '# SHA-256 of the admin bearer token printed by chorus init.',
          'admin:',
          `  token_sha256: ${o.adminTokenSha256}`,
          '',
        ]
      : []),
    '# The logs this node audits.',
    o.namespaces.length ? 'namespaces:' : 'namespaces: []',
    ...o.namespaces.map(namespaceBlock),
    '',
  ].join('\n');
}
