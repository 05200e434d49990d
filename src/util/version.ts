// The running Chorus version, read once from the package's package.json (next to dist/ in a
// checkout and in the image), for `chorus --version`, /info and the chorus_build_info metric.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function chorusVersion(): string {
  if (cached !== undefined) return cached;
  // src/util/version.ts runs as dist/src/util/version.js: the package root is three levels up.
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'chorus' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return (cached = 'unknown');
}
