// Setup file of the reliability suite: a part whose test fails for a reason its own invariants do
// not count (a time limit, a wait that gave up, a thrown error) is recorded as failed, so the
// summary can never read "violations: 0" over a red part.
import { basename } from 'node:path';
import { beforeEach } from 'vitest';
import { writePartFailure } from './support.js';

beforeEach(({ task, onTestFailed }) => {
  const part = basename(task.file.name).replace(/\.reliability\.ts$/, '');
  onTestFailed(({ task: failed }) => {
    const errors = failed.result?.errors ?? [];
    writePartFailure(
      part,
      errors.map((e) => String(e.message ?? e).slice(0, 500)),
    );
  });
});
