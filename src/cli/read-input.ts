// Reading a saved bundle or proof: JSON (as the API serves it) or the canonical protobuf bytes.
import { readFileSync } from 'node:fs';
import { DecodeError } from '../util/errors.js';
import { parseJson } from '../util/json.js';
import { readStdinBytes } from './output.js';

export type Document = { kind: 'json'; value: unknown } | { kind: 'protobuf'; bytes: Uint8Array };

/** Tells JSON (first non-blank byte `{`) from protobuf; throws DecodeError on oversize or bad UTF-8. */
export function parseDocument(bytes: Uint8Array, what = 'input', limitBytes = 1 << 20): Document {
  if (bytes.length > limitBytes) throw new DecodeError(`${what} is larger than ${limitBytes} bytes`);
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x7b /* { */) return { kind: 'protobuf', bytes };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new DecodeError(`${what} starts like JSON but is not valid UTF-8`, { cause: err });
  }
  return { kind: 'json', value: parseJson(text) };
}

export function readDocument(file: string, limitBytes = 1 << 20): Document {
  return parseDocument(new Uint8Array(readFileSync(file)), file, limitBytes);
}

/** As readDocument; `-` reads standard input (README "CLI"). */
export async function readDocumentArg(file: string, limitBytes = 1 << 20): Promise<Document> {
  if (file !== '-') return readDocument(file, limitBytes);
  return parseDocument(await readStdinBytes(limitBytes), 'standard input', limitBytes);
}
