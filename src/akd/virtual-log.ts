// Realistic synthetic logs without building the tree (docs/akd.md, "Realistic synthetic logs"):
// the proofs of consecutive epochs of a *virtual* dense tree of N pseudo-random leaves, of which
// only the paths of the inserted leaves are ever looked at.
//
// The virtual tree: the number of existing leaves below a prefix is drawn (binomially, half to each
// side) from the seed and the prefix alone, so every walk sees the same tree. All inserts of all
// epochs of the chain are drawn first and their paths walked together; every subtree off those
// paths that holds existing leaves becomes an *atom*: an opaque subtree (label: its prefix; value:
// pseudo-random from the seed and the label) or, when it holds a single leaf, that leaf (full
// 256-bit label). No insert ever enters an atom, so atoms never need splitting and their values
// never need to match children: the chain is consistent by construction. An epoch's proof is then
// akd's: the maximal subtrees of the tree of atoms and earlier inserts that this epoch's inserts do
// not touch (unchanged), and this epoch's inserts; the generator hashes that tree itself, so epoch
// e + 1 starts at the root epoch e ends with.
import { ONE_BLOCK, blake3, compress } from './blake3.js';
import { formatBlobName } from './blob-name.js';
import { emptyTreeRoot, resolveConfiguration, type AkdConfiguration, type AkdHashing } from './configuration.js';
import { LeafSource } from './generator.js';
import { adjacentPrefixes, bswap32, sortLabels } from './label-order.js';
import { nodeHasherFor, type NodeHasher } from './node-hasher.js';
import { allocateElements, type ProofElements } from './proof-codec.js';
import { ChorusError } from '../util/errors.js';

export class VirtualLogError extends ChorusError {
  constructor(message: string) {
    super('akd-virtual-log', message);
  }
}

/** The two logs of the issue, and the largest Messenger epoch (284 MB). See docs/akd.md. */
export const AKD_SHAPES = {
  /** WhatsApp: ≈55k inserted, ≈835k unchanged, ≈44 MB. */
  whatsapp: { leaves: 3_000_000_000, inserts: 55_000 },
  /** Messenger today: ≈350k inserted, ≈4.03M unchanged, ≈224 MB. */
  messenger: { leaves: 1_430_000_000, inserts: 350_000 },
  /** Messenger's largest: ≈565k inserted, ≈4.9M unchanged, ≈284 MB. */
  'messenger-max': { leaves: 325_000_000, inserts: 565_000 },
} as const;

export type AkdShapeName = keyof typeof AKD_SHAPES;

export interface VirtualLogOptions {
  configuration: AkdConfiguration;
  /** Leaves of the virtual tree before the first epoch (up to 2^53). */
  leaves: number;
  /** Leaves inserted per epoch (at least 1). */
  inserts: number;
  /** Epochs in the chain (at least 1). */
  epochs: number;
  seed?: string;
  /** End epoch of the first transition (default 1). */
  firstEpoch?: bigint;
}

export interface VirtualEpoch {
  epoch: bigint;
  previousHash: Uint8Array;
  currentHash: Uint8Array;
  blobName: string;
  proof: ProofElements;
  inserted: number;
  unchanged: number;
}

/** Growable flat element list: labels, lengths, values, and the epoch of each (0: an atom). */
class ElementList {
  count = 0;
  labels = new Uint8Array(0);
  lens = new Uint16Array(0);
  values = new Uint8Array(0);
  epochs = new Uint32Array(0);

  constructor(capacity: number) {
    this.reserve(capacity);
  }

  private reserve(n: number): void {
    if (n <= this.lens.length) return;
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.labels = grow(this.labels, n * 32);
    this.lens = grow(this.lens, n);
    this.values = grow(this.values, n * 32);
    this.epochs = grow(this.epochs, n);
  }

  /** Append one element; returns its index. */
  push(label: Uint8Array, len: number, value: Uint8Array, epoch: number): number {
    if (this.count === this.lens.length) this.reserve(Math.max(1024, this.count * 2));
    const i = this.count++;
    this.labels.set(label, i * 32);
    this.lens[i] = len;
    this.values.set(value, i * 32);
    this.epochs[i] = epoch;
    return i;
  }
}

const KIND_SPLIT = 1;
const KIND_BLOB = 2;
const KIND_LEAF_LABEL = 3;
const KIND_LEAF_VALUE = 4;

function bitOf(labels: Uint8Array, i: number, d: number): number {
  return ((labels[i * 32 + (d >>> 3)] as number) >>> (7 - (d & 7))) & 1;
}

/** Pseudo-random words from the seed, a kind, and a prefix of `depth` bits. */
class PrefixRandom {
  private readonly key: Uint32Array;
  private readonly block = new Uint32Array(16);
  private readonly blockBytes = new Uint8Array(this.block.buffer);
  readonly out = new Uint32Array(8);
  readonly outBytes = new Uint8Array(this.out.buffer);

  constructor(seed: string) {
    this.key = new Uint32Array(blake3(new TextEncoder().encode(`chorus virtual akd tree: ${seed}`)).buffer);
  }

  /** Fill `out` from (kind, the first `depth` bits of `prefix`, depth). */
  derive(kind: number, prefix: Uint8Array, at: number, depth: number): void {
    const b = this.blockBytes;
    const full = depth >>> 3;
    for (let i = 0; i < 32; i++) b[i] = i < full ? (prefix[at + i] as number) : 0;
    if ((depth & 7) !== 0) b[full] = (prefix[at + full] as number) & (0xff00 >>> (depth & 7)) & 0xff;
    this.block[8] = depth;
    this.block[9] = kind;
    for (let k = 10; k < 16; k++) this.block[k] = 0;
    compress(this.key, 0, this.block, 0, 40, ONE_BLOCK, this.out, 0);
  }

  /** How many of `n` leaves below the prefix go left (binomial n, 1/2). */
  split(n: number, prefix: Uint8Array, at: number, depth: number): number {
    this.derive(KIND_SPLIT, prefix, at, depth);
    const w = this.out;
    if (n <= 32) return popcount((w[0] as number) & (n === 32 ? -1 : (1 << n) - 1));
    if (n <= 64) return popcount(w[0] as number) + popcount((w[1] as number) & (n === 64 ? -1 : (1 << (n - 32)) - 1));
    // Normal approximation (Box-Muller) for large n, clamped to the possible range.
    const u1 = ((w[2] as number) + 1) / 4294967297;
    const u2 = (w[3] as number) / 4294967296;
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.min(n, Math.max(0, Math.round(n / 2 + (z * Math.sqrt(n)) / 2)));
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Walk the paths of `inserts` (sorted by label) through the virtual tree of `leaves` leaves and
 * append every atom off those paths to `atoms`.
 */
function collectAtoms(
  inserts: ElementList,
  order: Uint32Array,
  leaves: number,
  rand: PrefixRandom,
  atoms: ElementList,
): void {
  const labels = inserts.labels;
  const scratch = new Uint8Array(32);
  const addAtom = (rep: number, depth: number, n: number): void => {
    // The child region: the prefix of the representative insert to `depth - 1` bits, then the
    // other bit.
    scratch.fill(0);
    const full = (depth - 1) >>> 3;
    for (let i = 0; i < full; i++) scratch[i] = labels[rep * 32 + i] as number;
    const partialBits = (depth - 1) & 7;
    const mask = (0xff00 >>> partialBits) & 0xff;
    scratch[full] = (labels[rep * 32 + full] as number) & mask;
    const bit = 1 - bitOf(labels, rep, depth - 1);
    scratch[full] = (scratch[full] as number) | (bit << (7 - partialBits));
    if (n >= 2) {
      rand.derive(KIND_BLOB, scratch, 0, depth);
      atoms.push(scratch, depth, rand.outBytes, 0);
      return;
    }
    // A single existing leaf: the region's bits, then pseudo-random ones.
    rand.derive(KIND_LEAF_LABEL, scratch, 0, depth);
    const label = new Uint8Array(32);
    for (let i = 0; i < 32; i++) label[i] = rand.outBytes[i] as number;
    const keepFull = depth >>> 3;
    for (let i = 0; i < keepFull; i++) label[i] = scratch[i] as number;
    if ((depth & 7) !== 0) {
      const m = (0xff00 >>> (depth & 7)) & 0xff;
      label[keepFull] = ((scratch[keepFull] as number) & m) | ((label[keepFull] as number) & ~m & 0xff);
    }
    rand.derive(KIND_LEAF_VALUE, label, 0, 256);
    atoms.push(label, 256, rand.outBytes, 0);
  };
  // Region [lo, hi) of the sorted inserts shares `depth` bits and holds `n` existing leaves.
  const visit = (lo: number, hi: number, depth: number, n: number): void => {
    if (n === 0) return;
    if (depth >= 256) throw new VirtualLogError('an insert collides with an existing leaf of the virtual tree');
    const rep = order[lo] as number;
    const left = rand.split(n, labels, rep * 32, depth);
    let mid = lo;
    while (mid < hi && bitOf(labels, order[mid] as number, depth) === 0) mid++;
    // Each side: walk on where inserts go, else an atom if existing leaves are there (any insert
    // of the region stands for its prefix).
    if (lo < mid) visit(lo, mid, depth + 1, left);
    else if (left > 0) addAtom(order[lo] as number, depth + 1, left);
    if (mid < hi) visit(mid, hi, depth + 1, n - left);
    else if (n - left > 0) addAtom(order[lo] as number, depth + 1, n - left);
  };
  visit(0, inserts.count, 0, leaves);
}

/** A chain of epochs of a virtual dense tree. */
export class VirtualLog {
  readonly hashing: AkdHashing;
  private readonly nodes: NodeHasher;
  private readonly elements: ElementList;
  private readonly options: Required<Omit<VirtualLogOptions, 'configuration'>>;
  private previous: Uint8Array | null = null;
  private done = 0;

  constructor(options: VirtualLogOptions) {
    const { leaves, inserts, epochs } = options;
    if (!Number.isSafeInteger(leaves) || leaves < 0)
      throw new VirtualLogError(`leaves must be an integer in 0..2^53, got ${leaves}`);
    if (!Number.isSafeInteger(inserts) || inserts < 1)
      throw new VirtualLogError(`inserts must be a positive integer, got ${inserts}`);
    if (!Number.isSafeInteger(epochs) || epochs < 1)
      throw new VirtualLogError(`epochs must be a positive integer, got ${epochs}`);
    const firstEpoch = options.firstEpoch ?? 1n;
    if (firstEpoch < 1n || firstEpoch + BigInt(epochs) - 1n > 0xffffffffn)
      throw new VirtualLogError('epochs must lie in 1..2^32-1');
    this.options = { leaves, inserts, epochs, seed: options.seed ?? 'chorus', firstEpoch };
    this.hashing = resolveConfiguration(options.configuration);
    this.nodes = nodeHasherFor(this.hashing);

    // Every insert of the chain, then the atoms off their paths.
    const all = new ElementList(inserts * epochs);
    const source = new LeafSource(`virtual ${this.options.seed}`);
    for (let e = 0; e < epochs; e++) {
      const batch = source.next(inserts);
      for (let i = 0; i < inserts; i++) {
        all.push(
          batch.labels.subarray(i * 32, i * 32 + 32),
          256,
          batch.values.subarray(i * 32, i * 32 + 32),
          Number(firstEpoch) + e,
        );
      }
    }
    const order = sortLabels(new Uint32Array(all.labels.buffer, 0, all.count * 8), all.lens, all.count);
    const perInsert = Math.max(4, Math.ceil(Math.log2(Math.max(2, leaves / inserts))) + 4);
    const elements = new ElementList(all.count * perInsert);
    collectAtoms(all, order, leaves, new PrefixRandom(this.options.seed), elements);
    for (let i = 0; i < all.count; i++) {
      elements.push(
        all.labels.subarray(i * 32, i * 32 + 32),
        256,
        all.values.subarray(i * 32, i * 32 + 32),
        all.epochs[i] as number,
      );
    }
    this.elements = elements;
  }

  /** Atoms of the virtual tree (opaque subtrees and single existing leaves met by an insert path). */
  get atoms(): number {
    let n = 0;
    for (let i = 0; i < this.elements.count; i++) if (this.elements.epochs[i] === 0) n++;
    return n;
  }

  /** The next epoch of the chain, or null after the last. */
  next(): VirtualEpoch | null {
    if (this.done >= this.options.epochs) return null;
    const epoch = Number(this.options.firstEpoch) + this.done;
    const result = this.transition(epoch);
    if (this.previous !== null && !bytesEqual(this.previous, result.previousHash)) {
      throw new VirtualLogError(`internal: epoch ${epoch} does not start where epoch ${epoch - 1} ended`);
    }
    this.previous = result.currentHash;
    this.done++;
    return result;
  }

  /**
   * The proof of `epoch - 1` → `epoch`: hash the tree of atoms and the inserts up to `epoch`
   * bottom up; a subtree is dirty when it holds an insert of `epoch`; every clean child of a
   * dirty node is an unchanged element (its label and its value at `epoch - 1`).
   */
  private transition(epoch: number): VirtualEpoch {
    const all = this.elements;
    // The elements present at `epoch`.
    const present = new Uint32Array(all.count);
    let n = 0;
    let inserted = 0;
    for (let i = 0; i < all.count; i++) {
      const e = all.epochs[i] as number;
      if (e <= epoch) present[n++] = i;
      if (e === epoch) inserted++;
    }
    const labels = new Uint8Array(n * 32);
    const lens = new Uint16Array(n);
    for (let j = 0; j < n; j++) {
      const i = present[j] as number;
      labels.set(all.labels.subarray(i * 32, i * 32 + 32), j * 32);
      lens[j] = all.lens[i] as number;
    }
    const words = new Uint32Array(labels.buffer);
    const order = sortLabels(words, lens, n);
    const lcps = new Uint16Array(Math.max(0, n - 1));
    if (adjacentPrefixes(words, lens, order, n, lcps) !== null)
      throw new VirtualLogError('internal: two elements of the virtual tree conflict');

    // Clean subtrees, left to right: the element whose label they take, their depth (-1: a leaf), value.
    const cleanRef = new Int32Array(n);
    const cleanDepth = new Int16Array(n);
    const cleanValues = new Uint32Array(n * 8);
    let unchanged = 0;
    const h = this.nodes;
    const STACK = 260;
    const join = new Int16Array(STACK);
    const ref = new Int32Array(STACK);
    const depth = new Int16Array(STACK);
    const dirty = new Uint8Array(STACK);
    const val = new Uint32Array(STACK * 8);
    const allValueWords = new Uint32Array(all.values.buffer, 0, all.count * 8);
    const labelBlock = (slot: number, out: Uint32Array, off: number): void => {
      const e = ref[slot] as number;
      const d = depth[slot] as number;
      const len = d < 0 ? (lens[e] as number) : d;
      out[off] = bswap32(len);
      for (let k = 0; k < 8; k++) {
        let w = words[e * 8 + k] as number;
        if (d >= 0) w &= prefixMask(k, d);
        out[off + 1 + k] = w;
      }
    };
    const emit = (slot: number): void => {
      cleanRef[unchanged] = ref[slot] as number;
      cleanDepth[unchanged] = depth[slot] as number;
      cleanValues.set(val.subarray(slot * 8, slot * 8 + 8), unchanged * 8);
      unchanged++;
    };
    let sp = 0;
    for (let i = 0; i < n; i++) {
      const e = order[i] as number;
      const src = present[e] as number;
      const ep = all.epochs[src] as number;
      join[sp] = i === 0 ? -1 : (lcps[i - 1] as number);
      ref[sp] = e;
      depth[sp] = -1;
      dirty[sp] = ep === epoch ? 1 : 0;
      if (ep === 0) copy8(allValueWords, src * 8, val, sp * 8);
      else h.leafWithEpoch(allValueWords, src * 8, ep, val, sp * 8);
      sp++;
      const boundary = i + 1 < n ? (lcps[i] as number) : -1;
      while (sp >= 2 && (join[sp - 1] as number) > boundary) {
        const a = sp - 2;
        const b = sp - 1;
        if (dirty[a] !== dirty[b]) emit(dirty[a] === 1 ? b : a);
        copy8(val, a * 8, h.inputs.values, 0);
        copy8(val, b * 8, h.inputs.values, 8);
        labelBlock(a, h.inputs.labels, 0);
        labelBlock(b, h.inputs.labels, 9);
        h.parent(val, a * 8);
        dirty[a] = (dirty[a] as number) | (dirty[b] as number);
        depth[a] = join[b] as number;
        sp--;
      }
    }
    const currentHash = rootDigestOf(h, val, depth[0] as number, words[(ref[0] as number) * 8] as number, labelBlock);

    // The proof: unchanged elements left to right, then this epoch's inserts (raw commitments).
    const proof = allocateElements(unchanged, inserted);
    const proofWords = new Uint32Array(proof.labels.buffer);
    proof.values.set(new Uint8Array(cleanValues.buffer, 0, unchanged * 32));
    for (let u = 0; u < unchanged; u++) {
      const e = cleanRef[u] as number;
      const d = cleanDepth[u] as number;
      for (let k = 0; k < 8; k++)
        proofWords[u * 8 + k] = d < 0 ? (words[e * 8 + k] as number) : (words[e * 8 + k] as number) & prefixMask(k, d);
      proof.lens[u] = d < 0 ? (lens[e] as number) : d;
    }
    let k = unchanged;
    for (let i = 0; i < n; i++) {
      const e = order[i] as number;
      const src = present[e] as number;
      if (all.epochs[src] !== epoch) continue;
      proof.labels.set(all.labels.subarray(src * 32, src * 32 + 32), k * 32);
      proof.lens[k] = 256;
      proof.values.set(all.values.subarray(src * 32, src * 32 + 32), k * 32);
      k++;
    }
    const previousHash = unchanged === 0 ? emptyTreeRoot(this.hashing) : startRoot(proof, h);
    const end = BigInt(epoch);
    return {
      epoch: end,
      previousHash,
      currentHash,
      blobName: formatBlobName({ epoch: end, previousHash, currentHash }),
      proof,
      inserted,
      unchanged,
    };
  }
}

/** Mask of the bytes of little-endian word `k` of a label that lie within its first `depth` bits. */
function prefixMask(k: number, depth: number): number {
  const start = k * 32;
  if (depth >= start + 32) return -1;
  if (depth <= start) return 0;
  const r = depth - start;
  const fullBytes = r >>> 3;
  const partial = r & 7;
  let m = fullBytes === 0 ? 0 : (1 << (fullBytes * 8)) - 1;
  m |= ((0xff00 >>> partial) & 0xff) << (fullBytes * 8);
  return m;
}

function copy8(src: Uint32Array, so: number, dst: Uint32Array, d: number): void {
  for (let k = 0; k < 8; k++) dst[d + k] = src[so + k] as number;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Root digest of the tree of the proof's unchanged elements (values as given): the start root. */
/**
 * The root digest from the merged stack's bottom slot: the slot itself when it is the root (depth
 * 0), else the root's single child on the side of its first bit, the other side empty.
 */
function rootDigestOf(
  h: NodeHasher,
  val: Uint32Array,
  bottomDepth: number,
  firstWord: number,
  labelBlock: (slot: number, out: Uint32Array, off: number) => void,
): Uint8Array {
  let rootValue: Uint32Array;
  if (bottomDepth === 0) {
    rootValue = val.slice(0, 8);
  } else {
    const side = (firstWord & 0x80) >>> 7;
    h.inputs.values.set(val.subarray(0, 8), side * 8);
    h.inputs.values.set(h.emptyValue, (1 - side) * 8);
    labelBlock(0, h.inputs.labels, side * 9);
    h.inputs.labels.set(h.emptyLabel, (1 - side) * 9);
    rootValue = new Uint32Array(8);
    h.parent(rootValue, 0);
  }
  return h.rootDigest(rootValue, 0);
}

function startRoot(proof: ProofElements, h: NodeHasher): Uint8Array {
  const u = proof.unchangedCount;
  const words = new Uint32Array(proof.labels.buffer, 0, u * 8);
  const valueWords = new Uint32Array(proof.values.buffer, 0, u * 8);
  const lens = proof.lens;
  const order = sortLabels(words, lens, u);
  const lcps = new Uint16Array(Math.max(0, u - 1));
  if (adjacentPrefixes(words, lens, order, u, lcps) !== null)
    throw new VirtualLogError('internal: unchanged elements conflict');
  const STACK = 260;
  const join = new Int16Array(STACK);
  const ref = new Int32Array(STACK);
  const depth = new Int16Array(STACK);
  const val = new Uint32Array(STACK * 8);
  const labelBlock = (slot: number, out: Uint32Array, off: number): void => {
    const e = ref[slot] as number;
    const d = depth[slot] as number;
    out[off] = bswap32(d < 0 ? (lens[e] as number) : d);
    for (let k = 0; k < 8; k++)
      out[off + 1 + k] = d < 0 ? (words[e * 8 + k] as number) : (words[e * 8 + k] as number) & prefixMask(k, d);
  };
  let sp = 0;
  for (let i = 0; i < u; i++) {
    const e = order[i] as number;
    join[sp] = i === 0 ? -1 : (lcps[i - 1] as number);
    ref[sp] = e;
    depth[sp] = -1;
    copy8(valueWords, e * 8, val, sp * 8);
    sp++;
    const boundary = i + 1 < u ? (lcps[i] as number) : -1;
    while (sp >= 2 && (join[sp - 1] as number) > boundary) {
      const a = sp - 2;
      const b = sp - 1;
      copy8(val, a * 8, h.inputs.values, 0);
      copy8(val, b * 8, h.inputs.values, 8);
      labelBlock(a, h.inputs.labels, 0);
      labelBlock(b, h.inputs.labels, 9);
      h.parent(val, a * 8);
      depth[a] = join[b] as number;
      sp--;
    }
  }
  return rootDigestOf(h, val, depth[0] as number, words[(ref[0] as number) * 8] as number, labelBlock);
}
