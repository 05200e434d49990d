import type { Command } from 'commander';
import type { DemoLogFlags } from '../../demo/run-demo-log.js';
import { EXIT_BAD_INPUT, fail } from '../output.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'run a demo network on this machine: a demo log publishing real AKD epochs and N auditor nodes (separate ' +
        'processes); Ctrl-C stops, a second run resumes',
    )
    .option('--nodes <n>', 'auditor nodes', '3')
    .option('--equivocate-at <epoch>', 'make the log show a split view from this epoch on')
    .option('--epoch-interval <seconds>', 'seconds between epochs', '3')
    .option('--data-dir <dir>', 'where the demo keeps its nodes, roster and log', '.chorus-demo')
    .option('--base-port <port>', 'demo log on this port, node i on port+i (HTTP) and port+100+i (libp2p)', '7100')
    .action(
      async (opts: {
        nodes: string;
        equivocateAt?: string;
        epochInterval: string;
        dataDir: string;
        basePort: string;
      }) => {
        const { runDemo } = await import('../../demo/orchestrator.js');
        const nodes = Number(opts.nodes);
        const basePort = Number(opts.basePort);
        const interval = Number(opts.epochInterval);
        if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50) fail(EXIT_BAD_INPUT, '--nodes must be 1-50');
        if (!Number.isInteger(basePort) || basePort < 1024 || basePort > 65_000 - 200)
          fail(EXIT_BAD_INPUT, '--base-port must leave room for 200 ports below 65535');
        if (!(interval > 0)) fail(EXIT_BAD_INPUT, '--epoch-interval must be a positive number of seconds');
        if (opts.equivocateAt !== undefined && !/^[1-9][0-9]{0,18}$/.test(opts.equivocateAt))
          fail(EXIT_BAD_INPUT, '--equivocate-at must be an epoch ≥ 1');
        const tty = process.stdout.isTTY === true;
        try {
          await runDemo({
            nodes,
            basePort,
            epochIntervalSeconds: interval,
            dataDir: opts.dataDir,
            ...(opts.equivocateAt ? { equivocateAt: BigInt(opts.equivocateAt) } : {}),
            out: (line) => process.stdout.write(`${tty ? '\r\x1b[K' : ''}${line}\n`),
            progress: (line, final) => {
              if (tty) process.stdout.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
              else process.stdout.write(`${line}\n`);
            },
          });
        } catch (err) {
          fail(EXIT_BAD_INPUT, `chorus demo: ${(err as Error).message}`);
        }
      },
    );

  program
    .command('demo-log')
    .description(
      'run the demo log: publish a synthetic AKD epoch with its proof every few seconds, serve the proofs S3-style ' +
        'and push each epoch to the nodes',
    )
    .requiredOption('--data-dir <dir>', 'where the log keeps its state and proofs')
    .requiredOption('--namespace <ns>', 'namespace the nodes audit')
    .option('--listen <host:port>', 'serve the proof directory (S3 ListObjectsV2 + GET) here', '127.0.0.1:9000')
    .option('--epoch-interval <seconds>', 'seconds between epochs', '3')
    .option('--inserts <n>', 'leaves inserted per epoch', '20')
    .option('--base <n>', 'leaves inserted by the first epoch', '200')
    .option('--targets <file>', 'JSON list of nodes to push to: [{"name","url","token"}]')
    .option('--equivocate-at <epoch>', 'show a split view from this epoch on')
    .option('--minority <k>', 'how many of the last targets see the other branch', '1')
    .action(async (opts: DemoLogFlags) => {
      const { runDemoLog } = await import('../../demo/run-demo-log.js');
      try {
        await runDemoLog(opts);
      } catch (err) {
        fail(EXIT_BAD_INPUT, `chorus demo-log: ${(err as Error).message}`);
      }
    });
}
