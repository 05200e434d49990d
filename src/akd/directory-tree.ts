// A directory-side AKD tree: akd's `Azks::batch_insert_nodes` in InsertMode::Directory and
// `get_append_only_proof` (akd/src/append_only_zks.rs, akd/src/tree_node.rs), for the demo log,
// the benchmarks and the tests. It keeps only the latest version of each node (akd also keeps the
// previous one, which its proofs never read) in flat typed arrays: about 140 bytes per leaf.
import { formatBlobName } from './blob-name.js';
import {
  resolveConfiguration,
  type AkdConfiguration,
  type AkdConfigurationName,
  type AkdHashing,
} from './configuration.js';
import { ChorusError } from '../util/errors.js';
import { bswap32, commonPrefixWords, sortLabels } from './label-order.js';
import { nodeHasherFor, type NodeHasher } from './node-hasher.js';
import { allocateElements, encodeSingleAppendOnlyProof, type ProofElements } from './proof-codec.js';

const ROOT = 0;
const LEAF = 1;
const INTERIOR = 2;
const NONE = -1;
/** Epochs live in Uint32Arrays: a synthetic log stops at 2^32-1 epochs. */
const MAX_EPOCH = 0xffffffff;

/** A batch of new leaves: `labels` and `values` (commitments) are 32 bytes per leaf. */
export interface LeafBatch {
  labels: Uint8Array;
  values: Uint8Array;
}

export interface PublishedEpoch {
  epoch: bigint;
  previousHash: Uint8Array;
  currentHash: Uint8Array;
  /** "{epoch}/{previous_hex}/{current_hex}", the proof's key in a proof directory. */
  blobName: string;
  /** The SingleAppendOnlyProof of `previous → current`, as akd encodes it. */
  proof: Uint8Array;
  inserted: number;
  unchanged: number;
}

export class DirectoryTreeError extends ChorusError {
  constructor(message: string) {
    super('akd-tree', message);
  }
}

/** 32-bit words over bytes, without a copy when they are aligned (a batch can be 64 MB). */
function wordView(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  return new Uint32Array(bytes.slice().buffer);
}

function grow<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(a: T, size: number): T {
  const out = new (a.constructor as new (n: number) => T)(size);
  out.set(a);
  return out;
}

export class AkdDirectoryTree {
  readonly hashing: AkdHashing;
  private readonly hasher: NodeHasher;
  private latest = 0;

  // Nodes (index 0 is the root).
  private nodeCount = 0;
  private kind: Uint8Array;
  private len: Uint16Array;
  private left: Int32Array;
  private right: Int32Array;
  private lastEpoch: Uint32Array;
  private minDescendant: Uint32Array;
  /** Leaf slot whose label this node's label is a prefix of (its own, for a leaf). */
  private ref: Int32Array;
  /** Leaf: its commitment. Root and interior: compute_parent_hash_from_children. */
  private value: Uint32Array;

  // Leaf labels, by leaf slot.
  private leafCount = 0;
  private leafLabels: Uint32Array;

  // Scratch for one batch.
  private order: Uint32Array = new Uint32Array(0);
  private epoch = 0;
  private readonly tmp = new Uint32Array(8);

  constructor(
    configuration: AkdConfiguration | AkdConfigurationName | AkdHashing,
    options: { expectedLeaves?: number } = {},
  ) {
    this.hashing =
      typeof configuration === 'object' && 'hash' in configuration
        ? configuration
        : resolveConfiguration(configuration);
    this.hasher = nodeHasherFor(this.hashing);
    const leaves = Math.max(16, options.expectedLeaves ?? 1024);
    const nodes = leaves * 2;
    this.kind = new Uint8Array(nodes);
    this.len = new Uint16Array(nodes);
    this.left = new Int32Array(nodes);
    this.right = new Int32Array(nodes);
    this.lastEpoch = new Uint32Array(nodes);
    this.minDescendant = new Uint32Array(nodes);
    this.ref = new Int32Array(nodes);
    this.value = new Uint32Array(nodes * 8);
    this.leafLabels = new Uint32Array(leaves * 8);
    // akd `new_root_node`: label (0, zeros), epoch 0, value empty_root_value.
    const root = this.newNode(ROOT, 0, NONE, 0);
    this.minDescendant[root] = 0;
    this.value.set(new Uint32Array(this.hashing.emptyRootValue().slice().buffer), root * 8);
  }

  /** The latest published epoch (0 for the empty tree). */
  get latestEpoch(): bigint {
    return BigInt(this.latest);
  }

  get leaves(): number {
    return this.leafCount;
  }

  get nodes(): number {
    return this.nodeCount;
  }

  /** Root digest at the latest epoch (akd `get_root_hash`). */
  rootHash(): Uint8Array {
    return this.hasher.rootDigest(this.value, ROOT * 8);
  }

  private newNode(kind: number, len: number, ref: number, epoch: number): number {
    if (this.nodeCount === this.kind.length) {
      const n = this.kind.length * 2;
      this.kind = grow(this.kind, n);
      this.len = grow(this.len, n);
      this.left = grow(this.left, n);
      this.right = grow(this.right, n);
      this.lastEpoch = grow(this.lastEpoch, n);
      this.minDescendant = grow(this.minDescendant, n);
      this.ref = grow(this.ref, n);
      this.value = grow(this.value, n * 8);
    }
    const i = this.nodeCount++;
    this.kind[i] = kind;
    this.len[i] = len;
    this.left[i] = NONE;
    this.right[i] = NONE;
    this.lastEpoch[i] = epoch;
    this.minDescendant[i] = epoch;
    this.ref[i] = ref;
    return i;
  }

  /** Bit `index` of leaf slot `slot`'s label. */
  private bit(slot: number, index: number): number {
    const w = this.leafLabels[slot * 8 + (index >>> 5)] as number;
    const byte = (w >>> (((index >>> 3) & 3) * 8)) & 0xff;
    return (byte >>> (7 - (index & 7))) & 1;
  }

  /**
   * Publish the next epoch: insert `batch` (new 256-bit labels), then return the new root and
   * the append-only proof of the transition, as akd's `Directory::publish` and
   * `get_append_only_proof(epoch - 1, epoch)` would.
   */
  publish(batch: LeafBatch): PublishedEpoch {
    const previousHash = this.rootHash();
    const k = this.insert(batch);
    const currentHash = this.rootHash();
    const elements = this.appendOnlyElements(this.latest - 1);
    const proof = encodeSingleAppendOnlyProof(elements);
    const epoch = BigInt(this.latest);
    return {
      epoch,
      previousHash,
      currentHash,
      blobName: formatBlobName({ epoch, previousHash, currentHash }),
      proof,
      inserted: k,
      unchanged: elements.unchangedCount,
    };
  }

  /** `batch_insert_nodes` (Directory mode) for a batch of new leaves; returns how many. */
  insert(batch: LeafBatch): number {
    const k = batch.labels.length / 32;
    if (!Number.isInteger(k) || batch.values.length !== batch.labels.length) {
      throw new DirectoryTreeError('a batch needs 32 bytes of label and 32 bytes of value per leaf');
    }
    if (k === 0) throw new DirectoryTreeError('an epoch must insert at least one leaf (akd cannot prove an empty one)');
    if (this.latest >= MAX_EPOCH) throw new DirectoryTreeError('epoch counter exhausted');

    // New leaf slots, sorted by label.
    const first = this.leafCount;
    while (this.leafLabels.length < (first + k) * 8)
      this.leafLabels = grow(this.leafLabels, this.leafLabels.length * 2);
    this.leafLabels.set(wordView(batch.labels), first * 8);
    this.leafCount += k;
    const batchWords = this.leafLabels.subarray(first * 8, (first + k) * 8);
    const order = sortLabels(batchWords, new Uint16Array(k).fill(256), k);
    for (let j = 0; j < k; j++) order[j] = (order[j] as number) + first;
    for (let j = 0; j + 1 < k; j++) {
      if (commonPrefixWords(this.leafLabels, order[j] as number, order[j + 1] as number) === 256) {
        this.leafCount = first;
        throw new DirectoryTreeError('the batch has the same label twice');
      }
    }
    for (let j = 0; j < k; j++) {
      if (this.containsLeaf(first + j)) {
        this.leafCount = first;
        throw new DirectoryTreeError('a label of the batch is already in the tree');
      }
    }
    const values = wordView(batch.values);
    this.order = order;
    this.epoch = this.latest + 1;
    this.insertAt(ROOT, 0, k, values, first);
    this.latest = this.epoch;
    return k;
  }

  /** Whether the label of leaf slot `slot` is already a leaf of the tree. */
  private containsLeaf(slot: number): boolean {
    let node = this.left[ROOT] as number;
    if (this.bit(slot, 0) === 1) node = this.right[ROOT] as number;
    while (node !== NONE && this.kind[node] !== LEAF) {
      node = (this.bit(slot, this.len[node] as number) === 0 ? this.left[node] : this.right[node]) as number;
    }
    return node !== NONE && commonPrefixWords(this.leafLabels, this.ref[node] as number, slot) === 256;
  }

  /** First index in order[lo..hi) whose label has bit `depth` set (they are sorted). */
  private split(lo: number, hi: number, depth: number): number {
    let a = lo;
    let b = hi;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (this.bit(this.order[m] as number, depth) === 0) a = m + 1;
      else b = m;
    }
    return a;
  }

  /** akd `set_child`: link `child` under `parent` and update the parent's epochs. */
  private setChild(parent: number, child: number, side: number): void {
    if (side === 0) this.left[parent] = child;
    else this.right[parent] = child;
    const le = this.lastEpoch;
    if ((le[child] as number) > (le[parent] as number)) le[parent] = le[child] as number;
    const md = this.minDescendant;
    const c = md[child] as number;
    if (md[parent] === 0 || c < (md[parent] as number)) md[parent] = c;
  }

  /**
   * akd `recursive_batch_insert_nodes` for order[lo..hi) under `node` (NONE: no node there yet).
   * Returns the node now at that place.
   */
  private insertAt(node: number, lo: number, hi: number, values: Uint32Array, first: number): number {
    const order = this.order;
    const words = this.leafLabels;
    if (node === NONE) {
      if (hi - lo === 1) {
        const slot = order[lo] as number;
        const leaf = this.newNode(LEAF, 256, slot, this.epoch);
        this.value.set(values.subarray((slot - first) * 8, (slot - first) * 8 + 8), leaf * 8);
        return leaf;
      }
      // A new interior node at the batch's longest common prefix (sorted: first vs last).
      const depth = commonPrefixWords(words, order[lo] as number, order[hi - 1] as number);
      const n = this.newNode(INTERIOR, depth, order[lo] as number, this.epoch);
      const mid = this.split(lo, hi, depth);
      this.setChild(n, this.insertAt(NONE, lo, mid, values, first), 0);
      this.setChild(n, this.insertAt(NONE, mid, hi, values, first), 1);
      this.updateHash(n);
      return n;
    }
    const nodeLen = this.len[node] as number;
    const nodeRef = this.ref[node] as number;
    let common = nodeLen;
    if (nodeLen > 0) {
      const setCommon = hi - lo === 1 ? 256 : commonPrefixWords(words, order[lo] as number, order[hi - 1] as number);
      const withNode = commonPrefixWords(words, nodeRef, order[lo] as number);
      common = Math.min(nodeLen, setCommon, withNode);
    }
    if (common < nodeLen) {
      // Case 1a: push the existing node down under a new interior node at the common prefix.
      const n = this.newNode(INTERIOR, common, nodeRef, this.epoch);
      const existingSide = this.bit(nodeRef, common);
      this.setChild(n, node, existingSide);
      const mid = this.split(lo, hi, common);
      if (existingSide === 0) {
        if (mid > lo) this.setChild(n, this.insertAt(node, lo, mid, values, first), 0);
        this.setChild(n, this.insertAt(NONE, mid, hi, values, first), 1);
      } else {
        this.setChild(n, this.insertAt(NONE, lo, mid, values, first), 0);
        if (hi > mid) this.setChild(n, this.insertAt(node, mid, hi, values, first), 1);
      }
      this.updateHash(n);
      return n;
    }
    if (this.kind[node] === LEAF) {
      // Unreachable: insert() refuses labels already in the tree (akd would keep the old leaf).
      throw new DirectoryTreeError('internal: a label of the batch is already in the tree');
    }
    // Case 1b: the node's label prefixes every new label; descend by the next bit.
    const mid = this.split(lo, hi, nodeLen);
    if (mid > lo) this.setChild(node, this.insertAt(this.left[node] as number, lo, mid, values, first), 0);
    if (hi > mid) this.setChild(node, this.insertAt(this.right[node] as number, mid, hi, values, first), 1);
    this.updateHash(node);
    return node;
  }

  /** Fill a child's value (leaf: bound to its epoch) and label block into the hasher's inputs. */
  private loadChild(child: number, side: number): void {
    const { values, labels } = this.hasher.inputs;
    if (child === NONE) {
      values.set(this.hasher.emptyValue, side * 8);
      labels.set(this.hasher.emptyLabel, side * 9);
      return;
    }
    if (this.kind[child] === LEAF) {
      this.hasher.leafWithEpoch(this.value, child * 8, this.lastEpoch[child] as number, values, side * 8);
    } else {
      values.set(this.value.subarray(child * 8, child * 8 + 8), side * 8);
    }
    this.labelBlock(child, labels, side * 9);
  }

  /** be32(label_len) then the label bytes (an interior node's: its ref's first len bits). */
  private labelBlock(node: number, out: Uint32Array, off: number): void {
    const len = this.len[node] as number;
    const lo = (this.ref[node] as number) * 8;
    out[off] = bswap32(len);
    for (let k = 0; k < 8; k++) {
      let w = this.leafLabels[lo + k] as number;
      const start = k * 32;
      if (len <= start) w = 0;
      else if (len < start + 32) {
        const r = len - start;
        const fullBytes = r >>> 3;
        let m = fullBytes === 0 ? 0 : (1 << (fullBytes * 8)) - 1;
        m |= ((0xff00 >>> (r & 7)) & 0xff) << (fullBytes * 8);
        w &= m;
      }
      out[off + 1 + k] = w;
    }
  }

  /** akd `update_hash` (WithLeafEpoch) for a root or interior node. */
  private updateHash(node: number): void {
    this.loadChild(this.left[node] as number, 0);
    this.loadChild(this.right[node] as number, 1);
    this.hasher.parent(this.value, node * 8);
  }

  /**
   * `get_append_only_proof_helper` for the transition `start → start + 1` over the latest tree
   * (as akd does, also when asked later): nodes last changed at or before `start` are unchanged
   * (a leaf's value bound to its epoch), leaves born in the transition are inserted (their
   * commitment), subtrees born after it are left out. Left before right, as akd without threads.
   */
  appendOnlyElements(start: number): ProofElements {
    const end = start + 1;
    const unchanged: number[] = [];
    const inserted: number[] = [];
    const le = this.lastEpoch;
    const md = this.minDescendant;
    const visit = (node: number): void => {
      if ((le[node] as number) <= start) {
        if (this.kind[node] !== ROOT) unchanged.push(node);
        return;
      }
      if ((md[node] as number) > end) return;
      if (this.kind[node] === LEAF) {
        inserted.push(node);
        return;
      }
      const l = this.left[node] as number;
      const r = this.right[node] as number;
      if (l !== NONE) visit(l);
      if (r !== NONE) visit(r);
    };
    visit(ROOT);
    const out = allocateElements(unchanged.length, inserted.length);
    const labelWords = new Uint32Array(out.labels.buffer);
    const valueWords = new Uint32Array(out.values.buffer);
    const block = new Uint32Array(9);
    const put = (node: number, i: number, bindEpoch: boolean): void => {
      this.labelBlock(node, block, 0);
      labelWords.set(block.subarray(1, 9), i * 8);
      out.lens[i] = this.len[node] as number;
      if (bindEpoch && this.kind[node] === LEAF) {
        this.hasher.leafWithEpoch(this.value, node * 8, le[node] as number, valueWords, i * 8);
      } else {
        valueWords.set(this.value.subarray(node * 8, node * 8 + 8), i * 8);
      }
    };
    unchanged.forEach((node, i) => put(node, i, true));
    inserted.forEach((node, i) => put(node, unchanged.length + i, false));
    return out;
  }

  /** The proof of `start → start + 1` (start < latest epoch), encoded as akd does. */
  appendOnlyProof(start: bigint): Uint8Array {
    if (start < 0n || start >= BigInt(this.latest)) {
      throw new DirectoryTreeError(`no transition from epoch ${start} (latest epoch ${this.latest})`);
    }
    return encodeSingleAppendOnlyProof(this.appendOnlyElements(Number(start)));
  }

  /** A copy of the stored value of the node with `label`/`len` (tests compare akd's fixtures). */
  nodeValue(label: Uint8Array, len: number): { value: Uint8Array; lastEpoch: number } | null {
    const words = new Uint32Array(label.slice().buffer);
    let node = ROOT;
    for (;;) {
      const nl = this.len[node] as number;
      if (nl === len) {
        const block = new Uint32Array(9);
        this.labelBlock(node, block, 0);
        for (let k = 0; k < 8; k++) if (block[1 + k] !== words[k]) return null;
        return {
          value: new Uint8Array(this.value.slice(node * 8, node * 8 + 8).buffer),
          lastEpoch: this.lastEpoch[node] as number,
        };
      }
      if (nl > len || this.kind[node] === LEAF) return null;
      const byte = label[nl >>> 3] as number;
      const next = ((byte >>> (7 - (nl & 7))) & 1) === 0 ? this.left[node] : this.right[node];
      if (next === undefined || next === NONE) return null;
      node = next;
    }
  }
}
