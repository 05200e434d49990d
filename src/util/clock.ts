// The one source of time: the composition root creates a Clock and passes it down, so tests
// drive every module from one fake clock (docs/design-decisions.md "Composition root").

/** Wall-clock time in Unix milliseconds, exact as a bigint. */
export interface Clock {
  now(): bigint;
}

export const systemClock: Clock = { now: () => BigInt(Date.now()) };

/** A clock reading `now`, for the modules that take a plain time function. */
export function clockOf(now: () => bigint): Clock {
  return { now };
}
