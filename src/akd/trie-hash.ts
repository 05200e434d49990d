// Root digest of akd's auditor-mode tree (akd/src/auditor.rs verify_append_only_hash: a fresh Azks
// with every element inserted as a leaf, InsertMode::Auditor) from labels in tree order, bottom-up
// in one pass with a stack, on 32-bit words, allocating nothing per node.
//
// The tree is the compressed binary trie of the labels: an interior node for each adjacent pair's
// common prefix, labelled with that prefix (bits beyond it zeroed, akd get_prefix), and the root
// (label length 0), which has one child when every label starts with the same bit. Leaves keep
// their label exactly as given (all 32 bytes are hashed).
import { BLAKE3_IV, ONE_BLOCK, compress, hashPadded } from './blake3.js';
import type { AkdHashing } from './configuration.js';
import { bswap32 } from './label-order.js';
import type { ProofElements } from './proof-codec.js';

/** Deepest stack: join depths strictly increase from -1 to at most 255, plus the new leaf. */
const STACK = 260;

/** Mask of the bytes of little-endian word `k` of a label that lie within its first `depth` bits. */
function prefixMask(k: number, depth: number): number {
  const start = k * 32;
  if (depth >= start + 32) return -1;
  if (depth <= start) return 0;
  const r = depth - start; // 1..31 bits of this word
  const fullBytes = r >>> 3;
  const partial = r & 7;
  let m = fullBytes === 0 ? 0 : (1 << (fullBytes * 8)) - 1;
  m |= ((0xff00 >>> partial) & 0xff) << (fullBytes * 8);
  return m;
}

/**
 * One proof's elements and the whole tree's shape: `order` (all elements in label order) and
 * `lcps[j]`, where `order[j]` and `order[j + 1]` part. Interior node j of the whole tree sits at
 * depth lcps[j] with the label prefix of order[j].
 */
export interface LeafInput {
  elements: ProofElements;
  labelWords: Uint32Array;
  valueWords: Uint32Array;
  endEpoch: bigint;
  order: Uint32Array;
  lcps: Uint16Array;
}

export abstract class TrieHasher {
  protected readonly join = new Int16Array(STACK);
  /** Index (in the whole tree's order) of the pair whose parting made `join`. */
  protected readonly joinPair = new Int32Array(STACK);
  protected readonly ref = new Int32Array(STACK);
  /** Depth of an interior node on the stack, or -1 for a leaf. */
  protected readonly depth = new Int16Array(STACK);
  protected labelWords: Uint32Array = new Uint32Array(0);
  protected lens: Uint16Array = new Uint16Array(0);

  /** Per-element leaf digests for both trees; call once per proof before `root`. */
  abstract prepare(input: LeafInput): void;
  protected abstract pushLeaf(slot: number, element: number): void;
  /**
   * Replace `slot` with the interior node at `depth` over children `slot` and `slot + 1`; it is the
   * whole tree's interior node `pair`.
   */
  protected abstract merge(slot: number, depth: number, pair: number): void;
  /** Root digest when the root has the single child in slot 0, on side `bit`. */
  protected abstract rootOverOneChild(bit: number, out: Uint8Array): void;
  /** Root digest when slot 0 is itself the root (an interior node at depth 0). */
  protected abstract rootFromSlot(out: Uint8Array): void;
  abstract emptyRoot(): Uint8Array;

  /** Drop references to the last proof's arrays (a pooled worker may idle for a long time). */
  release(): void {
    this.labelWords = new Uint32Array(0);
    this.lens = new Uint16Array(0);
    this.releaseArrays();
  }

  protected abstract releaseArrays(): void;

  /**
   * Root digest of the tree over elements `seq[0..m)` (label order), `lcps` between neighbours;
   * `pairs` maps each neighbour pair to the whole tree's pair index (null: seq is the whole order).
   */
  root(seq: Uint32Array, m: number, lcps: Uint16Array, pairs: Uint32Array | null): Uint8Array {
    const out = new Uint8Array(32);
    if (m === 0) {
      out.set(this.emptyRoot());
      return out;
    }
    const join = this.join;
    const joinPair = this.joinPair;
    const ref = this.ref;
    const depth = this.depth;
    let sp = 0;
    for (let i = 0; i < m; i++) {
      const e = seq[i] as number;
      join[sp] = i === 0 ? -1 : (lcps[i - 1] as number);
      joinPair[sp] = i === 0 ? -1 : pairs === null ? i - 1 : (pairs[i - 1] as number);
      ref[sp] = e;
      depth[sp] = -1;
      this.pushLeaf(sp, e);
      sp++;
      const boundary = i + 1 < m ? (lcps[i] as number) : -1;
      while (sp >= 2 && (join[sp - 1] as number) > boundary) {
        const d = join[sp - 1] as number;
        this.merge(sp - 2, d, joinPair[sp - 1] as number);
        depth[sp - 2] = d;
        sp--;
      }
    }
    this.finish(out);
    return out;
  }

  /**
   * Root digest of the tree over the elements below `limit` (the unchanged nodes: the start tree),
   * walking the whole order and skipping the others: the common prefix of two kept neighbours is
   * the minimum `lcps` between them, and that pair's interior node is theirs (label-order.ts
   * subsequenceBelow), found on the way instead of stored (10 bytes per element saved).
   */
  rootBelow(order: Uint32Array, count: number, lcps: Uint16Array, limit: number): Uint8Array {
    const out = new Uint8Array(32);
    if (limit === 0) {
      out.set(this.emptyRoot());
      return out;
    }
    const join = this.join;
    const joinPair = this.joinPair;
    const ref = this.ref;
    const depth = this.depth;
    let j = 0;
    while ((order[j] as number) >= limit) j++;
    let sp = 0;
    let prevJoin = -1;
    let prevPair = -1;
    for (let i = 0; i < limit; i++) {
      const e = order[j] as number;
      join[sp] = prevJoin;
      joinPair[sp] = prevPair;
      ref[sp] = e;
      depth[sp] = -1;
      this.pushLeaf(sp, e);
      sp++;
      let boundary = -1;
      let minAt = -1;
      if (i + 1 < limit) {
        let min = 257;
        do {
          const l = lcps[j] as number;
          if (l < min) {
            min = l;
            minAt = j;
          }
          j++;
        } while (j < count && (order[j] as number) >= limit);
        boundary = min;
      }
      while (sp >= 2 && (join[sp - 1] as number) > boundary) {
        const d = join[sp - 1] as number;
        this.merge(sp - 2, d, joinPair[sp - 1] as number);
        depth[sp - 2] = d;
        sp--;
      }
      prevJoin = boundary;
      prevPair = minAt;
    }
    this.finish(out);
    return out;
  }

  private finish(out: Uint8Array): void {
    if (this.depth[0] === 0) {
      this.rootFromSlot(out);
    } else {
      // Bit 0 of the child's label (an interior child's prefix has at least one bit).
      const first = (this.labelWords[(this.ref[0] as number) * 8] as number) & 0xff;
      this.rootOverOneChild(first >>> 7, out);
    }
  }
}

/**
 * whatsapp_v1: parent = H(H(left value || H(left label)) || H(right value || H(right label))) and
 * root digest = H(root value || H(root label)). Each node's half of its parent's input,
 * c = H(value || H(label bytes)), depends on the node alone, so it is kept per node: a leaf's c is
 * computed once for both trees, and the root digest is the c of a depth-0 interior node. Interior
 * label hashes are computed once per interior node of the whole tree, which holds the start
 * tree's interior nodes too.
 */
export class WhatsAppTrieHasher extends TrieHasher {
  private leafC: Uint32Array = new Uint32Array(0);
  private interiorLabelHash: Uint32Array = new Uint32Array(0);
  private readonly stackC = new Uint32Array(STACK * 8);
  private readonly block = new Uint32Array(16);
  private readonly tmp = new Uint32Array(8);
  /** c of a missing child: H(empty node hash || H(empty label)). */
  private readonly emptyC = new Uint32Array(8);
  /** H(to_bytes(root label)): label length 0, 32 zero bytes. */
  private readonly rootLabelHash = new Uint32Array(8);
  private readonly emptyRootDigest: Uint8Array;
  /** prepareInPlace: interior label hashes computed in merge, from these (no per-pair array). */
  private inline = false;
  private order: Uint32Array = new Uint32Array(0);
  private readonly labelBlock = new Uint32Array(16);

  constructor(hashing: AkdHashing) {
    super();
    const emptyNode = hashing.emptyNodeHash();
    const emptyLabelValue = hashing.labelValue(hashing.emptyLabel());
    const both = new Uint8Array(64);
    both.set(emptyNode, 0);
    both.set(emptyLabelValue, 32);
    this.emptyC.set(new Uint32Array(hashing.hash(both).buffer));
    const rootLabelBytes = new Uint32Array(16);
    hashPadded(rootLabelBytes, 36, this.rootLabelHash, 0);
    this.emptyRootDigest = hashing.rootHashFromValue(hashing.emptyRootValue());
  }

  emptyRoot(): Uint8Array {
    return this.emptyRootDigest;
  }

  protected releaseArrays(): void {
    this.leafC = new Uint32Array(0);
    this.interiorLabelHash = new Uint32Array(0);
    this.order = new Uint32Array(0);
    this.inline = false;
  }

  /**
   * Like prepare, in 64 fewer bytes per element (docs/akd.md "Where the bytes go"): each leaf's c
   * overwrites its value in `input.valueWords` (the proof's values are gone afterwards), and each
   * interior label hash is computed when its node is merged (the start tree's nodes twice: about
   * 13 % more hashing).
   */
  prepareInPlace(input: LeafInput): void {
    this.labelWords = input.labelWords;
    this.lens = input.elements.lens;
    this.leafC = input.valueWords;
    this.interiorLabelHash = new Uint32Array(0);
    this.order = input.order;
    this.inline = true;
    this.prepareLeaves(input, 0, input.elements.count);
  }

  prepare(input: LeafInput): void {
    this.inline = false;
    const n = input.elements.count;
    this.attach(input, new Uint32Array(n * 8), new Uint32Array(Math.max(0, n - 1) * 8));
    this.prepareLeaves(input, 0, n);
    this.prepareInteriors(input, 0, Math.max(0, n - 1));
  }

  /**
   * Use caller-supplied arrays for the per-leaf c (8 words per element) and the interior label
   * hashes (8 words per pair of the whole order): shared memory lets two threads fill them.
   */
  attach(input: LeafInput, leafC: Uint32Array, interiorLabelHash: Uint32Array): void {
    this.labelWords = input.labelWords;
    this.lens = input.elements.lens;
    this.leafC = leafC;
    this.interiorLabelHash = interiorLabelHash;
  }

  /** c of elements [lo, hi). */
  prepareLeaves(input: LeafInput, lo: number, hi: number): void {
    const { elements, labelWords, valueWords } = input;
    const leafC = this.leafC;
    const block = this.block;
    const tmp = this.tmp;
    const lens = elements.lens;
    const epochHi = bswap32(Number((input.endEpoch >> 32n) & 0xffffffffn));
    const epochLo = bswap32(Number(input.endEpoch & 0xffffffffn));
    for (let i = lo; i < hi; i++) {
      const o = i * 8;
      // Label hash: H(be32(label_len) || label_val), 36 bytes.
      block[0] = bswap32(lens[i] as number);
      for (let k = 0; k < 8; k++) block[1 + k] = labelWords[o + k] as number;
      for (let k = 9; k < 16; k++) block[k] = 0;
      compress(BLAKE3_IV, 0, block, 0, 36, ONE_BLOCK, tmp, 0);
      if (i >= elements.unchangedCount) {
        // Inserted: hash_leaf_with_commitment(value, end epoch) = H(value || be64(epoch)).
        for (let k = 0; k < 8; k++) block[k] = valueWords[o + k] as number;
        block[8] = epochHi;
        block[9] = epochLo;
        block[10] = 0;
        compress(BLAKE3_IV, 0, block, 0, 40, ONE_BLOCK, block, 0);
      } else {
        for (let k = 0; k < 8; k++) block[k] = valueWords[o + k] as number;
      }
      for (let k = 0; k < 8; k++) block[8 + k] = tmp[k] as number;
      compress(BLAKE3_IV, 0, block, 0, 64, ONE_BLOCK, leafC, o);
    }
  }

  /** Label hashes of the whole tree's interior nodes [lo, hi): H(be32(depth) || prefix of order[j]). */
  prepareInteriors(input: LeafInput, lo: number, hi: number): void {
    const { order, lcps, labelWords } = input;
    const lh = this.interiorLabelHash;
    const block = this.block;
    for (let k = 9; k < 16; k++) block[k] = 0;
    for (let j = lo; j < hi; j++) {
      const depth = lcps[j] as number;
      const lw = (order[j] as number) * 8;
      block[0] = bswap32(depth);
      for (let k = 0; k < 8; k++) block[1 + k] = (labelWords[lw + k] as number) & prefixMask(k, depth);
      compress(BLAKE3_IV, 0, block, 0, 36, ONE_BLOCK, lh, j * 8);
    }
  }

  protected pushLeaf(slot: number, element: number): void {
    const c = this.leafC;
    const s = this.stackC;
    const o = element * 8;
    const so = slot * 8;
    for (let k = 0; k < 8; k++) s[so + k] = c[o + k] as number;
  }

  protected merge(slot: number, depth: number, pair: number): void {
    const s = this.stackC;
    const block = this.block;
    const so = slot * 8;
    // Interior value: H(c(left) || c(right)); the two are adjacent on the stack.
    compress(BLAKE3_IV, 0, s, so, 64, ONE_BLOCK, block, 0);
    // c = H(value || H(label)), the label hash computed in prepare() or here.
    if (this.inline) {
      const lb = this.labelBlock;
      const lw = (this.order[pair] as number) * 8;
      const words = this.labelWords;
      lb[0] = bswap32(depth);
      for (let k = 0; k < 8; k++) lb[1 + k] = (words[lw + k] as number) & prefixMask(k, depth);
      compress(BLAKE3_IV, 0, lb, 0, 36, ONE_BLOCK, block, 8);
    } else {
      const lh = this.interiorLabelHash;
      const lo = pair * 8;
      for (let k = 0; k < 8; k++) block[8 + k] = lh[lo + k] as number;
    }
    compress(BLAKE3_IV, 0, block, 0, 64, ONE_BLOCK, s, so);
  }

  protected rootFromSlot(out: Uint8Array): void {
    const w = new Uint32Array(out.buffer, out.byteOffset, 8);
    for (let k = 0; k < 8; k++) w[k] = this.stackC[k] as number;
  }

  protected rootOverOneChild(bit: number, out: Uint8Array): void {
    const block = this.block;
    const childAt = bit === 0 ? 0 : 8;
    const emptyAt = bit === 0 ? 8 : 0;
    for (let k = 0; k < 8; k++) {
      block[childAt + k] = this.stackC[k] as number;
      block[emptyAt + k] = this.emptyC[k] as number;
    }
    compress(BLAKE3_IV, 0, block, 0, 64, ONE_BLOCK, block, 0);
    for (let k = 0; k < 8; k++) block[8 + k] = this.rootLabelHash[k] as number;
    compress(BLAKE3_IV, 0, block, 0, 64, ONE_BLOCK, new Uint32Array(out.buffer, out.byteOffset, 8), 0);
  }
}

/**
 * experimental: H(x) = BLAKE3(domain label || x); parent = H(left value || left label bytes ||
 * right value || right label bytes) with label bytes = be32(label_len) || label_val; the root
 * digest is the root's value; a missing child is 32 zero bytes with label (len 0, 0x01 00…).
 */
export class ExperimentalTrieHasher extends TrieHasher {
  private leafV = new Uint32Array(0);
  private labelBytes: Uint8Array = new Uint8Array(0);
  private readonly stackV = new Uint32Array(STACK * 8);
  private readonly stackVBytes = new Uint8Array(this.stackV.buffer);
  private readonly msg: Uint8Array;
  private readonly msgWords: Uint32Array;
  private readonly dom: number;
  private readonly emptyRootDigest: Uint8Array;

  constructor(hashing: AkdHashing) {
    super();
    this.dom = hashing.domainLabel.length;
    // Domain label + the largest item (136 bytes), padded to whole blocks.
    const size = Math.ceil((this.dom + 136) / 64) * 64;
    this.msg = new Uint8Array(size);
    this.msgWords = new Uint32Array(this.msg.buffer);
    this.msg.set(hashing.domainLabel);
    this.emptyRootDigest = hashing.rootHashFromValue(hashing.emptyRootValue());
  }

  emptyRoot(): Uint8Array {
    return this.emptyRootDigest;
  }

  protected releaseArrays(): void {
    this.leafV = new Uint32Array(0);
    this.labelBytes = new Uint8Array(0);
  }

  /** Hash msg[0 .. dom + itemLen) after zeroing the padding of its last block. */
  private hashMsg(itemLen: number, out: Uint32Array, outOff: number): void {
    const len = this.dom + itemLen;
    this.msg.fill(0, len, Math.max(64, (len + 63) & ~63));
    if (len > 1024) throw new RangeError('experimental domain label too long (over 888 bytes)');
    hashPadded(this.msgWords, len, out, outOff);
  }

  prepare(input: LeafInput): void {
    const { elements, labelWords, valueWords } = input;
    this.labelWords = labelWords;
    this.lens = elements.lens;
    this.labelBytes = elements.labels;
    const n = elements.count;
    const leafV = (this.leafV = new Uint32Array(n * 8));
    leafV.set(valueWords.subarray(0, n * 8));
    const msg = this.msg;
    const dom = this.dom;
    const epochBytes = new Uint8Array(8);
    new DataView(epochBytes.buffer).setBigUint64(0, BigInt.asUintN(64, input.endEpoch));
    const values = elements.values;
    for (let i = elements.unchangedCount; i < n; i++) {
      msg.set(values.subarray(i * 32, i * 32 + 32), dom);
      msg.set(epochBytes, dom + 32);
      this.hashMsg(40, leafV, i * 8);
    }
  }

  protected pushLeaf(slot: number, element: number): void {
    const v = this.leafV;
    const s = this.stackV;
    const o = element * 8;
    const so = slot * 8;
    for (let k = 0; k < 8; k++) s[so + k] = v[o + k] as number;
  }

  /** Write the label bytes of stack slot `slot` (leaf: as given; interior: masked) at msg[at..+36). */
  private writeLabel(slot: number, at: number): void {
    const msg = this.msg;
    const e = this.ref[slot] as number;
    const d = this.depth[slot] as number;
    const len = d < 0 ? (this.lens[e] as number) : d;
    msg[at] = len >>> 24;
    msg[at + 1] = (len >>> 16) & 0xff;
    msg[at + 2] = (len >>> 8) & 0xff;
    msg[at + 3] = len & 0xff;
    const src = this.labelBytes;
    const o = e * 32;
    if (d < 0) {
      for (let i = 0; i < 32; i++) msg[at + 4 + i] = src[o + i] as number;
      return;
    }
    const full = d >>> 3;
    for (let i = 0; i < full; i++) msg[at + 4 + i] = src[o + i] as number;
    for (let i = full; i < 32; i++) msg[at + 4 + i] = 0;
    if ((d & 7) !== 0) msg[at + 4 + full] = (src[o + full] as number) & (0xff00 >>> (d & 7)) & 0xff;
  }

  private writeValue(slot: number, at: number): void {
    const msg = this.msg;
    const sb = this.stackVBytes;
    const o = slot * 32;
    for (let i = 0; i < 32; i++) msg[at + i] = sb[o + i] as number;
  }

  protected merge(slot: number): void {
    const dom = this.dom;
    this.writeValue(slot, dom);
    this.writeLabel(slot, dom + 32);
    this.writeValue(slot + 1, dom + 68);
    this.writeLabel(slot + 1, dom + 100);
    this.hashMsg(136, this.stackV, slot * 8);
  }

  protected rootFromSlot(out: Uint8Array): void {
    out.set(this.stackVBytes.subarray(0, 32));
  }

  protected rootOverOneChild(bit: number, out: Uint8Array): void {
    const dom = this.dom;
    const msg = this.msg;
    const childAt = bit === 0 ? dom : dom + 68;
    const emptyAt = bit === 0 ? dom + 68 : dom;
    this.writeValue(0, childAt);
    this.writeLabel(0, childAt + 32);
    msg.fill(0, emptyAt, emptyAt + 68);
    msg[emptyAt + 36] = 1; // empty label: length 0, label_val 0x01 00 … 00
    const w = new Uint32Array(8);
    this.hashMsg(136, w, 0);
    out.set(new Uint8Array(w.buffer));
  }
}

export function trieHasherFor(hashing: AkdHashing): TrieHasher {
  return hashing.name === 'whatsapp_v1' ? new WhatsAppTrieHasher(hashing) : new ExperimentalTrieHasher(hashing);
}
