// Worker-thread entry of the verify pool: decode and verify one proof per message, answer with a
// plain verdict. Runs compiled (dist/src/akd-runtime/verify-worker.js). A job names either the proof's
// bytes (moved here) or a file, which this thread reads itself in chunks (proof-file-reader.ts).
import { parentPort } from 'node:worker_threads';
import { AkdDecodeError, AkdReadError } from '../akd/errors.js';
import { decodeProofFile } from './proof-file-reader.js';
import { ElementArena, decodeSingleAppendOnlyProof, type ProofElements } from '../akd/proof-codec.js';
import { failureOf, type AkdVerdict, type AkdVerifyRequest, type AkdVerifyResponse } from '../akd/verdict.js';
import { verifyConsecutiveAppendOnly } from '../akd/verifier.js';
import type { WorkerResponse } from './verify-pool.js';

/**
 * One job at a time, so one set of element buffers, reused from job to job (docs/akd.md "Where the
 * bytes go"). They live as long as this thread: the pool stops a worker after a short idle time,
 * which is what returns them (an idle isolate collects no garbage, so dropping them would not).
 */
const arena = new ElementArena();

function decode(req: AkdVerifyRequest): ProofElements {
  if (req.path !== undefined) return decodeProofFile(req.path, { arena });
  if (req.proof === undefined) throw new Error('internal: a verify request without proof or path');
  return decodeSingleAppendOnlyProof(req.proof, { arena });
}

function handle(req: AkdVerifyRequest): AkdVerifyResponse {
  const t0 = performance.now();
  let proof;
  try {
    proof = decode(req);
  } catch (err) {
    if (!(err instanceof AkdDecodeError) && !(err instanceof AkdReadError)) throw err;
    const timings = { decodeMs: performance.now() - t0, buildMs: 0, hashMs: 0 };
    return { id: req.id, verdict: { ok: false, failure: failureOf(err), inserted: 0, unchanged: 0, timings } };
  }
  const decodeMs = performance.now() - t0;
  // The decoded arrays are this job's alone: hash in bounded memory (docs/akd.md).
  const r = verifyConsecutiveAppendOnly(proof, req.previous, req.current, req.endEpoch, req.configuration, {
    decodeMs,
    consumeProof: true,
  });
  const verdict: AkdVerdict = r.ok
    ? { ok: true, inserted: r.inserted, unchanged: r.unchanged, timings: r.timings }
    : { ok: false, failure: failureOf(r.error), inserted: r.inserted, unchanged: r.unchanged, timings: r.timings };
  return { id: req.id, verdict };
}

const port = parentPort;
if (port === null) throw new Error('verify-worker.js runs as a worker thread of AkdVerifyPool');
port.on('message', (req: AkdVerifyRequest) => {
  let response: WorkerResponse;
  try {
    response = handle(req);
  } catch (err) {
    // A bug, not a verdict: the pool rejects the job with this message.
    response = { id: req.id, crash: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  // What this thread now holds: the pool stops a worker left with a large arena (docs/akd.md).
  port.postMessage({ ...response, arenaBytes: arena.bytes });
});
