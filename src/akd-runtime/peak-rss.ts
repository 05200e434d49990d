// Peak resident set size of this process, for `chorus akd verify --json` and the benchmark.
import { readFileSync } from 'node:fs';

/**
 * Peak RSS in MB. On Linux, VmHWM from /proc/self/status: getrusage's maxrss survives exec, so a
 * process spawned by a big parent would report the parent's peak.
 */
export function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m?.[1] !== undefined) return Number(m[1]) / 1024;
  } catch (err) {
    // Not Linux (no /proc): fall through to getrusage.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return process.resourceUsage().maxRSS / 1024;
}
