// Reading a saved bundle or proof: JSON (as the API serves it) or the canonical protobuf bytes.
import { readFileSync } from 'node:fs';
import { parseJson } from '../util/json.js';

export type Document = { kind: 'json'; value: unknown } | { kind: 'protobuf'; bytes: Uint8Array };

export function readDocument(file: string, limitBytes = 1 << 20): Document {
  const bytes = new Uint8Array(readFileSync(file));
  if (bytes.length > limitBytes) throw new Error(`${file} is larger than ${limitBytes} bytes`);
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b /* { */) return { kind: 'json', value: parseJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) };
  return { kind: 'protobuf', bytes };
}
