// Reading a roster file from disk (the Roster class itself is pure, so the dashboard bundles it).
import { readFileSync } from 'node:fs';
import { Roster } from '../consensus/roster.js';
import { ConfigError } from '../util/errors.js';
import { parseJson } from '../util/json.js';

export function loadRoster(file: string): Roster {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('roster', `cannot read roster ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseJson(text);
  } catch (err) {
    throw new ConfigError('roster', `roster ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return Roster.fromJson(doc);
}
