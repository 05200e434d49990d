// Key rotation: a new key file next to the old one, added to the config's `keys:` list with its
// `not_before` (comments in the YAML are kept). The old key stays listed: /info shows both and its
// signatures keep verifying; the roster lists several keys per auditor (`chorus roster add` again).
// The edited config is validated before anything is written, and replaces the old one atomically
// (temporary file, fsync, rename): a failed rotation leaves the config as it was.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse as parseYaml, parseDocument } from 'yaml';
import { toHex } from '../util/bytes.js';
import { ChorusError, errorMessage } from '../util/errors.js';
import { U64_MAX } from '../util/u64.js';
import { configFromObject, loadConfig } from '../config/config.js';
import { createKeyFile } from '../config/key-file.js';

/** Writes `text` to `file` atomically: a reader sees the old or the new content, never a mix. */
function replaceFile(file: string, text: string, mode: number): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export async function rotateKey(
  configFile: string,
  notBefore: bigint,
): Promise<{ public_key: string; file: string; not_before: string }> {
  if (notBefore < 0n || notBefore > U64_MAX) throw new ChorusError('bad-input', '--not-before must be a u64');
  const config = loadConfig(configFile);
  // Key windows follow the order of not_before (docs/design-decisions.md, "Key validity
  // windows"): a new key must come after every listed one, or it would cut an old key's window
  // short retroactively or share a start with it.
  const latest = config.keys.reduce((m, k) => (k.notBefore > m ? k.notBefore : m), -1n);
  if (notBefore <= latest)
    throw new ChorusError(
      'bad-input',
      `--not-before ${notBefore} must be later than the newest listed key's not_before (${latest})`,
    );
  const file = join(config.dataDir, `node-${notBefore}.key`);
  const doc = parseDocument(readFileSync(configFile, 'utf8'), { intAsBigInt: true });
  const rel = dirname(file) === config.dataDir ? basename(file) : file;
  if (!doc.has('keys')) doc.set('keys', doc.createNode([{ file: 'node.key', not_before: 0n }]));
  doc.addIn(['keys'], doc.createNode({ file: rel, not_before: notBefore }));
  const text = doc.toString();
  // the result must be a valid config
  configFromObject(parseYaml(text, { intAsBigInt: true, uniqueKeys: true }), configFile);
  const key = createKeyFile(file); // refuses to overwrite an existing key file
  try {
    replaceFile(configFile, text, statSync(configFile).mode & 0o777);
  } catch (err) {
    rmSync(file, { force: true }); // not listed anywhere: the rotation did not happen
    throw new ChorusError('write-failed', `cannot write ${configFile}: ${errorMessage(err)}`, { cause: err });
  }
  return { public_key: toHex(key.publicKey), file, not_before: notBefore.toString() };
}
