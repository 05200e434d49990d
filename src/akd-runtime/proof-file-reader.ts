// Decode a proof from a file without holding the file: the file side of the pure streaming decoder
// (src/akd/proof-stream.ts; docs/akd.md, "Where the bytes go"). Used by the pool's worker, the CLI
// (`chorus akd verify`) and the benchmarks.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AkdDecodeError, AkdReadError } from '../akd/errors.js';
import type { ProofElements } from '../akd/proof-codec.js';
import { decodeProofStream, type DecodeStreamOptions } from '../akd/proof-stream.js';

export type DecodeFileOptions = DecodeStreamOptions;

/**
 * Decode the SingleAppendOnlyProof in the file at `path`, reading it in windows. Throws
 * AkdDecodeError as decodeSingleAppendOnlyProof does for the same bytes, and AkdReadError when the
 * file cannot be read or changes while it is read (could not check: not a verdict on the proof).
 */
export function decodeProofFile(path: string, options: DecodeFileOptions = {}): ProofElements {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new AkdReadError(`cannot open the proof file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const source = {
      name: path,
      size: fstatSync(fd).size,
      read: (buf: Uint8Array, offset: number, length: number, position: number) =>
        readSync(fd, buf, offset, length, position),
      currentSize: () => fstatSync(fd).size,
    };
    return decodeProofStream(source, options);
  } catch (err) {
    if (err instanceof AkdDecodeError || err instanceof AkdReadError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string')
      throw new AkdReadError(`cannot read the proof file ${path}: ${(err as Error).message}`, { cause: err });
    throw err;
  } finally {
    closeSync(fd);
  }
}
