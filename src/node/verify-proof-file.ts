// The one seam between the node's pipeline and the AKD verifier (docs/akd.md, "Node pipeline"):
// the proof is a file in the data directory. Today the file is read and handed to the pool; once
// the pool verifies from a file itself (bounded memory), this becomes `pool.verifyFile(job)`.
import { readFile } from 'node:fs/promises';
import type { AkdConfiguration } from '../akd/configuration.js';
import type { AkdVerifyOutcome, AkdVerifyPool } from '../akd/verify-pool.js';

export interface ProofFileJob {
  path: string;
  previous: Uint8Array;
  current: Uint8Array;
  endEpoch: bigint;
  configuration: AkdConfiguration;
}

export async function verifyProofFile(pool: AkdVerifyPool, job: ProofFileJob): Promise<AkdVerifyOutcome> {
  const proof = new Uint8Array(await readFile(job.path));
  return pool.verify({ proof, previous: job.previous, current: job.current, endEpoch: job.endEpoch, configuration: job.configuration });
}
