// Helper thread of parallel-verify.ts: its share of phase A, then the start tree's root.
import { parentPort } from 'node:worker_threads';
import { resolveConfiguration } from '../akd/configuration.js';
import { CTRL_DONE, CTRL_PHASE_A, type HashJob } from '../akd/hash-split.js';
import type { ProofElements } from '../akd/proof-codec.js';
import { WhatsAppTrieHasher } from '../akd/trie-hash.js';

const hasher = new WhatsAppTrieHasher(resolveConfiguration('whatsapp_v1'));
/** Longest wait for the other thread (it only hashes: seconds at most). */
const WAIT_MS = 120_000;

function run(job: HashJob): void {
  const elements: ProofElements = {
    count: job.count,
    unchangedCount: job.unchangedCount,
    insertedCount: job.count - job.unchangedCount,
    labels: job.labels,
    lens: job.lens,
    values: job.values,
  };
  const input = {
    elements,
    labelWords: new Uint32Array(job.labels.buffer, job.labels.byteOffset, job.count * 8),
    valueWords: new Uint32Array(job.values.buffer, job.values.byteOffset, job.count * 8),
    endEpoch: job.endEpoch,
    order: job.order,
    lcps: job.lcps,
  };
  hasher.attach(input, job.leafC, job.interiorLabelHash);
  hasher.prepareLeaves(input, 0, job.split.leaves);
  hasher.prepareInteriors(input, 0, job.split.pairs);
  Atomics.add(job.control, CTRL_PHASE_A, 1);
  Atomics.notify(job.control, CTRL_PHASE_A);
  while (Atomics.load(job.control, CTRL_PHASE_A) < 2) {
    if (Atomics.wait(job.control, CTRL_PHASE_A, 1, WAIT_MS) === 'timed-out')
      throw new Error('main thread did not finish phase A');
  }
  const root = hasher.root(job.startSeq, job.unchangedCount, job.startLcps, job.startPairs);
  job.startRoot.set(new Uint32Array(root.buffer, root.byteOffset, 8));
}

const port = parentPort;
if (port === null) throw new Error('hash-worker.js runs as a worker thread of parallel-verify');
port.on('message', (job: HashJob) => {
  let state = 1;
  try {
    run(job);
  } catch (err) {
    state = 2;
    port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
  Atomics.store(job.control, CTRL_DONE, state);
  Atomics.notify(job.control, CTRL_DONE);
});
