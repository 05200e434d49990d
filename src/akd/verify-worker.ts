// Worker-thread entry of the verify pool: decode and verify one proof per message, answer with a
// plain verdict. Runs compiled (dist/src/akd/verify-worker.js).
import { parentPort } from 'node:worker_threads';
import { AkdDecodeError } from './errors.js';
import { decodeSingleAppendOnlyProof } from './proof-codec.js';
import { failureOf, type AkdVerdict, type AkdVerifyRequest, type AkdVerifyResponse } from './verdict.js';
import { verifyConsecutiveAppendOnly } from './verifier.js';

function handle(req: AkdVerifyRequest): AkdVerifyResponse {
  const t0 = performance.now();
  let proof;
  try {
    proof = decodeSingleAppendOnlyProof(req.proof);
  } catch (err) {
    if (!(err instanceof AkdDecodeError)) throw err;
    const timings = { decodeMs: performance.now() - t0, buildMs: 0, hashMs: 0 };
    return { id: req.id, verdict: { ok: false, failure: failureOf(err), inserted: 0, unchanged: 0, timings } };
  }
  const decodeMs = performance.now() - t0;
  const r = verifyConsecutiveAppendOnly(proof, req.previous, req.current, req.endEpoch, req.configuration, { decodeMs });
  const verdict: AkdVerdict = r.ok
    ? { ok: true, inserted: r.inserted, unchanged: r.unchanged, timings: r.timings }
    : { ok: false, failure: failureOf(r.error), inserted: r.inserted, unchanged: r.unchanged, timings: r.timings };
  return { id: req.id, verdict };
}

const port = parentPort;
if (port === null) throw new Error('verify-worker.js runs as a worker thread of AkdVerifyPool');
port.on('message', (req: AkdVerifyRequest) => {
  let response: AkdVerifyResponse;
  try {
    response = handle(req);
  } catch (err) {
    // A bug, not a verdict: the pool rejects the job with this message.
    response = { id: req.id, crash: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(response);
});
