// `npm run bench [-- NAME… [--flags]]`: runs the named benchmarks (all when none); each prints
// JSON lines on stdout.

interface Bench {
  run(flags: string[]): Promise<void>;
}

// One entry per benchmark module in bench/.
const known: Record<string, () => Promise<Bench>> = {
  akd: () => import('./akd.js'),
  gossip: () => import('./gossip.js'),
  signing: () => import('./signing.js'),
  realtime: () => import('./realtime.js'),
  history: () => import('./history.js'),
  'node-memory': () => import('./node-memory.js'),
  witness: () => import('./witness.js'),
};

const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const selected = names.length ? names : Object.keys(known);
for (const name of selected) {
  const load = known[name];
  if (!load) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(known).join(', ') || '(none yet)'}`);
    process.exit(2);
  }
  const bench = await load();
  await bench.run(flags);
}
