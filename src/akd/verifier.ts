// akd's `verify_consecutive_append_only` (akd/src/auditor.rs) with akd 0.13's fix for akd#495:
//   1. the tree of `unchanged_nodes` alone must have root `previous`;
//   2. the tree of `unchanged_nodes` plus `inserted` (each value re-hashed with the end epoch,
//      hash_leaf_with_commitment) must have root `current`;
//   3. (0.13) no element's label may equal, or be a prefix of, another element's label.
// Both trees are built from the labels sorted once (label-order.ts) and hashed bottom-up
// (trie-hash.ts); check 3 runs first, on the same sorted order.
import { bytesEqual, toHex } from '../util/bytes.js';
import { U64_MAX } from '../util/u64.js';
import { parseBlobName, type AuditBlobName } from './blob-name.js';
import {
  resolveConfiguration,
  type AkdConfiguration,
  type AkdConfigurationName,
  type AkdHashing,
} from './configuration.js';
import {
  AkdDecodeError,
  AkdInputError,
  AkdLabelConflictError,
  AkdRootMismatchError,
  type AkdElementRef,
} from './errors.js';
import { adjacentPrefixes, sortLabels, sortLabelsLean, subsequenceBelow } from './label-order.js';
import { formatLabel } from './node-label.js';
import { decodeSingleAppendOnlyProof, type ProofElements } from './proof-codec.js';
import { WhatsAppTrieHasher, trieHasherFor, type TrieHasher } from './trie-hash.js';

/** Milliseconds spent in each phase: protobuf decoding, sorting and checking labels, hashing. */
export interface VerifyTimings {
  decodeMs: number;
  buildMs: number;
  hashMs: number;
}

export type AkdVerifyError = AkdDecodeError | AkdLabelConflictError | AkdRootMismatchError | AkdInputError;

export type AkdVerifyResult =
  | { ok: true; inserted: number; unchanged: number; timings: VerifyTimings }
  | { ok: false; error: AkdVerifyError; inserted: number; unchanged: number; timings: VerifyTimings };

export type ConfigurationInput = AkdConfiguration | AkdConfigurationName | AkdHashing;

const hashers = new Map<string, TrieHasher>();

function hashingOf(configuration: ConfigurationInput): AkdHashing {
  if (typeof configuration === 'object' && 'hash' in configuration) return configuration;
  return resolveConfiguration(configuration);
}

/** One hasher (and its scratch buffers) per configuration and domain label. */
export function hasherFor(hashing: AkdHashing): TrieHasher {
  const key = `${hashing.name}/${toHex(hashing.domainLabel)}`;
  let h = hashers.get(key);
  if (h === undefined) {
    h = trieHasherFor(hashing);
    hashers.set(key, h);
  }
  return h;
}

function elementRef(p: ProofElements, index: number): AkdElementRef {
  const label = formatLabel(p.labels.subarray(index * 32, index * 32 + 32), p.lens[index] as number);
  return index < p.unchangedCount
    ? { list: 'unchanged_nodes', index, label }
    : { list: 'inserted', index: index - p.unchangedCount, label };
}

function wordsOf(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  return new Uint32Array(bytes.slice().buffer);
}

/** A proof put in tree order: the whole (end) tree's order and, within it, the start tree's. */
export interface TreeShape {
  labelWords: Uint32Array;
  valueWords: Uint32Array;
  /** All elements in label order, and where each adjacent pair parts. */
  order: Uint32Array;
  lcps: Uint16Array;
  /** The unchanged elements in label order (see subsequenceBelow). */
  start: { seq: Uint32Array; lcps: Uint16Array; pairs: Uint32Array };
}

/**
 * Computes the start root and, unless the start root already differs from `previous`, the end
 * root. The default runs in this thread; parallel-verify.ts splits the work with a second thread.
 */
export interface HashStage {
  roots(
    proof: ProofElements,
    shape: TreeShape,
    endEpoch: bigint,
    hashing: AkdHashing,
    previous: Uint8Array,
  ): { start: Uint8Array; end: Uint8Array | null };
}

export const serialHashStage: HashStage = {
  roots(proof, shape, endEpoch, hashing, previous) {
    const hasher = hasherFor(hashing);
    const { labelWords, valueWords, order, lcps, start } = shape;
    try {
      hasher.prepare({ elements: proof, labelWords, valueWords, endEpoch, order, lcps });
      const startRoot = hasher.root(start.seq, proof.unchangedCount, start.lcps, start.pairs);
      if (!bytesEqual(startRoot, previous)) return { start: startRoot, end: null };
      return { start: startRoot, end: hasher.root(order, proof.count, lcps, null) };
    } finally {
      hasher.release();
    }
  },
};

export interface VerifyOptions {
  /** Time already spent decoding, reported in the timings. */
  decodeMs?: number;
  /** Where the hashing runs (default: this thread). */
  hashStage?: HashStage;
  /**
   * The proof's arrays are scratch (the caller decoded them for this call): hash in bounded
   * memory, overwriting the values (docs/akd.md "Where the bytes go"). Only with the default,
   * serial hash stage.
   */
  consumeProof?: boolean;
}

/** The lean path: about 72 bytes per element at its peak instead of 160 (docs/akd.md). */
function leanRoots(
  proof: ProofElements,
  labelWords: Uint32Array,
  valueWords: Uint32Array,
  order: Uint32Array,
  lcps: Uint16Array,
  endEpoch: bigint,
  hashing: AkdHashing,
  previous: Uint8Array,
): { start: Uint8Array; end: Uint8Array | null } {
  const hasher = hasherFor(hashing);
  try {
    const input = { elements: proof, labelWords, valueWords, endEpoch, order, lcps };
    if (hasher instanceof WhatsAppTrieHasher) hasher.prepareInPlace(input);
    else hasher.prepare(input);
    const startRoot = hasher.rootBelow(order, proof.count, lcps, proof.unchangedCount);
    if (!bytesEqual(startRoot, previous)) return { start: startRoot, end: null };
    return { start: startRoot, end: hasher.root(order, proof.count, lcps, null) };
  } finally {
    hasher.release();
  }
}

/**
 * Check that `proof` proves the transition `previous` → `current` at `endEpoch` (the blob's epoch)
 * under `configuration`. Never throws for a bad proof: the result names what did not verify.
 * Throws AkdInputError only for caller mistakes (a digest that is not 32 bytes).
 */
export function verifyConsecutiveAppendOnly(
  proof: ProofElements,
  previous: Uint8Array,
  current: Uint8Array,
  endEpoch: bigint,
  configuration: ConfigurationInput,
  options: VerifyOptions = {},
): AkdVerifyResult {
  if (previous.length !== 32 || current.length !== 32) throw new AkdInputError('root digests must be 32 bytes');
  const timings: VerifyTimings = { decodeMs: options.decodeMs ?? 0, buildMs: 0, hashMs: 0 };
  const counts = { inserted: proof.insertedCount, unchanged: proof.unchangedCount };
  if (endEpoch < 1n || endEpoch > U64_MAX) {
    // Epoch 0 is akd's empty tree: no transition ends there (akd itself would underflow).
    const error = new AkdInputError(`end epoch ${endEpoch} is not a valid epoch (1 to 2^64-1)`);
    return { ok: false, error, ...counts, timings };
  }
  const hashing = hashingOf(configuration);

  const t0 = performance.now();
  const lean = options.consumeProof === true && options.hashStage === undefined;
  const labelWords = wordsOf(proof.labels);
  const valueWords = wordsOf(proof.values);
  if (lean && valueWords.buffer !== proof.values.buffer)
    throw new AkdInputError('consumeProof needs word-aligned values');
  const order = (lean ? sortLabelsLean : sortLabels)(labelWords, proof.lens, proof.count);
  const lcps = new Uint16Array(Math.max(0, proof.count - 1));
  const conflict = adjacentPrefixes(labelWords, proof.lens, order, proof.count, lcps);
  if (conflict !== null) {
    timings.buildMs = performance.now() - t0;
    const second = conflict.second < 0 ? null : elementRef(proof, conflict.second);
    const error = new AkdLabelConflictError(conflict.relation, elementRef(proof, conflict.first), second);
    return { ok: false, error, ...counts, timings };
  }
  let roots: { start: Uint8Array; end: Uint8Array | null };
  let t1: number;
  if (lean) {
    t1 = performance.now();
    timings.buildMs = t1 - t0;
    roots = leanRoots(proof, labelWords, valueWords, order, lcps, endEpoch, hashing, previous);
  } else {
    const start = subsequenceBelow(order, proof.count, lcps, proof.unchangedCount);
    t1 = performance.now();
    timings.buildMs = t1 - t0;
    const stage = options.hashStage ?? serialHashStage;
    roots = stage.roots(proof, { labelWords, valueWords, order, lcps, start }, endEpoch, hashing, previous);
  }
  timings.hashMs = performance.now() - t1;
  if (!bytesEqual(roots.start, previous)) {
    const error = new AkdRootMismatchError('start', toHex(previous), toHex(roots.start));
    return { ok: false, error, ...counts, timings };
  }
  if (roots.end === null) throw new Error('internal: the hash stage skipped the end root');
  if (!bytesEqual(roots.end, current)) {
    const error = new AkdRootMismatchError('end', toHex(current), toHex(roots.end));
    return { ok: false, error, ...counts, timings };
  }
  return { ok: true, ...counts, timings };
}

/**
 * Verify a proof blob as an auditor does with a blob from a proof directory: decode it (akd's
 * AuditBlob::decode), then verify the transition its name states (epoch = end epoch). A malformed
 * blob name throws BlobNameError (bad input); everything about the proof is in the result.
 */
export function verifyAuditBlob(
  bytes: Uint8Array,
  blobName: string | AuditBlobName,
  configuration: ConfigurationInput,
  options: { hashStage?: HashStage; decode?: (bytes: Uint8Array) => ProofElements } = {},
): AkdVerifyResult {
  const name = typeof blobName === 'string' ? parseBlobName(blobName) : blobName;
  const hashing = hashingOf(configuration);
  const t0 = performance.now();
  let proof: ProofElements;
  try {
    proof = (options.decode ?? decodeSingleAppendOnlyProof)(bytes);
  } catch (err) {
    if (!(err instanceof AkdDecodeError)) throw err;
    const timings = { decodeMs: performance.now() - t0, buildMs: 0, hashMs: 0 };
    return { ok: false, error: err, inserted: 0, unchanged: 0, timings };
  }
  const decodeMs = performance.now() - t0;
  // The proof was decoded here for this call: its arrays are ours to consume (bounded memory).
  const verifyOptions: VerifyOptions = {
    decodeMs,
    ...(options.hashStage ? { hashStage: options.hashStage } : { consumeProof: true }),
  };
  return verifyConsecutiveAppendOnly(proof, name.previousHash, name.currentHash, name.epoch, hashing, verifyOptions);
}
