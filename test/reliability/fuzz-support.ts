// Shared pieces of the two fuzzing parts of the reliability suite (fuzz-decoders, fuzz-http):
// the logged seed, mutation arbitraries over valid encodings (bytes, text, JSON structure), a
// protobuf wire walker that finds length fields to corrupt, and a watchdog thread that turns a
// hung decoder into a recorded failure instead of a silent stall.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { FULL_MODE, PARTS_DIR } from './support.js';

// ---- seed ------------------------------------------------------------------------------------

/** The run's seed: RELIABILITY_SEED when set (to replay a run), else a fresh one; printed. */
export function fuzzSeed(part: string): number {
  const env = process.env.RELIABILITY_SEED;
  let seed: number;
  if (env !== undefined && env !== '') {
    seed = Number(env);
    if (!Number.isSafeInteger(seed)) throw new Error(`RELIABILITY_SEED must be an integer, got ${JSON.stringify(env)}`);
  } else {
    seed = Math.floor(Math.random() * 0x7fffffff);
  }
  process.stdout.write(`${part}: seed ${seed} (replay with RELIABILITY_SEED=${seed})\n`);
  return seed;
}

/** A per-name seed derived from the run's seed, so each fuzz target replays on its own. */
export function subSeed(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return ((seed ^ h) >>> 0) & 0x7fffffff;
}

/**
 * Full mode's scale: 2.5 x (435,700 decoder inputs + 18,367 HTTP requests) is over the 1,000,000
 * fuzzed inputs issue 12 asks a full run for, with a margin for rounding.
 */
const FULL_SCALE = 2.5;

/** Scales every count (RELIABILITY_FUZZ_SCALE, default 1, or FULL_SCALE in full mode). */
export function scaled(count: number): number {
  const s = Number(process.env.RELIABILITY_FUZZ_SCALE ?? (FULL_MODE ? String(FULL_SCALE) : '1'));
  return Math.max(1, Math.round(count * (Number.isFinite(s) && s > 0 ? s : 1)));
}

// ---- display ---------------------------------------------------------------------------------

export function preview(input: Uint8Array | string, max = 160): string {
  if (typeof input === 'string')
    return JSON.stringify(input.length > max ? `${input.slice(0, max)}…(${input.length} chars)` : input);
  const hex = Buffer.from(input.subarray(0, max / 2)).toString('hex');
  return `hex:${hex}${input.length > max / 2 ? `…(${input.length} bytes)` : ''}`;
}

// ---- wire-format length fields ---------------------------------------------------------------

/** Where a length prefix sits: its offset, its size in bytes and its encoding. */
export interface LengthField {
  at: number;
  size: number;
  encoding: 'varint' | 'u64le';
  value: bigint;
}

function readVarint(b: Uint8Array, p: number, end: number): { value: bigint; next: number } | undefined {
  let v = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (p >= end) return undefined;
    const x = b[p++] as number;
    v |= BigInt(x & 0x7f) << shift;
    if (x < 0x80) return { value: v, next: p };
  }
  return undefined;
}

function walk(b: Uint8Array, start: number, end: number, depth: number, out: LengthField[]): boolean {
  let p = start;
  while (p < end) {
    const t = readVarint(b, p, end);
    if (!t || t.value >> 3n === 0n) return false;
    p = t.next;
    const wire = Number(t.value & 7n);
    if (wire === 0) {
      const v = readVarint(b, p, end);
      if (!v) return false;
      p = v.next;
    } else if (wire === 1) {
      p += 8;
    } else if (wire === 5) {
      p += 4;
    } else if (wire === 2) {
      const l = readVarint(b, p, end);
      if (!l || l.next + Number(l.value) > end) return false;
      out.push({ at: p, size: l.next - p, encoding: 'varint', value: l.value });
      const body = l.next;
      const n = Number(l.value);
      if (depth < 5 && n > 0) {
        const mark = out.length;
        if (!walk(b, body, body + n, depth + 1, out)) out.length = mark; // a bytes field, not a message
      }
      p = body + n;
    } else {
      return false;
    }
    if (p > end) return false;
  }
  return true;
}

/** The length prefixes of a protobuf message (nested messages too, as far as they parse). */
export function protobufLengthFields(b: Uint8Array): LengthField[] {
  const out: LengthField[] = [];
  walk(b, 0, b.length, 0, out);
  return out;
}

function encodeVarint(v: bigint, overlong: number): Uint8Array {
  const out: number[] = [];
  let x = v;
  do {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  } while (x > 0n);
  for (let i = 0; i < overlong && out.length < 10; i++) out.push(0x80);
  out[out.length - 1] = (out[out.length - 1] as number) & 0x7f;
  return new Uint8Array(out);
}

function encodeU64le(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return out;
}

// ---- byte mutations --------------------------------------------------------------------------

/** An offset, reduced modulo the input's length when applied: uniform (fc.nat() alone is biased to its ends). */
const pos = fc.noBias(fc.nat());

/** 1 to 3 operations, mostly one: each one tends to break the input, and a single one finds the most. */
function opList<T>(op: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(op).map((a) => [...a]) },
    { weight: 2, arbitrary: fc.array(op, { minLength: 2, maxLength: 2 }) },
    { weight: 1, arbitrary: fc.array(op, { minLength: 3, maxLength: 3 }) },
  );
}

const INTERESTING_LENGTHS = [
  0n,
  1n,
  31n,
  32n,
  33n,
  63n,
  64n,
  65n,
  127n,
  128n,
  255n,
  256n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  1n << 53n,
  1n << 63n,
  (1n << 64n) - 1n,
];

type ByteOp =
  | ['flip', number, number]
  | ['set', number, number]
  | ['truncate', number]
  | ['extend', Uint8Array]
  | ['insert', number, Uint8Array]
  | ['delete', number, number]
  | ['length', number, bigint | null, number, number]
  | ['splice', number, number, number]
  | ['dup', number, number]
  | ['concat', number];

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.constant('flip' as const), pos, fc.nat(7)) },
  {
    weight: 3,
    arbitrary: fc.tuple(
      fc.constant('set' as const),
      pos,
      fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x0b, 0x0c, 0x0f), fc.nat(255)),
    ),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constant('truncate' as const), pos) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('extend' as const), fc.uint8Array({ minLength: 1, maxLength: 48 })) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constant('insert' as const), pos, fc.uint8Array({ minLength: 1, maxLength: 12 })),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constant('delete' as const), pos, fc.integer({ min: 1, max: 24 })) },
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.constant('length' as const),
      pos,
      fc.option(fc.oneof(fc.constantFrom(...INTERESTING_LENGTHS), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), {
        nil: null,
      }),
      fc.integer({ min: -3, max: 3 }),
      fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) }),
    ),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constant('splice' as const), pos, pos, pos) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('dup' as const), pos, fc.integer({ min: 1, max: 64 })) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('concat' as const), pos) },
);

function cat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

function applyByteOp(
  b: Uint8Array,
  op: ByteOp,
  corpus: readonly Uint8Array[],
  lengths: (b: Uint8Array) => LengthField[],
): Uint8Array {
  const at = (x: number, n = b.length) => (n === 0 ? 0 : x % (n + 1));
  switch (op[0]) {
    case 'flip': {
      if (b.length === 0) return b;
      const out = new Uint8Array(b); // a copy (Buffer#slice would be a view of the corpus)
      const i = op[1] % b.length;
      out[i] = (out[i] as number) ^ (1 << op[2]);
      return out;
    }
    case 'set': {
      if (b.length === 0) return b;
      const out = new Uint8Array(b);
      out[op[1] % b.length] = op[2];
      return out;
    }
    case 'truncate':
      return new Uint8Array(b.subarray(0, b.length === 0 ? 0 : op[1] % b.length));
    case 'extend':
      return cat(b, op[1]);
    case 'insert': {
      const i = at(op[1]);
      return cat(b.subarray(0, i), op[2], b.subarray(i));
    }
    case 'delete': {
      const i = at(op[1]);
      return cat(b.subarray(0, i), b.subarray(Math.min(b.length, i + op[2])));
    }
    case 'length': {
      const fields = lengths(b);
      if (fields.length === 0) return b;
      const f = fields[op[1] % fields.length] as LengthField;
      let v = op[2] ?? f.value + BigInt(op[3] === 0 ? 1 : op[3]);
      if (v < 0n) v = 0n;
      const enc = f.encoding === 'varint' ? encodeVarint(BigInt.asUintN(64, v), op[4]) : encodeU64le(v);
      return cat(b.subarray(0, f.at), enc, b.subarray(f.at + f.size));
    }
    case 'splice': {
      const other = corpus[op[1] % corpus.length] as Uint8Array;
      return cat(b.subarray(0, at(op[2])), other.subarray(at(op[3], other.length)));
    }
    case 'dup': {
      const i = at(op[1]);
      const seg = b.subarray(i, Math.min(b.length, i + op[2]));
      return cat(b.subarray(0, i), seg, seg, b.subarray(i + seg.length));
    }
    case 'concat':
      return cat(b, corpus[op[1] % corpus.length] as Uint8Array);
  }
}

function describeByteOp(op: ByteOp): string {
  return op.map((x) => (x instanceof Uint8Array ? Buffer.from(x).toString('hex') : String(x))).join(':');
}

export interface Mutant<T> {
  value: T;
  /** Index of the corpus element it started from. */
  base: number;
  ops: string;
}

/**
 * Valid encodings changed by 1-3 operations: bit flips, byte sets, truncation, extension, byte
 * insertion and deletion, length-prefix corruption (value, off by a few, overlong varints),
 * splicing with another corpus element, duplicated segments and concatenation.
 */
export function mutatedBytes(
  corpus: readonly Uint8Array[],
  lengths: (b: Uint8Array) => LengthField[] = protobufLengthFields,
): fc.Arbitrary<Mutant<Uint8Array>> {
  if (corpus.length === 0) throw new Error('empty corpus');
  corpus = corpus.map((b) => new Uint8Array(b)); // own copies: no mutation can reach the caller's bytes
  return fc.tuple(fc.nat(corpus.length - 1), opList(byteOp)).map(([base, ops]) => {
    let b = corpus[base] as Uint8Array;
    for (const op of ops) b = applyByteOp(b, op, corpus, lengths);
    return { value: b, base, ops: ops.map(describeByteOp).join(' ') };
  });
}

/** Arbitrary bytes, from empty to `maxLength`, with a bias to protobuf-looking starts. */
export function arbitraryBytes(maxLength: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength, size: 'max' }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(0x08, 0x0a, 0x10, 0x12, 0x1a, 0x22, 0x2a, 0x32, 0x3a, 0x0b, 0x0f),
          fc.uint8Array({ maxLength: Math.min(maxLength, 256) }),
        )
        .map(([t, rest]) => cat(new Uint8Array([t]), rest)),
    },
  );
}

// ---- text mutations --------------------------------------------------------------------------

const JSON_TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  ':',
  '\\',
  '\\u',
  '\\ud800',
  '\\u0000',
  '-',
  '0',
  '01',
  '-0',
  '1.5',
  '1e999',
  '-1e-999',
  '18446744073709551615',
  '18446744073709551616',
  '99999999999999999999999999',
  'null',
  'true',
  'false',
  'NaN',
  'Infinity',
  '\u0000',
  '\n',
  ' ',
  '\t',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u2028',
  '"__proto__":{}',
  '"constructor":1',
  ',"x":1',
  '""',
  '[[[[[[[[',
  '}}}}',
];

type TextOp =
  | ['set', number, string]
  | ['insert', number, string]
  | ['delete', number, number]
  | ['truncate', number]
  | ['splice', number, number, number]
  | ['dup', number, number];

function textOp(tokens: readonly string[]): fc.Arbitrary<TextOp> {
  const piece = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...tokens) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 3 }) },
  );
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constant('set' as const), pos, piece) },
    { weight: 4, arbitrary: fc.tuple(fc.constant('insert' as const), pos, piece) },
    { weight: 3, arbitrary: fc.tuple(fc.constant('delete' as const), pos, fc.integer({ min: 1, max: 16 })) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('truncate' as const), pos) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('splice' as const), pos, pos, pos) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('dup' as const), pos, fc.integer({ min: 1, max: 80 })) },
  );
}

function applyTextOp(s: string, op: TextOp, corpus: readonly string[]): string {
  const at = (x: number, n = s.length) => (n === 0 ? 0 : x % (n + 1));
  switch (op[0]) {
    case 'set': {
      if (s.length === 0) return op[2];
      const i = op[1] % s.length;
      return s.slice(0, i) + op[2] + s.slice(i + 1);
    }
    case 'insert': {
      const i = at(op[1]);
      return s.slice(0, i) + op[2] + s.slice(i);
    }
    case 'delete': {
      const i = at(op[1]);
      return s.slice(0, i) + s.slice(i + op[2]);
    }
    case 'truncate':
      return s.slice(0, s.length === 0 ? 0 : op[1] % s.length);
    case 'splice': {
      const other = corpus[op[1] % corpus.length] as string;
      return s.slice(0, at(op[2])) + other.slice(at(op[3], other.length));
    }
    case 'dup': {
      const i = at(op[1]);
      const seg = s.slice(i, i + op[2]);
      return s.slice(0, i) + seg + s.slice(i);
    }
  }
}

/** Valid texts changed by 1-3 character-level edits (with format tokens such as JSON's or YAML's). */
export function mutatedText(
  corpus: readonly string[],
  tokens: readonly string[] = JSON_TOKENS,
): fc.Arbitrary<Mutant<string>> {
  if (corpus.length === 0) throw new Error('empty corpus');
  return fc.tuple(fc.nat(corpus.length - 1), opList(textOp(tokens))).map(([base, ops]) => {
    let s = corpus[base] as string;
    for (const op of ops) s = applyTextOp(s, op, corpus);
    return { value: s, base, ops: ops.map((o) => o.map((x) => JSON.stringify(x)).join(':')).join(' ') };
  });
}

/** Arbitrary strings: any code units (lone surrogates too), printable ASCII, and JSON-ish soups. */
export function arbitraryText(maxLength: number, tokens: readonly string[] = JSON_TOKENS): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength, size: 'max' }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength, size: 'max' }) },
    { weight: 2, arbitrary: fc.array(fc.constantFrom(...tokens), { maxLength: 40 }).map((a) => a.join('')) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  );
}

// ---- JSON structure mutations ----------------------------------------------------------------

/** Values that break schemas: u64 edges and beyond, negatives, fractions, bad hex, wrong types. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0n,
      -1n,
      1n,
      2n,
      255n,
      256n,
      (1n << 32n) - 1n,
      1n << 32n,
      (1n << 53n) + 1n,
      1n << 63n,
      (1n << 64n) - 1n,
      1n << 64n,
      (1n << 64n) + 1n,
      -(1n << 63n),
      10n ** 40n,
      1.5,
      -0.5,
      1e300,
      0.1,
      '',
      '0',
      '00',
      '-1',
      '1e3',
      '18446744073709551616',
      'zz',
      'ab'.repeat(31) + 'a',
      'ab'.repeat(32),
      'AB'.repeat(32),
      'ab'.repeat(33),
      'ab'.repeat(64),
      'g'.repeat(64),
      ' '.repeat(64),
      '\u0000',
      '\ud800',
      'x'.repeat(300),
      'x'.repeat(5000),
      [],
      {},
      [1n],
      { a: 1n },
      'Online',
      'Initialization',
      'whatsapp_v1',
      'experimental',
      'https://example.org',
      'file:///etc/passwd',
      '../../etc/passwd',
      '1/' + '00'.repeat(32),
      'x/' + '00'.repeat(32),
    ),
  },
  { weight: 2, arbitrary: fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 70 }).map((b) => Buffer.from(b).toString('hex')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => `${Buffer.from(b).toString('hex')}a`) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);

type JsonOp =
  | ['replace', number, unknown]
  | ['delete', number]
  | ['add', number, string, unknown]
  | ['wrap', number]
  | ['retype', number];

interface Slot {
  parent: Record<string, unknown> | unknown[] | null;
  key: string | number;
  value: unknown;
}

function slots(root: unknown): Slot[] {
  const out: Slot[] = [{ parent: null, key: '', value: root }];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ parent: v, key: i, value: x });
        visit(x);
      });
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        out.push({ parent: v as Record<string, unknown>, key: k, value: x });
        visit(x);
      }
    }
  };
  visit(root);
  return out;
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function applyJsonOp(root: unknown, op: JsonOp): unknown {
  const all = slots(root);
  const s = all[op[1] % all.length] as Slot;
  const put = (value: unknown): unknown => {
    if (s.parent === null) return value;
    if (Array.isArray(s.parent)) s.parent[s.key as number] = value;
    else setOwn(s.parent, s.key as string, value);
    return root;
  };
  switch (op[0]) {
    case 'replace':
      return put(structuredClone(op[2])); // hostile values are shared constants: never alias them
    case 'delete':
      if (s.parent === null) return root;
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
      else delete s.parent[s.key as string];
      return root;
    case 'add': {
      const target = s.value;
      const value = structuredClone(op[3]);
      if (Array.isArray(target)) target.push(value);
      else if (typeof target === 'object' && target !== null) setOwn(target as Record<string, unknown>, op[2], value);
      return root;
    }
    case 'wrap':
      return put([s.value]);
    case 'retype': {
      const v = s.value;
      if (typeof v === 'bigint') return put(v.toString());
      if (typeof v === 'string') return put(/^-?[0-9]+$/.test(v) ? BigInt(v) : v.length);
      if (typeof v === 'number') return put(String(v));
      if (Array.isArray(v)) return put(Object.fromEntries(v.map((x, i) => [String(i), x])));
      if (typeof v === 'object' && v !== null) return put(Object.values(v));
      return put(String(v));
    }
  }
}

/**
 * Valid JSON documents changed structurally (values replaced by hostile ones, keys deleted or
 * added, values wrapped or retyped), then serialised: well-formed JSON with the wrong shapes.
 */
export function mutatedJson(
  corpus: readonly string[],
  extraKeys: readonly string[] = [],
): fc.Arbitrary<Mutant<string>> {
  const docs = corpus.map((t) => parseJson(t));
  const keys = new Set<string>(['__proto__', 'constructor', '', 'x', ...extraKeys]);
  for (const d of docs) for (const s of slots(d)) if (typeof s.key === 'string' && s.key !== '') keys.add(s.key);
  const op: fc.Arbitrary<JsonOp> = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.constant('replace' as const), fc.nat(), hostileValue) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('delete' as const), fc.nat()) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('add' as const), fc.nat(), fc.constantFrom(...keys), hostileValue) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('wrap' as const), fc.nat()) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('retype' as const), fc.nat()) },
  );
  return fc.tuple(fc.nat(corpus.length - 1), opList(op)).map(([base, ops]) => {
    let doc = structuredClone(docs[base]);
    for (const o of ops) doc = applyJsonOp(doc, o);
    let text: string;
    try {
      text = stringifyJson(doc);
    } catch (err) {
      // A bare `undefined` root cannot be written as JSON; fall back to the text of the base.
      if (!(err instanceof TypeError)) throw err;
      text = corpus[base] as string;
    }
    return { value: text, base, ops: ops.map((o) => `${o[0]}@${o[1]}`).join(' ') };
  });
}

/** The same structural mutations applied to any value (YAML documents go through here). */
export function mutatedValue(corpus: readonly unknown[]): fc.Arbitrary<Mutant<unknown>> {
  const op: fc.Arbitrary<JsonOp> = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.constant('replace' as const), fc.nat(), hostileValue) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('delete' as const), fc.nat()) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.constant('add' as const),
        fc.nat(),
        fc.constantFrom('__proto__', 'x', 'port', 'root', 'name', 'keys', 'http'),
        hostileValue,
      ),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constant('wrap' as const), fc.nat()) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('retype' as const), fc.nat()) },
  );
  return fc.tuple(fc.nat(corpus.length - 1), opList(op)).map(([base, ops]) => {
    let doc = structuredClone(corpus[base]);
    for (const o of ops) doc = applyJsonOp(doc, o);
    return { value: doc, base, ops: ops.map((o) => `${o[0]}@${o[1]}`).join(' ') };
  });
}

// ---- watchdog --------------------------------------------------------------------------------

const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeFileSync } = require('node:fs');
const state = new Int32Array(workerData.sab, 0, 4);
const name = new Uint8Array(workerData.sab, 16, 240);
setInterval(() => {
  const since = Atomics.load(state, 0);
  if (since === 0) return;
  const stuck = Date.now() - workerData.t0 - since;
  if (stuck < workerData.limitMs) return;
  const what = Buffer.from(name.subarray(0, Atomics.load(state, 2))).toString('utf8');
  const message = what + ': input #' + Atomics.load(state, 1) + ' has run for ' + stuck + ' ms (hang); replay with RELIABILITY_SEED=' + workerData.seed;
  writeFileSync(workerData.file, JSON.stringify({ part: workerData.part, violations: 1, examples: [message], wallMs: Date.now() - workerData.t0, hung: true }, null, 2) + '\\n');
  process.stderr.write('watchdog: ' + message + '; killing the test process\\n');
  process.kill(process.pid, 'SIGKILL');
}, 500);
`;

/**
 * A thread that watches the fuzz loop: when one input runs longer than `limitMs` (an infinite
 * loop cannot be interrupted from inside), it writes the part's result with the hang as its
 * violation and kills the test process, so the run fails loudly instead of stalling.
 */
export class Watchdog {
  readonly #state: Int32Array;
  readonly #name: Uint8Array;
  readonly #worker: Worker;
  readonly #t0 = Date.now();

  constructor(part: string, seed: number, limitMs: number) {
    const sab = new SharedArrayBuffer(256);
    this.#state = new Int32Array(sab, 0, 4);
    this.#name = new Uint8Array(sab, 16, 240);
    this.#worker = new Worker(WATCHDOG_SOURCE, {
      eval: true,
      workerData: { sab, t0: this.#t0, limitMs, seed, part, file: join(PARTS_DIR, `${part}.json`) },
    });
    this.#worker.unref();
  }

  /** The target now being fuzzed (shown if it hangs). */
  target(name: string): void {
    const n = Buffer.from(name).subarray(0, 240);
    this.#name.set(n);
    Atomics.store(this.#state, 2, n.length);
  }

  begin(index: number): void {
    Atomics.store(this.#state, 1, index);
    Atomics.store(this.#state, 0, Math.max(1, Date.now() - this.#t0));
  }

  end(): void {
    Atomics.store(this.#state, 0, 0);
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}

/** Writes the part file right away (used before a run starts, so a crash still leaves a trace). */
export function writeProvisional(part: string): void {
  mkdirSync(PARTS_DIR, { recursive: true });
  writeFileSync(
    join(PARTS_DIR, `${part}.json`),
    `${JSON.stringify({ part, violations: 1, examples: ['the part did not finish'], wallMs: 0 }, null, 2)}\n`,
  );
}
