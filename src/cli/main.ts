import '../util/polyfills.js';
import { Command } from 'commander';

// Commands register themselves lazily: heavy modules (libp2p, fastify, level) load only when the
// command that needs them runs, so `chorus --help` starts fast.
const program = new Command();
program.name('chorus').description('Chorus: audit Key Transparency logs together with other organisations');

await program.parseAsync(process.argv);
