// `npm run bench [-- NAME…]`: runs the named benchmarks (all when none), each printing JSON lines.
import '../src/util/polyfills.js';

type Bench = { run(args: string[]): Promise<void> };
const benches: Record<string, () => Promise<Bench>> = {};

export function registerBench(name: string, load: () => Promise<Bench>): void {
  benches[name] = load;
}

const known: Record<string, () => Promise<Bench>> = {
  ...benches,
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
