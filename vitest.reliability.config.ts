// The reliability suite (issue 7 item 4): `npm run test:reliability`. Its files end in
// `.reliability.ts`, so the normal `npm test` (test/**/*.test.ts) does not run them. The parts
// run one after another: each uses real node processes and wants the machine to itself (the
// crash part's kill timing, the load part's memory readings).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.reliability.ts'],
    globalSetup: ['./test/reliability/global-setup.ts'],
    setupFiles: ['./test/reliability/record-failures.ts'],
    pool: 'forks',
    fileParallelism: false,
    // Each part bounds its own work (counts and durations); these only catch a hang. In full mode
    // (RELIABILITY_MODE=full) the crash and partitions parts set longer ones of their own
    // (`partTimeout` in test/reliability/support.ts); the others fit this one.
    testTimeout: 1_200_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
