// Child process of bench/akd.ts: verify one cached proof `runs` times in this process as the node's
// pool worker does (the file decoded while it is read into reused buffers, the arrays consumed) and print the
// medians and this process's peak RSS as one JSON line. A separate process so the RSS is the
// verifier's, not the generator's.
import { parseBlobName } from '../src/akd/blob-name.js';
import { peakRssMb } from '../src/akd-runtime/peak-rss.js';
import { ElementArena } from '../src/akd/proof-codec.js';
import { decodeProofFile } from '../src/akd-runtime/proof-file-reader.js';
import { verifyConsecutiveAppendOnly } from '../src/akd/verifier.js';

const [file, blobName, runsText] = process.argv.slice(2);
if (file === undefined || blobName === undefined) {
  process.stderr.write('usage: akd-inprocess.js FILE BLOB_NAME [RUNS]\n');
  process.exit(2);
}
const runs = Number(runsText ?? '5');
const name = parseBlobName(blobName);
const arena = new ElementArena(); // as the pool's worker: buffers reused from one run to the next
const samples: Array<{ ms: number; decodeMs: number; buildMs: number; hashMs: number }> = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const proof = decodeProofFile(file, { arena });
  const decodeMs = performance.now() - t0;
  const r = verifyConsecutiveAppendOnly(proof, name.previousHash, name.currentHash, name.epoch, 'whatsapp_v1', {
    decodeMs,
    consumeProof: true,
  });
  const ms = performance.now() - t0;
  if (!r.ok) throw r.error;
  samples.push({ ms, ...r.timings });
}
const median = (k: keyof (typeof samples)[number]): number => {
  const v = samples.map((s) => s[k]).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)] as number;
};
process.stdout.write(
  `${JSON.stringify({
    ms: median('ms'),
    first_ms: samples[0]?.ms,
    decode_ms: median('decodeMs'),
    build_ms: median('buildMs'),
    hash_ms: median('hashMs'),
    peak_rss_mb: peakRssMb(),
  })}\n`,
);
