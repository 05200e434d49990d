// Display formatting. u64 values arrive as bigint (util/json.ts) and stay exact on screen.

/** A millisecond timestamp as an ISO-like UTC string (exact digits shown if out of Date's range). */
export function formatTime(ms: bigint): string {
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) return `${ms} ms`;
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return `${ms} ms`;
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

export function isoTime(ms: bigint): string | undefined {
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function shortKey(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : hex;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
