// How the whatsapp_v1 hashing of one proof is split between two threads (parallel-verify.ts and
// hash-worker.ts): phase A (leaf values and interior label hashes, all independent) is cut in
// two, then one thread hashes the start tree and the other the end tree. Counted in BLAKE3
// compressions so both threads finish together.

export interface HashSplit {
  /** The helper thread's share of phase A: elements [0, leaves) and pairs [0, pairs). */
  leaves: number;
  pairs: number;
}

export function splitPhaseA(count: number, unchangedCount: number): HashSplit {
  const inserted = count - unchangedCount;
  const pairs = Math.max(0, count - 1);
  const phaseA = 2 * unchangedCount + 3 * inserted + pairs;
  const startTree = 2 * Math.max(0, unchangedCount - 1);
  const endTree = 2 * pairs;
  // helper: f·A + start = main: (1 − f)·A + end
  const f = phaseA === 0 ? 0.5 : Math.min(1, Math.max(0, (phaseA + endTree - startTree) / (2 * phaseA)));
  return { leaves: Math.round(count * f), pairs: Math.round(pairs * f) };
}

/** Layout of the control words shared by the two threads (an Int32Array over 16 bytes). */
export const CTRL_PHASE_A = 0; // each thread adds 1 when its part of phase A is done
export const CTRL_DONE = 1; // the helper sets 1 when the start root is written, 2 on failure
export const CTRL_WORDS = 4;

/** What the main thread sends the helper for one proof (all arrays over SharedArrayBuffers). */
export interface HashJob {
  control: Int32Array;
  labels: Uint8Array;
  lens: Uint16Array;
  values: Uint8Array;
  count: number;
  unchangedCount: number;
  endEpoch: bigint;
  order: Uint32Array;
  lcps: Uint16Array;
  startSeq: Uint32Array;
  startLcps: Uint16Array;
  startPairs: Uint32Array;
  leafC: Uint32Array;
  interiorLabelHash: Uint32Array;
  /** The helper writes the start root here (8 words). */
  startRoot: Uint32Array;
  split: HashSplit;
}
