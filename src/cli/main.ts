import { Command, CommanderError } from 'commander';
import { chorusVersion } from '../util/version.js';
import { register as registerAkd } from './commands/akd.js';
import { register as registerInit } from './commands/init.js';
import { register as registerStart } from './commands/start.js';
import { register as registerVerifySignature } from './commands/verify-signature.js';
import { register as registerRoster } from './commands/roster.js';
import { register as registerVerify } from './commands/verify.js';
import { register as registerCosignatures } from './commands/cosignatures.js';
import { register as registerMonitor } from './commands/monitor.js';
import { register as registerAudit } from './commands/audit.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerHistory } from './commands/signing-history.js';
import { register as registerKey } from './commands/key.js';
import { register as registerRepair } from './commands/repair.js';
import { register as registerDirectory } from './commands/directory.js';
import { register as registerConfig } from './commands/config.js';
import { register as registerReportView } from './commands/report-view.js';
import { EXIT_BAD_INPUT } from './output.js';

// Each command module registers itself; heavy modules (libp2p, fastify, level) are imported
// inside the action handlers, so `chorus --help` starts fast.
const program = new Command();
program
  .name('chorus')
  .description('Chorus: audit Key Transparency logs together with other organisations')
  .version(chorusVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  // Usage errors exit 2, never 1 (1 is the "invalid" verdict): README "CLI". Set before the
  // commands are added, so that they inherit it.
  .exitOverride();

registerDemo(program);
registerInit(program);
registerStart(program);
registerVerifySignature(program);
registerAudit(program);
registerRoster(program);
registerCosignatures(program);
registerMonitor(program);
registerVerify(program);
registerHistory(program);
registerKey(program);
registerRepair(program);
registerAkd(program);
registerDirectory(program);
registerConfig(program);
registerReportView(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT_BAD_INPUT);
  // An unexpected failure inside a command: its message, not a stack trace (unless debugging).
  process.stderr.write(`chorus: ${(err as Error).message}\n`);
  if (process.env.CHORUS_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
  process.exit(EXIT_BAD_INPUT);
}
