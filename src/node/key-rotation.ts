// Key rotation: a new key file next to the old one, added to the config's `keys:` list with its
// `not_before` (comments in the YAML are kept). The old key stays listed: /info shows both and its
// signatures keep verifying; the roster lists several keys per auditor (`chorus roster add` again).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { toHex } from '../util/bytes.js';
import { ChorusError } from '../util/errors.js';
import { U64_MAX } from '../util/u64.js';
import { loadConfig } from './config.js';
import { createKeyFile } from './keys.js';

export async function rotateKey(configFile: string, notBefore: bigint): Promise<{ public_key: string; file: string; not_before: string }> {
  if (notBefore < 0n || notBefore > U64_MAX) throw new ChorusError('bad-input', '--not-before must be a u64');
  const config = loadConfig(configFile);
  const file = join(config.dataDir, `node-${notBefore}.key`);
  const key = createKeyFile(file);
  const doc = parseDocument(readFileSync(configFile, 'utf8'), { intAsBigInt: true });
  const rel = dirname(file) === config.dataDir ? basename(file) : file;
  if (!doc.has('keys')) doc.set('keys', doc.createNode([{ file: 'node.key', not_before: 0n }]));
  doc.addIn(['keys'], doc.createNode({ file: rel, not_before: notBefore }));
  writeFileSync(configFile, doc.toString(), { mode: 0o600 });
  loadConfig(configFile); // the result must still be a valid config
  return { public_key: toHex(key.publicKey), file, not_before: notBefore.toString() };
}
