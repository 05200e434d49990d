// Put a proof's labels in tree order and find akd#495 conflicts, on 32-bit words.
//
// A compressed binary trie over a prefix-free set of labels is fixed by the labels sorted by their
// bits and the common-prefix length of each adjacent pair (the trie's interior nodes sit at those
// depths). Sorting by the raw 32 bytes gives that order whenever no label is a prefix of another,
// and if some label is a prefix of another, some *adjacent* pair shows it: everything sorted
// between a label and a longer label it prefixes shares that prefix, so it conflicts with one of
// them, and the closest conflicting pair is adjacent.

/** Byte swap: a little-endian word of label bytes to the big-endian number it spells. */
export function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** Number of leading bits (in label order) on which labels `a` and `b` agree; 256 when equal. */
export function commonPrefixWords(words: Uint32Array, a: number, b: number): number {
  const oa = a * 8;
  const ob = b * 8;
  for (let k = 0; k < 8; k++) {
    const x = ((words[oa + k] as number) ^ (words[ob + k] as number)) >>> 0;
    if (x !== 0) {
      // The first differing byte is the lowest non-zero byte of the little-endian word.
      const low = x & -x;
      const byteIndex = (31 - Math.clz32(low)) >>> 3;
      const byte = (x >>> (byteIndex * 8)) & 0xff;
      return k * 32 + byteIndex * 8 + Math.clz32(byte) - 24;
    }
  }
  return 256;
}

/** Compare two labels as akd-independent tree order: raw bytes, then length. */
function compareLabels(words: Uint32Array, lens: Uint16Array, a: number, b: number): number {
  const oa = a * 8;
  const ob = b * 8;
  for (let k = 0; k < 8; k++) {
    const wa = words[oa + k] as number;
    const wb = words[ob + k] as number;
    if (wa !== wb) return bswap32(wa) < bswap32(wb) ? -1 : 1;
  }
  return (lens[a] as number) - (lens[b] as number);
}

/** One stable counting pass of the radix sort on bits [shift, shift + 11) of the keys. */
function radixPass(
  keys: Uint32Array,
  order: Uint32Array,
  outKeys: Uint32Array,
  outOrder: Uint32Array,
  counts: Uint32Array,
  shift: number,
): void {
  const count = keys.length;
  counts.fill(0);
  for (let i = 0; i < count; i++) {
    const d = ((keys[i] as number) >>> shift) & 2047;
    counts[d] = (counts[d] as number) + 1;
  }
  let sum = 0;
  for (let b = 0; b < 2048; b++) {
    const c = counts[b] as number;
    counts[b] = sum;
    sum += c;
  }
  for (let i = 0; i < count; i++) {
    const k = keys[i] as number;
    const d = (k >>> shift) & 2047;
    const at = counts[d] as number;
    counts[d] = at + 1;
    outKeys[at] = k;
    outOrder[at] = order[i] as number;
  }
}

/**
 * Element indices `0..count` sorted by label: a stable LSD radix sort (three passes of 11 bits) on
 * the first 32 bits of each label, then the runs that tie on those bits (rare for random labels)
 * ordered by a full comparison.
 */
export function sortLabels(words: Uint32Array, lens: Uint16Array, count: number): Uint32Array {
  let order = new Uint32Array(count);
  if (count < 2) {
    if (count === 1) order[0] = 0;
    return order;
  }
  let keys = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    keys[i] = bswap32(words[i * 8] as number);
    order[i] = i;
  }
  let nextOrder = new Uint32Array(count);
  let nextKeys = new Uint32Array(count);
  const counts = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    radixPass(keys, order, nextKeys, nextOrder, counts, shift);
    [keys, nextKeys] = [nextKeys, keys];
    [order, nextOrder] = [nextOrder, order];
  }
  // Runs of equal leading 32 bits: order them by the full label.
  let runStart = 0;
  for (let j = 1; j <= count; j++) {
    if (j === count || keys[j] !== keys[runStart]) {
      if (j - runStart > 1) {
        const run = Array.from(order.subarray(runStart, j));
        run.sort((a, b) => compareLabels(words, lens, a, b));
        order.set(run, runStart);
      }
      runStart = j;
    }
  }
  return order;
}

/**
 * The same order as sortLabels with 4 bytes per element instead of 16 (the verifier of large
 * proofs, docs/akd.md "Where the bytes go"): one counting pass on the first `bits` bits (about
 * four labels per bucket for random labels, at most 2^20 buckets) scatters the indices straight
 * into the result; each bucket is then ordered by full comparison, by insertion when small.
 * Stable, as sortLabels (equal labels keep index order), so conflicts are reported alike.
 */
export function sortLabelsLean(words: Uint32Array, lens: Uint16Array, count: number): Uint32Array {
  const order = new Uint32Array(count);
  if (count < 2) {
    if (count === 1) order[0] = 0;
    return order;
  }
  const bits = Math.min(20, Math.max(1, Math.ceil(Math.log2(count)) - 2));
  const shift = 32 - bits;
  const buckets = 1 << bits;
  const ends = new Uint32Array(buckets + 1);
  for (let i = 0; i < count; i++) {
    const b = (bswap32(words[i * 8] as number) >>> shift) + 1;
    ends[b] = (ends[b] as number) + 1;
  }
  for (let b = 0; b < buckets; b++) ends[b + 1] = (ends[b + 1] as number) + (ends[b] as number);
  // ends[b] is now where bucket b starts; used as its cursor it ends where the bucket ends.
  for (let i = 0; i < count; i++) {
    const b = bswap32(words[i * 8] as number) >>> shift;
    const at = ends[b] as number;
    ends[b] = at + 1;
    order[at] = i;
  }
  let start = 0;
  for (let b = 0; b < buckets; b++) {
    const end = ends[b] as number;
    const n = end - start;
    if (n > 16) {
      order.subarray(start, end).sort((x, y) => compareLabels(words, lens, x, y));
    } else if (n > 1) {
      for (let i = start + 1; i < end; i++) {
        const v = order[i] as number;
        let j = i - 1;
        while (j >= start && compareLabels(words, lens, order[j] as number, v) > 0) {
          order[j + 1] = order[j] as number;
          j--;
        }
        order[j + 1] = v;
      }
    }
    start = end;
  }
  return order;
}

/** Two elements whose labels conflict (akd#495); `second` is -1 for a lone root-length label. */
export interface LabelConflict {
  relation: 'equal' | 'prefix' | 'root';
  /** The shorter label (the prefix) or the first of two equal labels. */
  first: number;
  second: number;
}

/**
 * Check the sorted labels for conflicts and fill `lcps[j]` with the common-prefix length of
 * `order[j]` and `order[j+1]`. Returns the first conflict in label order, or null.
 */
export function adjacentPrefixes(
  words: Uint32Array,
  lens: Uint16Array,
  order: Uint32Array,
  count: number,
  lcps: Uint16Array,
): LabelConflict | null {
  if (count === 1 && lens[order[0] as number] === 0) {
    return { relation: 'root', first: order[0] as number, second: -1 };
  }
  for (let j = 0; j + 1 < count; j++) {
    const a = order[j] as number;
    const b = order[j + 1] as number;
    const la = lens[a] as number;
    const lb = lens[b] as number;
    const shorter = la < lb ? la : lb;
    const common = commonPrefixWords(words, a, b);
    if (common >= shorter) {
      if (la === lb) return { relation: 'equal', first: Math.min(a, b), second: Math.max(a, b) };
      return la < lb ? { relation: 'prefix', first: a, second: b } : { relation: 'prefix', first: b, second: a };
    }
    lcps[j] = common;
  }
  return null;
}

/**
 * The elements below `limit` (the unchanged nodes) in label order, for the start tree: `seq`, the
 * common-prefix length of each adjacent pair (`lcps`) and, for each such pair, the index of the
 * pair of the whole order where the two labels part (`pairs`). The interior node where two labels
 * part is in every tree that holds both, so the start tree's interior nodes are the whole tree's
 * nodes at those pairs (the pair of minimum common prefix between the two, which is unique).
 * Only valid once the whole set is known to be conflict-free.
 */
export function subsequenceBelow(
  order: Uint32Array,
  count: number,
  allLcps: Uint16Array,
  limit: number,
): { seq: Uint32Array; lcps: Uint16Array; pairs: Uint32Array } {
  const seq = new Uint32Array(limit);
  const lcps = new Uint16Array(Math.max(0, limit - 1));
  const pairs = new Uint32Array(Math.max(0, limit - 1));
  let m = 0;
  let min = 257;
  let minAt = 0;
  for (let j = 0; j < count; j++) {
    const e = order[j] as number;
    if (e < limit) {
      if (m > 0) {
        lcps[m - 1] = min;
        pairs[m - 1] = minAt;
      }
      seq[m++] = e;
      min = 257;
    }
    if (j + 1 < count) {
      const l = allLcps[j] as number;
      if (l < min) {
        min = l;
        minAt = j;
      }
    }
  }
  return { seq, lcps, pairs };
}
