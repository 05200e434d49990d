import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail } from '../output.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  program
    .command('init')
    .description('create a signing key and a commented example config in a data directory')
    .requiredOption('--data-dir <dir>', "the node's data directory (created if absent)")
    .option('--namespace <name>', 'a namespace to audit (repeatable); it starts in Initialization', collect, [])
    .option('--http-port <port>', 'HTTP port', '8080')
    .option('--http-host <address>', 'HTTP listen address (loopback unless you open it up)', '127.0.0.1')
    .option('--public-url <url>', 'how clients reach this node (named as log_directory for mirrored proofs)')
    .option('--p2p-port <port>', 'libp2p listen port (adds the p2p section and a persistent peer id)')
    .option('--p2p-host <address>', 'libp2p listen address', '127.0.0.1')
    .option('--p2p-announce <multiaddr>', 'public multiaddr to announce (repeatable)', collect, [])
    .option(
      '--source <source>',
      'how epochs arrive: push (the log POSTs them) or directory (poll --proof-directory)',
      'push',
    )
    .option(
      '--proof-directory <url>',
      "the log's proof directory: S3 ListObjectsV2 endpoint, plain HTTP base, or file:// folder",
    )
    .option('--configuration <name>', 'AKD configuration: whatsapp_v1 | experimental', 'whatsapp_v1')
    .option('--domain-label <label>', "the experimental configuration's domain label")
    .option('--poll-interval <seconds>', 'directory source: seconds between polls', '30')
    .option(
      '--root <epoch/digest>',
      "the namespace's root EPOCH/HEX_DIGEST (default: the first epoch received or listed)",
    )
    .option('--json', 'print {"public_key","config","tokens"} as JSON')
    .action(
      async (opts: {
        dataDir: string;
        namespace: string[];
        httpPort: string;
        httpHost: string;
        publicUrl?: string;
        p2pPort?: string;
        p2pHost: string;
        p2pAnnounce: string[];
        source: string;
        proofDirectory?: string;
        configuration: string;
        domainLabel?: string;
        pollInterval: string;
        root?: string;
        json?: boolean;
      }) => {
        const { initDataDir } = await import('../../operator/init.js');
        const { NAMESPACE_NAME_RE } = await import('../../config/config.js');
        const port = Number(opts.httpPort);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          fail(EXIT_BAD_INPUT, `--http-port must be 0-65535, got ${opts.httpPort}`);
        for (const ns of opts.namespace) {
          if (!NAMESPACE_NAME_RE.test(ns))
            fail(EXIT_BAD_INPUT, `--namespace "${ns}": letters, digits, ".", "_" and "-" only`);
        }
        let p2pPort: number | undefined;
        if (opts.p2pPort !== undefined) {
          p2pPort = Number(opts.p2pPort);
          if (!Number.isInteger(p2pPort) || p2pPort < 0 || p2pPort > 65535)
            fail(EXIT_BAD_INPUT, `--p2p-port must be 0-65535, got ${opts.p2pPort}`);
        }
        if (opts.source !== 'push' && opts.source !== 'directory')
          fail(EXIT_BAD_INPUT, '--source must be push or directory');
        if (opts.source === 'directory' && !opts.proofDirectory)
          fail(EXIT_BAD_INPUT, '--source directory needs --proof-directory URL');
        if (opts.proofDirectory && !/^(https?|file):\/\//.test(opts.proofDirectory))
          fail(EXIT_BAD_INPUT, '--proof-directory must be an http(s):// or file:// URL');
        if (opts.configuration !== 'whatsapp_v1' && opts.configuration !== 'experimental')
          fail(EXIT_BAD_INPUT, '--configuration must be whatsapp_v1 or experimental');
        if (opts.configuration === 'experimental' && !opts.domainLabel)
          fail(EXIT_BAD_INPUT, '--configuration experimental needs --domain-label');
        const poll = Number(opts.pollInterval);
        if (!Number.isInteger(poll) || poll < 1)
          fail(EXIT_BAD_INPUT, '--poll-interval must be a positive number of seconds');
        if (opts.publicUrl && !/^https?:\/\/[^/]+/.test(opts.publicUrl))
          fail(EXIT_BAD_INPUT, '--public-url must be an http(s) URL');
        if (opts.root && !/^(0|[1-9][0-9]{0,19})\/[0-9a-fA-F]{64}$/.test(opts.root))
          fail(EXIT_BAD_INPUT, '--root must be EPOCH/HEX_DIGEST (32-byte digest)');
        const namespaceSettings = {
          source: opts.source as 'push' | 'directory',
          configuration: opts.configuration as 'whatsapp_v1' | 'experimental',
          pollIntervalSeconds: poll,
          ...(opts.proofDirectory ? { proofDirectory: opts.proofDirectory } : {}),
          ...(opts.domainLabel ? { domainLabel: opts.domainLabel } : {}),
          ...(opts.root ? { root: opts.root, status: 'Online' as const } : {}),
        };
        let result;
        try {
          result = await initDataDir({
            dataDir: opts.dataDir,
            namespaces: opts.namespace,
            httpPort: port,
            httpHost: opts.httpHost,
            ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
            namespaceSettings,
            ...(p2pPort !== undefined ? { p2pPort, p2pHost: opts.p2pHost, p2pAnnounce: opts.p2pAnnounce } : {}),
          });
        } catch (err) {
          fail(EXIT_BAD_INPUT, `chorus init: ${(err as Error).message}`);
        }
        if (opts.json) {
          const out: Record<string, unknown> = {
            public_key: result.publicKey,
            config: result.config,
            tokens: result.tokens,
            admin_token: result.adminToken,
          };
          if (result.peerId) out.peer_id = result.peerId;
          process.stdout.write(`${JSON.stringify(out)}\n`);
          return;
        }
        process.stdout.write(
          `public key: ${result.publicKey}\nconfig:     ${result.config}\nkey file:   ${result.keyFile}\n`,
        );
        if (result.peerId) process.stdout.write(`peer id:    ${result.peerId}\n`);
        for (const [ns, token] of Object.entries(result.tokens)) {
          process.stdout.write(`token for ${ns}: ${token}   (give it to the log; only its hash is stored)\n`);
        }
        process.stdout.write(`admin token: ${result.adminToken}   (for /admin endpoints; only its hash is stored)\n`);
        process.stdout.write(`start with: chorus start --config ${result.config}\n`);
      },
    );
}
