// One length-prefixed (unsigned varint, as everywhere in libp2p) frame in each direction of a
// libp2p 3 stream. libp2p 3 streams are event emitters that are also async iterables of chunks
// and take writes through send(); there is no sink/source duplex any more.
import type { Stream } from '@libp2p/interface';
import { decode, encode } from 'it-length-prefixed';
import { SyncOversizeError } from './errors.js';

/**
 * Read the first frame of the stream. Returns undefined if the remote closed its write side
 * before sending a frame. Further data after the frame is left unread (one frame per stream).
 * A length prefix above `maxBytes` fails at once, before the body is buffered.
 */
export async function readFrame(
  stream: Stream,
  maxBytes: number,
  which: 'request' | 'response',
): Promise<Uint8Array | undefined> {
  try {
    for await (const frame of decode(stream, { maxDataLength: maxBytes })) {
      return frame.subarray();
    }
  } catch (err) {
    // it-length-prefixed does not export its error classes; `code` is its documented contract.
    if ((err as { code?: unknown }).code === 'ERR_MSG_DATA_TOO_LONG') {
      throw new SyncOversizeError(which, maxBytes, undefined, { cause: err });
    }
    throw err;
  }
  return undefined;
}

/** Queue one frame for sending, waiting for the muxer to drain if its buffer is full. */
export async function writeFrame(stream: Stream, data: Uint8Array, signal: AbortSignal): Promise<void> {
  if (!stream.send(encode.single(data))) await stream.onDrain({ signal });
}
