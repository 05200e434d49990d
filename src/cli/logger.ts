import { pino, type Logger } from 'pino';

/** One JSON line per event on stdout (pino), as operators' log shippers expect. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'chorus' }, timestamp: pino.stdTimeFunctions.isoTime });
}
