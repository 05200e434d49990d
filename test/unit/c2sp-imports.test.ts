// src/c2sp is a pure part below everything but util and crypto (docs/c2sp.md): check its imports.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '../../src/c2sp');

describe('src/c2sp imports', () => {
  it('imports only itself, src/util, src/crypto and node:crypto', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const file of files) {
      const source = readFileSync(join(DIR, file), 'utf8');
      const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map((m) => m[1]);
      expect(specifiers.length, file).toBeGreaterThan(0);
      for (const s of specifiers) {
        const allowed =
          /^\.\/[a-z0-9-]+\.js$/.test(s ?? '') ||
          /^\.\.\/(util|crypto)\/[a-z0-9-]+\.js$/.test(s ?? '') ||
          s === 'node:crypto';
        expect(allowed, `${file} imports ${s}`).toBe(true);
      }
    }
  });
});
