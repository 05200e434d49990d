// Exit codes shared by every command: 0 success/valid, 1 invalid, 2 bad input or usage.
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_BAD_INPUT = 2;

export function fail(code: number, message: string): never {
  process.stderr.write(`${message.split('\n')[0]}\n`);
  process.exit(code);
}

export async function readStdin(limitBytes = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > limitBytes) throw new Error(`input larger than ${limitBytes} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
