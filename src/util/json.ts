// Lossless JSON: integers parse to bigint and bigints serialise as plain JSON numbers, so u64
// counters and timestamps never pass through a float (docs/protocol.md §2). Built on lossless-json.
import { parse, stringify } from 'lossless-json';
import { DecodeError } from './errors.js';

const INTEGER_RE = /^-?(0|[1-9][0-9]*)$/;

function parseNumber(text: string): bigint | number {
  // Integers stay exact; anything else (fractions, exponents) is a plain number that the
  // validators then reject wherever an integer is expected.
  return INTEGER_RE.test(text) ? BigInt(text) : Number(text);
}

/** Parse JSON text; integers become bigint. Throws DecodeError on malformed JSON or duplicate keys. */
export function parseJson(text: string): unknown {
  try {
    return parse(text, null, {
      parseNumber,
      onDuplicateKey: ({ key }) => {
        throw new DecodeError(`duplicate key "${key}"`);
      },
    });
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`malformed JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Serialise to JSON; bigint values are written as exact JSON numbers. */
export function stringifyJson(value: unknown, space?: number): string {
  const out = stringify(value, null, space);
  if (out === undefined) throw new TypeError('value cannot be serialised to JSON');
  return out;
}
