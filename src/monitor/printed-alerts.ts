// What a monitor has already reported, kept across restarts in its --data-dir: one SHA-256 (hex)
// of each alert's dedup key per line, appended and fsynced before the next alert is handled. A
// restarted monitor re-syncs every past proof from its peers and must not report them again.
// A line torn by a crash (or any line that is not a hash) is skipped with a warning: at worst
// that one alert is reported twice, never lost.
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../util/bytes.js';

export const PRINTED_ALERTS_FILE = 'printed-alerts';

export class PrintedAlerts {
  readonly #seen = new Set<string>();
  readonly #file: string | undefined;
  /** Lines of the file that were not hashes (a torn last line after a crash). */
  readonly skipped: number = 0;

  /** Without a directory the set lives in memory only (a monitor without --data-dir). */
  constructor(dir?: string) {
    if (dir === undefined) return;
    this.#file = join(dir, PRINTED_ALERTS_FILE);
    if (!existsSync(this.#file)) return;
    const text = readFileSync(this.#file, 'utf8');
    // A torn last line gets its newline, so the next hash starts a line of its own.
    if (text.length > 0 && !text.endsWith('\n')) appendFileSync(this.#file, '\n');
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (/^[0-9a-f]{64}$/.test(line)) this.#seen.add(line);
      else if (line !== '') skipped++;
    }
    this.skipped = skipped;
  }

  static hash(key: string): string {
    return toHex(sha256(new TextEncoder().encode(key)));
  }

  has(key: string): boolean {
    return this.#seen.has(PrintedAlerts.hash(key));
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Records a reported alert durably (before returning). */
  add(key: string): void {
    const h = PrintedAlerts.hash(key);
    if (this.#seen.has(h)) return;
    this.#seen.add(h);
    if (!this.#file) return;
    const fd = openSync(this.#file, 'a', 0o600);
    try {
      appendFileSync(fd, `${h}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
