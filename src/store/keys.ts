// LevelDB key layouts. Namespace names never contain NUL; epochs are zero-padded to 20 digits so
// that keys sort numerically and stay readable with any LevelDB tool.
export const SEP = '\x00';

export function epochKey(epoch: bigint): string {
  return epoch.toString().padStart(20, '0');
}

export function nsEpochKey(ns: string, epoch: bigint): string {
  return `${ns}${SEP}${epochKey(epoch)}`;
}

/** Range bounds covering every key of one namespace that starts with `ns\0`. */
export function nsRange(ns: string): { gte: string; lt: string } {
  return { gte: `${ns}${SEP}`, lt: `${ns}\x01` };
}
