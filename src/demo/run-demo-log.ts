// `chorus demo-log`: validates its flags, serves the proof directory, and publishes and pushes
// one epoch per interval until stopped.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { z } from 'zod';
import { DemoLog, type DemoTarget } from './demo-log.js';
import { startS3StandIn } from './s3-server.js';
import { describeZodError } from '../util/schema.js';

const targetsSchema = z.array(z.object({ name: z.string().min(1), url: z.url(), token: z.string().min(1) }));

/** The `chorus demo-log` flags, as commander hands them over (strings, checked here). */
export interface DemoLogFlags {
  dataDir: string;
  namespace: string;
  listen: string;
  epochInterval: string;
  inserts: string;
  base: string;
  targets?: string;
  equivocateAt?: string;
  minority: string;
}

export async function runDemoLog(opts: DemoLogFlags): Promise<void> {
  const m = /^(.+):(\d{1,5})$/.exec(opts.listen);
  if (!m) throw new Error('--listen must be HOST:PORT');
  const inserts = Number(opts.inserts);
  const base = Number(opts.base);
  const interval = Number(opts.epochInterval);
  const minority = Number(opts.minority);
  if (!Number.isInteger(inserts) || inserts < 1 || !Number.isInteger(base) || base < 1)
    throw new Error('--inserts and --base must be positive integers');
  if (!(interval > 0)) throw new Error('--epoch-interval must be positive');
  if (opts.equivocateAt !== undefined && !/^[1-9][0-9]{0,18}$/.test(opts.equivocateAt))
    throw new Error('--equivocate-at must be an epoch ≥ 1');
  let targets: DemoTarget[] = [];
  if (opts.targets) {
    const parsed = targetsSchema.safeParse(JSON.parse(readFileSync(opts.targets, 'utf8')));
    if (!parsed.success) throw new Error(`--targets: ${describeZodError(parsed.error)}`);
    targets = parsed.data.map((t) => ({ ...t, url: t.url.replace(/\/+$/, '') }));
  }
  if (!Number.isInteger(minority) || minority < 0 || minority > targets.length)
    throw new Error('--minority must be between 0 and the number of targets');
  const logger = pino({ base: { service: 'chorus-demo-log' }, timestamp: pino.stdTimeFunctions.isoTime });
  const log = new DemoLog({
    dataDir: opts.dataDir,
    namespace: opts.namespace,
    inserts,
    base,
    targets,
    minority,
    logger,
    ...(opts.equivocateAt ? { equivocateAt: BigInt(opts.equivocateAt) } : {}),
  });
  const server = await startS3StandIn(log.proofDir, { host: m[1] as string, port: Number(m[2]) });
  logger.info(
    { event: 'listening', url: server.url, published: log.published, targets: targets.map((t) => t.name) },
    'demo log serving its proof directory',
  );
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await log.pushAll(); // catch up targets first (a restart, a node that was down)
      await log.publishNext();
      await log.pushAll();
    } catch (err) {
      logger.error({ event: 'tick-failed', err }, 'publishing failed');
    } finally {
      busy = false;
    }
  };
  await tick();
  const timer = setInterval(() => void tick(), interval * 1000);
  await new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(timer);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  logger.info({ event: 'stopped', published: log.published }, 'demo log stopped');
}
