// Finding a log's head in a bucket with no "latest epoch" endpoint (docs/design-decisions.md,
// "Directory source"): probe upward from a hint, doubling the step, until an epoch is absent, then
// binary-search the present/absent boundary. Each probe is one `prefix={epoch}/` listing, so the
// cost is about 2·log2(distance) requests, whatever the bucket's size and its byte-order listing.
// Pure: the probe is passed in.
import { ChorusError } from '../util/errors.js';
import { U64_MAX } from '../util/u64.js';

export class HeadSearchError extends ChorusError {
  constructor(message: string) {
    super('head-search', message);
  }
}

/** Is there an object for this epoch? */
export type EpochProbe = (epoch: bigint) => Promise<boolean>;

/**
 * The highest present epoch at or above 1, assuming epochs are present from some start up to the
 * head; undefined for an empty log. `maxProbes` bounds the work whatever the answers are.
 */
export async function findHead(probe: EpochProbe, hint: bigint, maxProbes = 300): Promise<bigint | undefined> {
  let probes = 0;
  const present = async (e: bigint): Promise<boolean> => {
    if (++probes > maxProbes) throw new HeadSearchError(`no head found within ${maxProbes} listings`);
    return probe(e);
  };
  let start = hint < 1n ? 1n : hint > U64_MAX ? U64_MAX : hint;
  let lo: bigint; // present
  let hi: bigint; // absent (or one past the u64 range)
  if (await present(start)) {
    lo = start;
    let step = 1n;
    for (;;) {
      if (lo === U64_MAX) return lo;
      const cand = lo + step > U64_MAX ? U64_MAX : lo + step;
      if (!(await present(cand))) {
        hi = cand;
        break;
      }
      lo = cand;
      step *= 2n;
    }
  } else {
    // Below the hint: walk down, doubling, to a present epoch (or to 1: an empty log).
    hi = start;
    let step = 1n;
    for (;;) {
      if (start === 1n) return undefined;
      const cand = start - step < 1n ? 1n : start - step;
      if (await present(cand)) {
        lo = cand;
        break;
      }
      hi = cand;
      start = cand;
      step *= 2n;
    }
  }
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (await present(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
