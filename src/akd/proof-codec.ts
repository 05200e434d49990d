// akd's SingleAppendOnlyProof / AppendOnlyProof protobuf messages (akd_core/src/proto/specs/
// types.proto) decoded as akd_core's converters do, into flat typed arrays:
//   NodeLabel { optional bytes label_val = 1; optional uint32 label_len = 2; }
//   AzksElement { optional NodeLabel label = 1; optional bytes value = 2; }
//   SingleAppendOnlyProof { repeated AzksElement inserted = 1; repeated AzksElement unchanged_nodes = 2; }
//   AppendOnlyProof { repeated SingleAppendOnlyProof proofs = 1; repeated uint64 epochs = 2; }
// Converter rules (akd_core/src/proto/mod.rs): every field present; label_val at most 32 bytes,
// zero-padded to 32 (akd writes it with trailing zero bytes cut); label_len at most 256; value
// exactly 32 bytes. Unknown fields are skipped; a repeated sub-message merges, as protobuf says.
import { AkdDecodeError, type AkdDecodeReason } from './errors.js';
import { MAX_LABEL_LEN, type NodeLabel } from './node-label.js';
import { WIRE_LEN, WIRE_VARINT, WireReader, varintSize, writeVarint, writeVarint64 } from './protobuf.js';

/**
 * The elements of one SingleAppendOnlyProof, flat: element i has label value
 * `labels[32i..32i+32)`, label length `lens[i]` and value `values[32i..32i+32)`. Elements
 * `[0, unchangedCount)` are `unchanged_nodes` and `[unchangedCount, count)` are `inserted`, each list
 * in wire order. Both byte arrays start at offset 0 of their own buffer (word views are free).
 */
export interface ProofElements {
  readonly count: number;
  readonly unchangedCount: number;
  readonly insertedCount: number;
  readonly labels: Uint8Array;
  readonly lens: Uint16Array;
  readonly values: Uint8Array;
}

export interface AzksElement {
  label: NodeLabel;
  value: Uint8Array; // 32 bytes
}

export interface SingleAppendOnlyProof {
  inserted: AzksElement[];
  unchangedNodes: AzksElement[];
}

export interface AppendOnlyProof {
  proofs: ProofElements[];
  epochs: bigint[];
}

const FIELD_1_LEN = (1 << 3) | WIRE_LEN; // 0x0a
const FIELD_2_LEN = (2 << 3) | WIRE_LEN; // 0x12
const FIELD_2_VARINT = (2 << 3) | WIRE_VARINT; // 0x10

/**
 * The shortest valid AzksElement: label { label_val: empty, label_len } (6 bytes with its tag and
 * length) and the 32-byte value (34). A shorter one is invalid whatever it holds, so a blob with
 * one is decoded through a single scratch slot, only to find akd's first error: a hostile blob of
 * tiny elements (2 bytes each) must not make us allocate 66 bytes per element.
 */
export const MIN_ELEMENT_BYTES = 40;

export function emptyProofElements(): ProofElements {
  return allocateElements(0, 0);
}

/** Zeroed arrays for the elements; `shared` puts them in SharedArrayBuffers (for a second thread). */
export function allocateElements(unchangedCount: number, insertedCount: number, shared = false): ProofElements {
  const count = unchangedCount + insertedCount;
  const buffer = (n: number): ArrayBuffer | SharedArrayBuffer =>
    shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n);
  return {
    count,
    unchangedCount,
    insertedCount,
    labels: new Uint8Array(buffer(count * 32)),
    lens: new Uint16Array(buffer(count * 2)),
    values: new Uint8Array(buffer(count * 32)),
  };
}

/**
 * Grow-only buffers for decoded elements, reused from one proof to the next (a pool worker): a
 * fresh allocation per job would leave the previous job's arrays as garbage that V8 has not yet
 * collected when the next one allocates, doubling the peak (docs/akd.md "Where the bytes go").
 * Only one proof decoded through an arena may be in use at a time.
 */
export class ElementArena {
  private labels = new ArrayBuffer(0);
  private lens = new ArrayBuffer(0);
  private values = new ArrayBuffer(0);

  /** Bytes held. */
  get bytes(): number {
    return this.labels.byteLength + this.lens.byteLength + this.values.byteLength;
  }

  /** Zeroed arrays for the elements (views on the arena's buffers, which grow when needed). */
  take(unchangedCount: number, insertedCount: number): ProofElements {
    const count = unchangedCount + insertedCount;
    if (this.lens.byteLength < count * 2) {
      // Drop the old buffers first, so old and new are never both needed.
      this.release();
      this.labels = new ArrayBuffer(count * 32);
      this.lens = new ArrayBuffer(count * 2);
      this.values = new ArrayBuffer(count * 32);
    }
    const out = {
      count,
      unchangedCount,
      insertedCount,
      labels: new Uint8Array(this.labels, 0, count * 32),
      lens: new Uint16Array(this.lens, 0, count),
      values: new Uint8Array(this.values, 0, count * 32),
    };
    out.labels.fill(0);
    out.lens.fill(0);
    out.values.fill(0);
    return out;
  }

  /** Let the buffers go (an idle worker should not hold a Messenger proof's worth of memory). */
  release(): void {
    this.labels = new ArrayBuffer(0);
    this.lens = new ArrayBuffer(0);
    this.values = new ArrayBuffer(0);
  }
}

export interface PendingError {
  reason: AkdDecodeReason;
  message: string;
  offset: number;
}

export interface DecodeOptions {
  /** Offset of `bytes` in an enclosing message, for error offsets. */
  base?: number;
  /** Decode into SharedArrayBuffers. */
  shared?: boolean;
  /** Decode into these reusable buffers (not with `shared`). */
  arena?: ElementArena;
}

/** The arrays a decoder fills: from the arena if there is one. */
export function elementsFor(
  unchanged: number,
  inserted: number,
  options: { shared?: boolean; arena?: ElementArena },
): ProofElements {
  if (options.arena !== undefined && options.shared !== true) return options.arena.take(unchanged, inserted);
  return allocateElements(unchanged, inserted, options.shared === true);
}

/** Decode a SingleAppendOnlyProof blob. Throws AkdDecodeError, as akd's AuditBlob::decode fails. */
export function decodeSingleAppendOnlyProof(bytes: Uint8Array, options: DecodeOptions = {}): ProofElements {
  const base = options.base ?? 0;
  // Pass 1: the top level only, to count each list and size the arrays exactly.
  const r = new WireReader(bytes, base);
  let inserted = 0;
  let unchanged = 0;
  let tooShort = false;
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1 || field === 2) {
      if ((tag & 7) !== WIRE_LEN)
        r.fail('bad-wire-type', `field ${field} of SingleAppendOnlyProof has wire type ${tag & 7}`);
      const n = r.length(); // (not `r.pos += r.length()`: that reads pos before the length moves it)
      r.pos += n;
      if (n < MIN_ELEMENT_BYTES) tooShort = true;
      if (field === 1) inserted++;
      else unchanged++;
    } else {
      r.skip(tag);
    }
  }

  // Pass 2: each element. Wire errors stop at once (akd's protobuf parse runs before its
  // converters); converter errors are kept and the first one reported afterwards, inserted
  // elements first, as akd converts `inserted` before `unchanged_nodes`.
  const out = tooShort ? allocateElements(1, 0) : elementsFor(unchanged, inserted, options);
  const state = new ElementState(r.buf, base, out);
  let nextInserted = unchanged;
  let nextUnchanged = 0;
  let firstInsertedError: PendingError | null = null;
  let firstUnchangedError: PendingError | null = null;
  r.pos = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field !== 1 && field !== 2) {
      r.skip(tag);
      continue;
    }
    const len = r.length();
    const start = r.pos;
    const isInserted = field === 1;
    const index = isInserted ? nextInserted++ : nextUnchanged++;
    const error = state.decode(start, start + len, tooShort ? 0 : index);
    r.pos = start + len;
    if (error !== null) {
      const listIndex = isInserted ? index - unchanged : index;
      const list = isInserted ? 'inserted' : 'unchanged_nodes';
      const pending = { ...error, message: `${list}[${listIndex}]: ${error.message}` };
      if (isInserted) firstInsertedError ??= pending;
      else firstUnchangedError ??= pending;
    }
  }
  const first = firstInsertedError ?? firstUnchangedError;
  if (first !== null) throw new AkdDecodeError(first.reason, first.message, first.offset);
  if (tooShort) throw new Error(`internal: an element under ${MIN_ELEMENT_BYTES} bytes decoded without error`);
  return out;
}

/**
 * Decodes AzksElements into the flat arrays, reusing one reader for the element and its label.
 * `rebind` points it at another buffer (proof-stream.ts decodes a file one window at a time).
 */
export class ElementState {
  private bytes: Uint8Array;
  private base: number;
  private r: WireReader;
  private view: DataView;
  private readonly labels: Uint8Array;
  private readonly labelWords: Uint32Array;
  private readonly lens: Uint16Array;
  private readonly valueWords: Uint32Array;

  constructor(bytes: Uint8Array, base: number, out: ProofElements) {
    this.bytes = bytes;
    this.base = base;
    this.r = new WireReader(bytes, base);
    // Copies go 4 bytes at a time (unaligned little-endian reads), into word views of the output.
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.labels = out.labels;
    this.labelWords = new Uint32Array(out.labels.buffer, out.labels.byteOffset, out.count * 8);
    this.lens = out.lens;
    this.valueWords = new Uint32Array(out.values.buffer, out.values.byteOffset, out.count * 8);
  }

  /** Decode from `bytes` from now on; `bytes[0]` is at offset `base` of the blob. */
  rebind(bytes: Uint8Array, base: number): void {
    this.bytes = bytes;
    this.base = base;
    this.r = new WireReader(bytes, base);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * Decode one AzksElement from `bytes[start..end)` into slot `index`. Throws on wire errors,
   * returns a converter error (or null).
   */
  decode(start: number, end: number, index: number): PendingError | null {
    const r = this.r;
    const bytes = this.bytes;
    r.pos = start;
    r.end = end;
    let hasLabel = false;
    let valStart = -1;
    let valLen = 0;
    let labelLen = -1;
    let valueStart = -1;
    let valueLen = 0;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === FIELD_1_LEN) {
        // NodeLabel; a second occurrence merges into the first (protobuf semantics).
        hasLabel = true;
        const n = r.length();
        const labelEnd = r.pos + n;
        r.end = labelEnd;
        while (r.pos < labelEnd) {
          const t = r.tag();
          if (t === FIELD_1_LEN) {
            valLen = r.length();
            valStart = r.pos;
            r.pos += valLen;
          } else if (t === FIELD_2_VARINT) {
            labelLen = r.varint(); // uint32: the low 32 bits, as protobuf parsers keep them
          } else if (t >>> 3 === 1 || t >>> 3 === 2) {
            r.fail('bad-wire-type', `NodeLabel field ${t >>> 3} has wire type ${t & 7}`);
          } else {
            r.skip(t);
          }
        }
        r.end = end;
      } else if (tag === FIELD_2_LEN) {
        valueLen = r.length();
        valueStart = r.pos;
        r.pos += valueLen;
      } else if (tag >>> 3 === 1 || tag >>> 3 === 2) {
        r.fail('bad-wire-type', `AzksElement field ${tag >>> 3} has wire type ${tag & 7}`);
      } else {
        r.skip(tag);
      }
    }
    const at = this.base + start;
    if (!hasLabel) return { reason: 'missing-field', message: 'required field label is missing', offset: at };
    if (valueStart < 0) return { reason: 'missing-field', message: 'required field value is missing', offset: at };
    if (labelLen < 0) return { reason: 'missing-field', message: 'required field label_len is missing', offset: at };
    if (valStart < 0) return { reason: 'missing-field', message: 'required field label_val is missing', offset: at };
    if (valLen > 32) {
      return { reason: 'label-val-too-long', message: `Label value is too long: ${valLen}`, offset: at };
    }
    if (labelLen > MAX_LABEL_LEN) {
      return {
        reason: 'label-len-too-long',
        message: `Label length is too long, should be at most 256: ${labelLen}`,
        offset: at,
      };
    }
    if (valueLen !== 32) {
      return {
        reason: 'bad-value-length',
        message: `Failed to parse Digest. Expected 32 bytes but the value has ${valueLen} bytes`,
        offset: at,
      };
    }
    // label_val: minimal form zero-padded (the arrays start zeroed).
    const view = this.view;
    const w = index * 8;
    const valueWords = this.valueWords;
    for (let k = 0; k < 8; k++) valueWords[w + k] = view.getUint32(valueStart + k * 4, true);
    const fullWords = valLen >>> 2;
    const labelWords = this.labelWords;
    for (let k = 0; k < fullWords; k++) labelWords[w + k] = view.getUint32(valStart + k * 4, true);
    const labels = this.labels;
    for (let i = fullWords * 4; i < valLen; i++) labels[index * 32 + i] = bytes[valStart + i] as number;
    this.lens[index] = labelLen;
    return null;
  }
}

/** Bytes of akd's minimal label_val: trailing zero bytes cut (encode_minimum_label). */
function minimalLabelLength(labels: Uint8Array, o: number): number {
  let n = 32;
  while (n > 0 && labels[o + n - 1] === 0) n--;
  return n;
}

export interface EncodeOptions {
  /** Write all 32 bytes of every label_val (the older form) instead of akd's minimal form. */
  fullLabels?: boolean;
}

function labelMessageSize(valLen: number, len: number): number {
  return 1 + varintSize(valLen) + valLen + 1 + varintSize(len);
}

function elementSize(labelSize: number): number {
  return 1 + varintSize(labelSize) + labelSize + 2 + 32;
}

/** Bytes of element `i` of `p` as one field of a SingleAppendOnlyProof (tag and length included). */
export function encodedElementSize(p: ProofElements, i: number, options: EncodeOptions = {}): number {
  const vl = options.fullLabels === true ? 32 : minimalLabelLength(p.labels, i * 32);
  const es = elementSize(labelMessageSize(vl, p.lens[i] as number));
  return 1 + varintSize(es) + es;
}

/**
 * Write element `i` of `p` at `out[pos..]` as field `inserted` (isInserted) or `unchanged_nodes`;
 * returns the position after it.
 */
export function encodeElementAt(
  out: Uint8Array,
  pos: number,
  p: ProofElements,
  i: number,
  isInserted: boolean,
  options: EncodeOptions = {},
): number {
  const vl = options.fullLabels === true ? 32 : minimalLabelLength(p.labels, i * 32);
  const len = p.lens[i] as number;
  const ls = labelMessageSize(vl, len);
  out[pos++] = isInserted ? FIELD_1_LEN : FIELD_2_LEN;
  pos = writeVarint(out, pos, elementSize(ls));
  out[pos++] = FIELD_1_LEN;
  pos = writeVarint(out, pos, ls);
  out[pos++] = FIELD_1_LEN;
  pos = writeVarint(out, pos, vl);
  out.set(p.labels.subarray(i * 32, i * 32 + vl), pos);
  pos += vl;
  out[pos++] = FIELD_2_VARINT;
  pos = writeVarint(out, pos, len);
  out[pos++] = FIELD_2_LEN;
  out[pos++] = 32;
  out.set(p.values.subarray(i * 32, i * 32 + 32), pos);
  return pos + 32;
}

/**
 * Encode as encodeSingleAppendOnlyProof does, a chunk at a time: `emit(chunk, length)` receives
 * `chunk[0..length)` and must use it before returning (the chunk is reused). Returns the size. A
 * Messenger proof is hundreds of MB: its writer never holds it whole.
 */
export function encodeProofInChunks(
  p: ProofElements,
  chunk: Uint8Array,
  emit: (chunk: Uint8Array, length: number) => void,
): number {
  let total = 0;
  let pos = 0;
  const put = (i: number, isInserted: boolean): void => {
    if (pos + encodedElementSize(p, i) > chunk.length) {
      emit(chunk, pos);
      pos = 0;
    }
    const next = encodeElementAt(chunk, pos, p, i, isInserted);
    total += next - pos;
    pos = next;
  };
  for (let i = p.unchangedCount; i < p.count; i++) put(i, true);
  for (let i = 0; i < p.unchangedCount; i++) put(i, false);
  if (pos > 0) emit(chunk, pos);
  return total;
}

/**
 * Encode as akd does (rust-protobuf writes fields in number order: all `inserted`, then all
 * `unchanged_nodes`; label_val minimal unless `fullLabels`).
 */
export function encodeSingleAppendOnlyProof(p: ProofElements, options: EncodeOptions = {}): Uint8Array {
  let total = 0;
  for (let i = 0; i < p.count; i++) total += encodedElementSize(p, i, options);
  const out = new Uint8Array(total);
  let pos = 0;
  for (let i = p.unchangedCount; i < p.count; i++) pos = encodeElementAt(out, pos, p, i, true, options);
  for (let i = 0; i < p.unchangedCount; i++) pos = encodeElementAt(out, pos, p, i, false, options);
  return out;
}

/** Decode an AppendOnlyProof (several consecutive transitions, with their start epochs). */
export function decodeAppendOnlyProof(bytes: Uint8Array): AppendOnlyProof {
  const r = new WireReader(bytes);
  const proofs: ProofElements[] = [];
  const epochs: bigint[] = [];
  const readU64 = (): bigint => {
    const lo = r.varint();
    return (BigInt(r.hi) << 32n) | BigInt(lo);
  };
  while (r.pos < bytes.length) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      if ((tag & 7) !== WIRE_LEN) r.fail('bad-wire-type', `field 1 of AppendOnlyProof has wire type ${tag & 7}`);
      const n = r.length();
      proofs.push(decodeSingleAppendOnlyProof(bytes.subarray(r.pos, r.pos + n), { base: r.pos }));
      r.pos += n;
    } else if (field === 2 && (tag & 7) === WIRE_VARINT) {
      epochs.push(readU64());
    } else if (field === 2 && (tag & 7) === WIRE_LEN) {
      // Packed encoding of the repeated uint64, which parsers accept either way.
      const n = r.length();
      const outer = r.end;
      r.end = r.pos + n;
      while (r.pos < r.end) epochs.push(readU64());
      r.end = outer;
    } else if (field === 2) {
      r.fail('bad-wire-type', `field 2 of AppendOnlyProof has wire type ${tag & 7}`);
    } else {
      r.skip(tag);
    }
  }
  return { proofs, epochs };
}

export function encodeAppendOnlyProof(proof: AppendOnlyProof, options: EncodeOptions = {}): Uint8Array {
  const parts = proof.proofs.map((p) => encodeSingleAppendOnlyProof(p, options));
  let total = 0;
  for (const part of parts) total += 1 + varintSize(part.length) + part.length;
  const epochBuf = new Uint8Array(proof.epochs.length * 11);
  let epochLen = 0;
  for (const e of proof.epochs) {
    epochBuf[epochLen++] = FIELD_2_VARINT;
    epochLen = writeVarint64(epochBuf, epochLen, e);
  }
  const out = new Uint8Array(total + epochLen);
  let pos = 0;
  for (const part of parts) {
    out[pos++] = FIELD_1_LEN;
    pos = writeVarint(out, pos, part.length);
    out.set(part, pos);
    pos += part.length;
  }
  out.set(epochBuf.subarray(0, epochLen), pos);
  return out;
}

/** The proof as objects (for tests, tools and small proofs; the verifier uses the flat form). */
export function proofToObjects(p: ProofElements): SingleAppendOnlyProof {
  const element = (i: number): AzksElement => ({
    label: { val: p.labels.slice(i * 32, i * 32 + 32), len: p.lens[i] as number },
    value: p.values.slice(i * 32, i * 32 + 32),
  });
  const unchangedNodes: AzksElement[] = [];
  const inserted: AzksElement[] = [];
  for (let i = 0; i < p.unchangedCount; i++) unchangedNodes.push(element(i));
  for (let i = p.unchangedCount; i < p.count; i++) inserted.push(element(i));
  return { inserted, unchangedNodes };
}

/** Flatten objects into ProofElements (labels over 256 bits or values not 32 bytes are refused). */
export function proofFromObjects(proof: SingleAppendOnlyProof): ProofElements {
  const out = allocateElements(proof.unchangedNodes.length, proof.inserted.length);
  const put = (e: AzksElement, i: number): void => {
    if (e.label.val.length !== 32) throw new RangeError('label_val must be 32 bytes');
    if (!Number.isInteger(e.label.len) || e.label.len < 0 || e.label.len > MAX_LABEL_LEN) {
      throw new RangeError('label_len must be an integer in 0..256');
    }
    if (e.value.length !== 32) throw new RangeError('value must be 32 bytes');
    out.labels.set(e.label.val, i * 32);
    out.lens[i] = e.label.len;
    out.values.set(e.value, i * 32);
  };
  proof.unchangedNodes.forEach((e, i) => put(e, i));
  proof.inserted.forEach((e, i) => put(e, out.unchangedCount + i));
  return out;
}
