// The node's Ed25519 signing key on disk: PKCS#8 PEM (what `openssl genpkey -algorithm ed25519`
// writes), readable by its owner only. A key that others can read is refused: whoever reads it
// can sign epochs in this organisation's name.
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import { signingKeyFromPem, signingKeyToPem, type SigningKey } from '../crypto/ed25519.js';
import { ChorusError } from '../util/errors.js';

export class KeyFileError extends ChorusError {
  constructor(message: string) {
    super('key-file', message);
  }
}

export function createKeyFile(path: string): SigningKey {
  const pem = signingKeyToPem(randomBytes(32));
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600); // never overwrite an existing key
  } catch (err) {
    throw new KeyFileError(`cannot create key file ${path}: ${(err as Error).message}`);
  }
  try {
    writeSync(fd, pem);
  } finally {
    closeSync(fd);
  }
  return signingKeyFromPem(pem);
}

export function loadKeyFile(path: string): SigningKey {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new KeyFileError(`cannot read key file ${path}: ${(err as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new KeyFileError(
      `key file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); ` +
        `run: chmod 600 ${path}`,
    );
  }
  try {
    return signingKeyFromPem(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new KeyFileError(
      `key file ${path} does not hold an Ed25519 private key (PKCS#8 PEM): ${(err as Error).message}`,
    );
  }
}
