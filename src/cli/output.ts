// Exit codes and output shared by every command, as scripts expect them (README "CLI"):
// 0 success/valid, 1 invalid (a verdict), 2 bad input or usage (never 1). Verdicts and results go
// to stdout (JSON with --json); errors to stderr, whole (a YAML error's excerpt spans lines).
import { stringifyJson } from '../util/json.js';

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_BAD_INPUT = 2;

export function fail(code: number, message: string): never {
  process.stderr.write(`${message.trimEnd()}\n`);
  process.exit(code);
}

/**
 * Prints a verdict on stdout and exits 0 (valid) or 1 (invalid). With `json`, one JSON object
 * `{"valid": …, "message": …, …details}`; otherwise `valid: message` / `invalid: message`.
 */
export function verdict(
  valid: boolean,
  message: string,
  opts: { json?: boolean | undefined; details?: Record<string, unknown> } = {},
): never {
  if (opts.json) process.stdout.write(`${stringifyJson({ valid, message, ...opts.details })}\n`);
  else process.stdout.write(`${valid ? 'valid' : 'invalid'}: ${message}\n`);
  process.exit(valid ? EXIT_OK : EXIT_INVALID);
}

/** Reads standard input whole, refusing more than `limitBytes`. */
export async function readStdinBytes(limitBytes = 1 << 20): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > limitBytes) throw new Error(`standard input is larger than ${limitBytes} bytes`);
    chunks.push(b);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export async function readStdin(limitBytes = 1 << 20): Promise<string> {
  return Buffer.from(await readStdinBytes(limitBytes)).toString('utf8');
}
