// akd's parent and leaf hashes on 32-bit words, for the directory tree (generator). The verifier
// has its own specialised loop (trie-hash.ts); tests check both against configuration.ts.
import { BLAKE3_IV, ONE_BLOCK, compress, hashPadded } from './blake3.js';
import type { AkdHashing } from './configuration.js';
import { bswap32 } from './label-order.js';

/**
 * Inputs of one parent hash, filled by the caller: `values` holds the left then the right child's
 * value (8 words each, a leaf's already bound to its epoch) and `labels` the left then the right
 * child's label block (9 words each: big-endian label length, then the 32 label bytes).
 */
export interface ParentInputs {
  readonly values: Uint32Array; // 16 words
  readonly labels: Uint32Array; // 18 words
}

export abstract class NodeHasher {
  readonly inputs: ParentInputs = { values: new Uint32Array(16), labels: new Uint32Array(18) };
  /** Value and label block of a missing child. */
  readonly emptyValue = new Uint32Array(8);
  readonly emptyLabel = new Uint32Array(9);

  constructor(hashing: AkdHashing) {
    this.emptyValue.set(new Uint32Array(hashing.emptyNodeHash().slice().buffer));
    const el = hashing.emptyLabel();
    this.emptyLabel[0] = bswap32(el.len);
    this.emptyLabel.set(new Uint32Array(el.val.slice().buffer), 1);
  }

  /** compute_parent_hash_from_children over `this.inputs`, into out[outOff..+8]. */
  abstract parent(out: Uint32Array, outOff: number): void;
  /** hash_leaf_with_commitment(commitment words at src[off..+8], epoch) into out[outOff..+8]. */
  abstract leafWithEpoch(src: Uint32Array, off: number, epoch: number, out: Uint32Array, outOff: number): void;
  /** compute_root_hash_from_val. */
  abstract rootDigest(rootValue: Uint32Array, off: number): Uint8Array;
}

class WhatsAppNodeHasher extends NodeHasher {
  private readonly block = new Uint32Array(16);
  private readonly pair = new Uint32Array(16);
  private readonly rootLabelHash = new Uint32Array(8);

  constructor(hashing: AkdHashing) {
    super(hashing);
    hashPadded(new Uint32Array(16), 36, this.rootLabelHash, 0);
  }

  /** H(value || H(label bytes)) for child `side` into pair[side*8..]. */
  private half(side: number): void {
    const b = this.block;
    const { values, labels } = this.inputs;
    for (let k = 0; k < 9; k++) b[k] = labels[side * 9 + k] as number;
    for (let k = 9; k < 16; k++) b[k] = 0;
    compress(BLAKE3_IV, 0, b, 0, 36, ONE_BLOCK, b, 8);
    for (let k = 0; k < 8; k++) b[k] = values[side * 8 + k] as number;
    compress(BLAKE3_IV, 0, b, 0, 64, ONE_BLOCK, this.pair, side * 8);
  }

  parent(out: Uint32Array, outOff: number): void {
    this.half(0);
    this.half(1);
    compress(BLAKE3_IV, 0, this.pair, 0, 64, ONE_BLOCK, out, outOff);
  }

  leafWithEpoch(src: Uint32Array, off: number, epoch: number, out: Uint32Array, outOff: number): void {
    const b = this.block;
    for (let k = 0; k < 8; k++) b[k] = src[off + k] as number;
    b[8] = bswap32(Math.floor(epoch / 2 ** 32));
    b[9] = bswap32(epoch >>> 0);
    for (let k = 10; k < 16; k++) b[k] = 0;
    compress(BLAKE3_IV, 0, b, 0, 40, ONE_BLOCK, out, outOff);
  }

  rootDigest(rootValue: Uint32Array, off: number): Uint8Array {
    const b = this.block;
    for (let k = 0; k < 8; k++) {
      b[k] = rootValue[off + k] as number;
      b[8 + k] = this.rootLabelHash[k] as number;
    }
    const out = new Uint32Array(8);
    compress(BLAKE3_IV, 0, b, 0, 64, ONE_BLOCK, out, 0);
    return new Uint8Array(out.buffer);
  }
}

class ExperimentalNodeHasher extends NodeHasher {
  private readonly dom: number;
  private readonly msg: Uint8Array;
  private readonly msgWords: Uint32Array;
  private readonly valueBytes: Uint8Array;
  private readonly labelBytes: Uint8Array;

  constructor(hashing: AkdHashing) {
    super(hashing);
    this.dom = hashing.domainLabel.length;
    if (this.dom + 136 > 1024) throw new RangeError('experimental domain label too long (over 888 bytes)');
    this.msg = new Uint8Array(Math.ceil((this.dom + 136) / 64) * 64);
    this.msgWords = new Uint32Array(this.msg.buffer);
    this.msg.set(hashing.domainLabel);
    this.valueBytes = new Uint8Array(this.inputs.values.buffer);
    this.labelBytes = new Uint8Array(this.inputs.labels.buffer);
  }

  private hashMsg(itemLen: number, out: Uint32Array, outOff: number): void {
    const len = this.dom + itemLen;
    this.msg.fill(0, len, Math.max(64, (len + 63) & ~63));
    hashPadded(this.msgWords, len, out, outOff);
  }

  parent(out: Uint32Array, outOff: number): void {
    const m = this.msg;
    const d = this.dom;
    m.set(this.valueBytes.subarray(0, 32), d);
    m.set(this.labelBytes.subarray(0, 36), d + 32);
    m.set(this.valueBytes.subarray(32, 64), d + 68);
    m.set(this.labelBytes.subarray(36, 72), d + 100);
    this.hashMsg(136, out, outOff);
  }

  leafWithEpoch(src: Uint32Array, off: number, epoch: number, out: Uint32Array, outOff: number): void {
    const m = this.msg;
    const d = this.dom;
    m.set(new Uint8Array(src.buffer, src.byteOffset + off * 4, 32), d);
    const view = new DataView(m.buffer);
    view.setUint32(d + 32, Math.floor(epoch / 2 ** 32));
    view.setUint32(d + 36, epoch >>> 0);
    this.hashMsg(40, out, outOff);
  }

  rootDigest(rootValue: Uint32Array, off: number): Uint8Array {
    return new Uint8Array(rootValue.slice(off, off + 8).buffer);
  }
}

export function nodeHasherFor(hashing: AkdHashing): NodeHasher {
  return hashing.name === 'whatsapp_v1' ? new WhatsAppNodeHasher(hashing) : new ExperimentalNodeHasher(hashing);
}
