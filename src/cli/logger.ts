// Logs: one JSON line per event on stdout (pino), as log shippers expect; on a terminal the same
// events as readable lines. Both carry the one time format of every Chorus log: ISO 8601 UTC.
import { pino, type DestinationStream, type Logger } from 'pino';
import { stringifyJson } from '../util/json.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN = new Set(['time', 'level', 'msg', 'service', 'pid', 'hostname']);

/** One JSON log line as a human reads it: `TIME LEVEL message key=value …`. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch (err) {
    return `${json.trimEnd()}  (unparsed: ${(err as Error).message})`;
  }
  const fields = Object.entries(o)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : stringifyJson(v)}`);
  const level = LEVEL_NAMES[o.level as number] ?? String(o.level);
  return `${String(o.time)} ${level.padEnd(5)} ${String(o.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}\n`;
}

function prettyStdout(): DestinationStream {
  return { write: (line: string) => void process.stdout.write(prettyLine(line)) };
}

/**
 * The node's logger. Level: `--log-level`, else CHORUS_LOG_LEVEL, else the config's log_level.
 * Readable lines when stdout is a terminal (`pretty`), JSON otherwise.
 */
export function createLogger(level: string, opts: { pretty?: boolean; service?: string } = {}): Logger {
  const options = { level, base: { service: opts.service ?? 'chorus' }, timestamp: pino.stdTimeFunctions.isoTime };
  return (opts.pretty ?? process.stdout.isTTY === true) ? pino(options, prettyStdout()) : pino(options);
}
