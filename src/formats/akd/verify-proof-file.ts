// The one seam between the node's pipeline and the AKD verifier (docs/akd.md, "Node pipeline"):
// the proof is a file in the data directory, and the pool's worker reads and decodes it itself,
// streaming, so the node never holds a whole proof (docs/akd.md, "Where the bytes go").
import type { AkdConfiguration } from '../../akd/configuration.js';
import type { AkdVerifyOutcome, AkdVerifyPool } from '../../akd-runtime/verify-pool.js';

export interface ProofFileJob {
  path: string;
  previous: Uint8Array;
  current: Uint8Array;
  endEpoch: bigint;
  configuration: AkdConfiguration;
}

export async function verifyProofFile(pool: AkdVerifyPool, job: ProofFileJob): Promise<AkdVerifyOutcome> {
  return pool.verifyFile(job);
}
