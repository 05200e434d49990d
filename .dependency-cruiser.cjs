// The architecture check of `npm run lint` (docs/architecture.md). Every rule is generated from
// docs/architecture.rules.json, the one place the parts and their allowed imports are written;
// test/unit/architecture.test.ts checks that the document's table says the same. Type-only imports
// count (tsPreCompilationDeps): a type import from a forbidden part is still a dependency on it.
// Known violations, being removed, are in .dependency-cruiser-known-violations.json (--ignore-known).
const rules = require('./docs/architecture.rules.json');

/** `^src/(a|b)/` for part folders (regex-escaped: part names hold only [a-z0-9/-]). */
const folders = (parts) => `^src/(${parts.join('|')})/`;

function partRules(name, part) {
  const from = { path: `^src/${name}/` };
  const generated = [];
  const never = part.never ? part.never.parts : [];
  const typeOnly = part.typeOnly ?? [];
  const allowed = [...part.mayImport, ...typeOnly.map((t) => `${t} (types)`)].join(', ') || 'nothing in src';
  generated.push({
    name: `part-${name}-imports-only-its-parts`.replace(/\//g, '-'),
    comment: `${name} may import only: ${allowed}`,
    severity: 'error',
    from,
    to: { path: '^src/', pathNot: folders([name, ...part.mayImport, ...typeOnly, ...never]) },
  });
  if (never.length > 0) {
    generated.push({
      name: `part-${name}-never`.replace(/\//g, '-'),
      comment: `${name} never imports ${never.join(', ')}: ${part.never.why}`,
      severity: 'error',
      from,
      to: { path: folders(never) },
    });
  }
  for (const target of typeOnly) {
    generated.push({
      name: `part-${name}-types-only-from-${target}`.replace(/\//g, '-'),
      comment: `${name} may import only types from ${target}`,
      severity: 'error',
      from,
      to: { path: `^src/${target}/`, dependencyTypesNot: ['type-only'] },
    });
  }
  if (part.kind === 'pure') {
    generated.push({
      name: `part-${name}-pure`.replace(/\//g, '-'),
      comment: `${name} is pure: no file, process, worker or network I/O (${rules.ioBuiltins.join(', ')})`,
      severity: 'error',
      from,
      to: { dependencyTypes: ['core'], path: `^(node:)?(${rules.ioBuiltins.join('|')})$` },
    });
  }
  if (part.kind === 'browser') {
    generated.push({
      name: `part-${name}-browser`.replace(/\//g, '-'),
      comment: `${name} runs in the browser: no Node.js built-in module at all`,
      severity: 'error',
      from,
      to: { dependencyTypes: ['core'] },
    });
  }
  return generated;
}

const forbidden = [
  ...Object.entries(rules.parts).flatMap(([name, part]) => partRules(name, part)),
  ...rules.global.map((rule) => ({
    name: rule.name,
    comment: rule.why,
    severity: 'error',
    from: rule.fromNot ? { path: rule.from, pathNot: rule.fromNot } : { path: rule.from },
    to: { path: rule.to },
  })),
  {
    // A cycle closed by an `import type` is erased by the compiler: no load-order hazard at run time.
    // Cycles between parts cannot pass the rules above at all (the allowances form no cycle).
    name: 'no-circular',
    comment: 'no import cycles (docs/architecture.md, "Parts"): a cycle makes two modules one',
    severity: 'error',
    from: { path: '^src/' },
    to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
  },
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      exportsFields: ['exports'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
