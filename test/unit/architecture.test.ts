// The architecture (docs/architecture.md) cannot drift from its check: the document's table and
// docs/architecture.rules.json say the same, the rules point down the direction without cycles,
// every folder of src/ is a part, and the dependency-cruiser rules generated from the file do
// catch forbidden imports (type-only ones included) in a scratch tree.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type IForbiddenRuleType } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Part {
  mayImport: string[];
  typeOnly?: string[];
  never?: { parts: string[]; why: string };
  kind: 'pure' | 'browser' | 'any';
}
interface Rules {
  levels: string[][];
  ioBuiltins: string[];
  parts: Record<string, Part>;
  global: { name: string; from: string; fromNot?: string; to: string; why: string }[];
}
interface Config {
  forbidden: IForbiddenRuleType[];
  options: Record<string, unknown>;
}

const rules = JSON.parse(readFileSync(join(root, 'docs', 'architecture.rules.json'), 'utf8')) as Rules;
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as Config;

interface Row {
  name: string;
  mayImport: string[];
  typeOnly: string[];
  never: string[];
  kind: Part['kind'];
}

/** The rows of the "Parts" table: `| \`name\` | job | may import | never | why |`. */
function tableRows(): Row[] {
  const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const section = doc.split('\n## Parts\n')[1]?.split('\n## ')[0];
  if (section === undefined) throw new Error('docs/architecture.md has no "## Parts" section');
  const names = (cell: string) => [...cell.matchAll(/`([a-z0-9/-]+)`/g)].map((m) => m[1]!);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.split(' | ');
      expect(cells, line).toHaveLength(5);
      const [name, , may, never] = cells as [string, string, string, string];
      const typeOnly = [...may.matchAll(/`([a-z0-9/-]+)` \(types only\)/g)].map((m) => m[1]!);
      return {
        name: names(name)[0]!,
        mayImport: names(may).filter((n) => !typeOnly.includes(n)),
        typeOnly,
        never: names(never),
        kind: never.includes('(pure)') ? 'pure' : never.includes('(browser)') ? 'browser' : 'any',
      };
    });
}

const sorted = (list: readonly string[]) => [...list].sort();

describe('docs/architecture.md and docs/architecture.rules.json', () => {
  const rows = tableRows();

  it('name the same parts, in the order of the direction', () => {
    expect(rows.map((r) => r.name)).toEqual(Object.keys(rules.parts));
    expect(sorted(rules.levels.flat())).toEqual(sorted(Object.keys(rules.parts)));
  });

  it('give every part the same imports, hard rules and kind', () => {
    for (const row of rows) {
      const part = rules.parts[row.name]!;
      expect(sorted(row.mayImport), `${row.name}: may import`).toEqual(sorted(part.mayImport));
      expect(sorted(row.typeOnly), `${row.name}: types only`).toEqual(sorted(part.typeOnly ?? []));
      expect(sorted(row.never), `${row.name}: never`).toEqual(sorted(part.never?.parts ?? []));
      expect(row.kind, `${row.name}: kind`).toBe(part.kind);
    }
  });

  it('name every global rule of the file in the document', () => {
    const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
    for (const rule of rules.global) expect(doc, rule.name).toContain(`\`${rule.name}\``);
    expect(doc).toContain('`no-circular`');
  });

  it('cover every folder of src/ (a new folder must be placed in the architecture)', () => {
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    for (const folder of folders) expect(Object.keys(rules.parts), `src/${folder}`).toContain(folder);
  });
});

describe('the rules', () => {
  const level = new Map(rules.levels.flatMap((names, i) => names.map((name) => [name, i] as const)));
  const allowed = (name: string) => [...rules.parts[name]!.mayImport, ...(rules.parts[name]!.typeOnly ?? [])];

  it('only point down the direction, or to a peer that does not point back', () => {
    for (const name of Object.keys(rules.parts)) {
      for (const target of allowed(name)) {
        expect(level.has(target), `${name} → unknown part ${target}`).toBe(true);
        expect(level.get(target)! <= level.get(name)!, `${name} → ${target} points up`).toBe(true);
        if (level.get(target) === level.get(name)) expect(allowed(target), `${target} ↔ ${name}`).not.toContain(name);
      }
    }
  });

  it('have no cycle between parts', () => {
    const done = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      expect(path, `cycle ${[...path, name].join(' → ')}`).not.toContain(name);
      if (done.has(name)) return;
      for (const target of allowed(name)) visit(target, [...path, name]);
      done.add(name);
    };
    for (const name of Object.keys(rules.parts)) visit(name, []);
  });

  it('keep the hard rules of issue 13 §2', () => {
    const part = (name: string) => rules.parts[name]!;
    expect(part('p2p').mayImport).toEqual(['util']);
    expect(part('akd').kind).toBe('pure');
    for (const io of ['fs', 'worker_threads', 'os', 'child_process', 'net', 'http'])
      expect(rules.ioBuiltins).toContain(io);
    expect(part('store').never?.parts).toEqual(expect.arrayContaining(['akd', 'formats/akd']));
    expect(part('api').never?.parts).toEqual(expect.arrayContaining(['node', 'p2p', 'cli']));
    expect(part('monitor').never?.parts).toEqual(expect.arrayContaining(['node', 'services', 'store']));
    for (const [name, p] of Object.entries(rules.parts)) {
      for (const target of p.never?.parts ?? []) expect(p.mayImport, `${name} never ${target}`).not.toContain(target);
      if (name !== 'cli') expect(allowed(name), name).not.toContain('cli');
      if (name !== 'cli' && name !== 'demo') expect(allowed(name), name).not.toContain('demo');
    }
  });

  it('apply to src/ only, so test/ and bench/ may import anything', () => {
    for (const rule of config.forbidden) expect(String(rule.from.path), rule.name).toMatch(/^\^src\//);
  });
});

describe('the generated dependency-cruiser rules', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'chorus-architecture-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), text);
  };

  it('report each forbidden import under its rule, and nothing else', async () => {
    write('src/util/bytes.ts', 'export const one = 1;\n');
    write('src/node/errors.ts', 'export interface HttpErrorLike { status: number }\n');
    write('src/consensus/rules.ts', "import { one } from '../util/bytes.js';\nexport const two = one + 1;\n");
    write('src/consensus/facts.ts', 'export interface Facts { epoch: bigint }\n');
    write('src/p2p/host.ts', "import { one } from '../util/bytes.js';\nexport interface Host { id: number }\n");
    write('src/cli/main.ts', "import { one } from '../util/bytes.js';\nexport const main = one;\n");
    write('test/helper.ts', "import { main } from '../src/cli/main.js';\nexport const helper = main;\n");
    // Forbidden: a type-only import from node into api (a hard rule).
    write(
      'src/api/routes.ts',
      "import type { HttpErrorLike } from '../node/errors.js';\nexport type E = HttpErrorLike;\n",
    );
    // Forbidden: file I/O in the pure akd part.
    write('src/akd/reader.ts', "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
    // Forbidden: a value import from consensus into formats (types only); the type import is fine.
    write(
      'src/formats/registry.ts',
      "import { two } from '../consensus/rules.js';\nimport type { Facts } from '../consensus/facts.js';\n" +
        'export const f = (x: Facts) => [x, two];\n',
    );
    // Allowed: a type-only import of p2p from gossip.
    write('src/gossip/kinds.ts', "import type { Host } from '../p2p/host.js';\nexport type H = Host;\n");
    // Forbidden: the dashboard (browser code) imports a Node built-in; util imports cli; src imports test.
    write('src/api/dashboard/app.ts', "import { join } from 'node:path';\nexport const j = join;\n");
    write('src/util/upward.ts', "import { main } from '../cli/main.js';\nexport const u = main;\n");
    write('src/store/leak.ts', "import { helper } from '../../test/helper.js';\nexport const l = helper;\n");
    // Forbidden: a cycle.
    write('src/net/a.ts', "import { b } from './b.js';\nexport const a = (): number => b();\n");
    write('src/net/b.ts', "import { a } from './a.js';\nexport const b = (): number => a();\n");
    // Allowed: a cycle closed by a type-only import (erased at compile time).
    write('src/store/x.ts', "import { y } from './y.js';\nexport interface X { n: number }\nexport const x = y;\n");
    write('src/store/y.ts', "import type { X } from './x.js';\nexport const y = (v: X) => v.n;\n");

    const result = await cruise(
      ['src', 'test'],
      {
        ...config.options,
        ruleSet: { forbidden: config.forbidden },
        validate: true,
        outputType: 'json',
        baseDir: scratch,
      },
      { extensions: ['.ts', '.js'] },
    );
    const violations = (
      JSON.parse(String(result.output)) as {
        summary: { violations: { from: string; to: string; rule: { name: string } }[] };
      }
    ).summary.violations
      .map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)
      .sort();
    expect(violations).toEqual(
      [
        'part-api-never: src/api/routes.ts → src/node/errors.ts',
        'part-akd-pure: src/akd/reader.ts → fs',
        'part-formats-types-only-from-consensus: src/formats/registry.ts → src/consensus/rules.ts',
        'part-api-dashboard-browser: src/api/dashboard/app.ts → path',
        'part-util-imports-only-its-parts: src/util/upward.ts → src/cli/main.ts',
        'only-cli-imports-cli-or-demo: src/util/upward.ts → src/cli/main.ts',
        'src-never-imports-test-or-bench: src/store/leak.ts → test/helper.ts',
        'no-circular: src/net/a.ts → src/net/b.ts',
      ].sort(),
    );
  });
});
