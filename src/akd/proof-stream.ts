// Decode a SingleAppendOnlyProof from a byte source (a file, in practice) without holding it
// (docs/akd.md, "Where the bytes go"): the bytes arrive through one reused window of about 1 MiB,
// and each element goes straight into the flat arrays. Two passes over the source, as the in-memory
// decoder makes two over the buffer: the first counts each list to size the arrays exactly (a
// 284 MB Messenger proof would otherwise need growing arrays, i.e. twice the memory at the moment
// they grow), the second decodes. Verdicts, error reasons and offsets are the in-memory decoder's
// (proof-codec.ts). Pure: the file I/O is src/akd-runtime/proof-file-reader.ts's.
import { AkdDecodeError, AkdReadError } from './errors.js';
import {
  ElementState,
  MIN_ELEMENT_BYTES,
  allocateElements,
  elementsFor,
  type ElementArena,
  type PendingError,
  type ProofElements,
} from './proof-codec.js';
import { WIRE_LEN, WireReader } from './protobuf.js';

/** Bytes read at a time. */
export const WINDOW_BYTES = 1 << 20;

/**
 * Random-access bytes of a fixed `size` (a proof file). `read` fills `buf[offset..offset+length)`
 * from `position` and returns how many bytes it read (0 only at the end); `currentSize` tells
 * whether the source changed size while it was decoded. Errors they throw pass through.
 */
export interface ProofByteSource {
  readonly size: number;
  /** A name for error messages (the file's path). */
  readonly name: string;
  read(buf: Uint8Array, offset: number, length: number, position: number): number;
  currentSize(): number;
}

/** A window on the file: `buf[0..len)` holds the file's bytes `[base, base + len)`. */
class FileWindow {
  buf: Uint8Array;
  base = 0;
  len = 0;
  /** Incremented whenever the window's contents move (readers must rebind). */
  generation = 0;

  readonly size: number;

  constructor(
    private readonly source: ProofByteSource,
    capacity: number,
  ) {
    this.size = source.size;
    this.buf = new Uint8Array(Math.max(1, Math.min(capacity, this.size)));
  }

  get end(): number {
    return this.base + this.len;
  }

  /** Whether the window reaches the end of the file (a truncation seen here is real). */
  get isTail(): boolean {
    return this.end === this.size;
  }

  /** Start the window at file offset `at`, holding at least `need` bytes (fewer at the end of the file). */
  load(at: number, need: number): void {
    const keep = at >= this.base && at < this.end ? this.end - at : 0;
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.min(Math.max(need, this.buf.length * 2), this.size));
      if (keep > 0) grown.set(this.buf.subarray(at - this.base, this.len));
      this.buf = grown;
    } else if (keep > 0) {
      this.buf.copyWithin(0, at - this.base, this.len);
    }
    let have = keep;
    while (have < this.buf.length && at + have < this.size) {
      const n = this.source.read(this.buf, have, this.buf.length - have, at + have);
      if (n === 0)
        throw new AkdReadError(
          `the proof file ended at byte ${at + have} while being read (it was ${this.size} bytes)`,
        );
      have += n;
    }
    this.base = at;
    this.len = have;
    this.generation++;
  }

  reader(): WireReader {
    return new WireReader(this.buf.subarray(0, this.len), this.base);
  }
}

/**
 * Walk the top level of the message: `onElement(isInserted, start, length)` for each field 1 or 2
 * (with its bytes in the window when `needBody`), other fields skipped. Long length-delimited
 * fields not needed are skipped by moving past them in the file, never by reading them.
 */
function scanTopLevel(
  win: FileWindow,
  needBody: boolean,
  onElement: (isInserted: boolean, start: number, length: number) => void,
): void {
  const size = win.size;
  let pos = 0;
  let want = WINDOW_BYTES;
  while (pos < size) {
    if (pos < win.base || Math.min(pos + want, size) > win.end) win.load(pos, want);
    want = WINDOW_BYTES;
    const r = win.reader();
    r.pos = pos - win.base;
    let itemStart = r.pos;
    let definite: AkdDecodeError | null = null;
    let jumped = false;
    try {
      while (r.pos < r.end) {
        itemStart = r.pos;
        const tag = r.tag();
        const field = tag >>> 3;
        const isElement = field === 1 || field === 2;
        if (isElement && (tag & 7) !== WIRE_LEN)
          r.fail('bad-wire-type', `field ${field} of SingleAppendOnlyProof has wire type ${tag & 7}`);
        if ((tag & 7) !== WIRE_LEN) {
          r.skip(tag);
          continue;
        }
        // A length checked against the end of the file, not of the window (WireReader.length's rule).
        const n = r.varint();
        const at = win.base + r.pos;
        if (r.hi !== 0 || n > 0x7fffffff) {
          definite = new AkdDecodeError('truncated', 'length prefix exceeds the data', at);
          throw definite;
        }
        if (at + n > size) {
          definite = new AkdDecodeError(
            'truncated',
            `field of ${n} bytes runs past the end of the data (${size - at} left)`,
            at,
          );
          throw definite;
        }
        if (at + n > win.end) {
          if (isElement && needBody) {
            pos = win.base + itemStart;
            want = at + n - pos;
          } else {
            if (isElement) onElement(field === 1, at, n);
            pos = at + n;
          }
          jumped = true;
          break;
        }
        if (isElement) {
          try {
            onElement(field === 1, at, n);
          } catch (err) {
            // Inside a whole element: a truncation there is the element's own, not the window's.
            if (err instanceof AkdDecodeError) definite = err;
            throw err;
          }
        }
        r.pos += n;
      }
      if (!jumped) pos = win.base + r.pos;
    } catch (err) {
      if (err instanceof AkdDecodeError && err !== definite && err.reason === 'truncated' && !win.isTail) {
        // The window ended inside this item: read again from the item, with more bytes if the
        // window already started there (a long group).
        pos = win.base + itemStart;
        want = itemStart === 0 ? win.buf.length * 2 : WINDOW_BYTES;
        continue;
      }
      throw err;
    }
  }
}

export interface DecodeStreamOptions {
  /** Decode into SharedArrayBuffers (for a second hashing thread). */
  shared?: boolean;
  /** Window size in bytes (tests use small windows to cross every boundary). */
  windowBytes?: number;
  /** Decode into these reusable buffers (a pool worker; not with `shared`). */
  arena?: ElementArena;
}

/**
 * Decode the SingleAppendOnlyProof in `source`, reading it in windows. Throws AkdDecodeError as
 * decodeSingleAppendOnlyProof does for the same bytes, and AkdReadError when the source changes
 * while it is read (could not check: not a verdict on the proof).
 */
export function decodeProofStream(source: ProofByteSource, options: DecodeStreamOptions = {}): ProofElements {
  const path = source.name;
  const size = source.size;
  const windowBytes = options.windowBytes ?? WINDOW_BYTES;
  const win = new FileWindow(source, windowBytes);

  // Pass 1: count each list (wire errors of the top level are reported here, as in memory).
  let inserted = 0;
  let unchanged = 0;
  let tooShort = false; // see MIN_ELEMENT_BYTES: then decode through one scratch slot
  scanTopLevel(win, false, (isInserted, _start, length) => {
    if (length < MIN_ELEMENT_BYTES) tooShort = true;
    if (isInserted) inserted++;
    else unchanged++;
  });

  // Pass 2: decode each element; converter errors are reported afterwards, inserted first.
  const out = tooShort ? allocateElements(1, 0) : elementsFor(unchanged, inserted, options);
  const state = new ElementState(new Uint8Array(0), 0, out);
  let bound = -1;
  let nextInserted = unchanged;
  let nextUnchanged = 0;
  // (An object, not two variables: TypeScript does not see assignments made in the callback.)
  const firstError: { inserted: PendingError | null; unchanged: PendingError | null } = {
    inserted: null,
    unchanged: null,
  };
  try {
    scanTopLevel(win, true, (isInserted, start, length) => {
      if (isInserted ? nextInserted >= unchanged + inserted : nextUnchanged >= unchanged)
        throw new AkdReadError(`the proof file ${path} changed while being read`);
      if (bound !== win.generation) {
        state.rebind(win.buf.subarray(0, win.len), win.base);
        bound = win.generation;
      }
      const index = isInserted ? nextInserted++ : nextUnchanged++;
      const local = start - win.base;
      const error = state.decode(local, local + length, tooShort ? 0 : index);
      if (error !== null) {
        const listIndex = isInserted ? index - unchanged : index;
        const pending = {
          ...error,
          message: `${isInserted ? 'inserted' : 'unchanged_nodes'}[${listIndex}]: ${error.message}`,
        };
        if (isInserted) firstError.inserted ??= pending;
        else firstError.unchanged ??= pending;
      }
    });
  } catch (err) {
    if (source.currentSize() !== size)
      throw new AkdReadError(`the proof file ${path} changed while being read`, { cause: err });
    throw err;
  }
  if (source.currentSize() !== size || nextInserted !== unchanged + inserted || nextUnchanged !== unchanged)
    throw new AkdReadError(`the proof file ${path} changed while being read`);
  const first = firstError.inserted ?? firstError.unchanged;
  if (first !== null) throw new AkdDecodeError(first.reason, first.message, first.offset);
  if (tooShort) throw new Error(`internal: an element under ${MIN_ELEMENT_BYTES} bytes decoded without error`);
  return out;
}
