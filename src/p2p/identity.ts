// Persistent libp2p identity: an Ed25519 key in the node's data directory, so the peer id in the
// roster stays valid across restarts. The file holds libp2p's protobuf encoding of the private
// key (the format other libp2p tools read), is created with mode 0600 and never overwritten, and
// a file that group or others can access is refused, as ssh refuses such keys.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PrivateKey } from '@libp2p/interface';
import { errorMessage } from '../util/errors.js';
import { IdentityError } from './errors.js';

export const IDENTITY_FILE = 'p2p-identity.key';

export interface P2PIdentity {
  privateKey: PrivateKey;
  peerId: string;
  /** Absolute or data-dir-relative path of the key file. */
  path: string;
  /** True when this call generated the key. */
  created: boolean;
}

/** The key file: `fileName` as is when absolute (a mounted secret), else inside the data directory. */
export function identityPath(dataDir: string, fileName = IDENTITY_FILE): string {
  return isAbsolute(fileName) ? fileName : join(dataDir, fileName);
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Read an existing identity; throws IdentityError if missing, unsafe or malformed. */
export async function loadIdentity(dataDir: string, fileName = IDENTITY_FILE): Promise<P2PIdentity> {
  const path = identityPath(dataDir, fileName);
  let mode: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new IdentityError(path, 'is not a regular file');
    mode = st.mode;
  } catch (err) {
    if (err instanceof IdentityError) throw err;
    if (isErrno(err, 'ENOENT'))
      throw new IdentityError(path, 'no libp2p identity (run `chorus init` first)', { cause: err });
    throw new IdentityError(path, `cannot stat: ${errorMessage(err)}`, { cause: err });
  }
  if ((mode & 0o077) !== 0) {
    throw new IdentityError(
      path,
      `private key is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run: ` +
        `chmod 600 ${path}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new IdentityError(path, `cannot read: ${errorMessage(err)}`, { cause: err });
  }
  let privateKey: PrivateKey;
  try {
    privateKey = privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw new IdentityError(path, `not a libp2p private key: ${errorMessage(err)}`, { cause: err });
  }
  if (privateKey.type !== 'Ed25519') throw new IdentityError(path, `expected an Ed25519 key, found ${privateKey.type}`);
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), path, created: false };
}

/**
 * Load the identity, or create it if the file does not exist. Creation is atomic and never
 * clobbers: the key is written and fsynced to a temporary file, then hard-linked into place
 * (link fails if another process won the race, and we load the winner's key).
 */
export async function loadOrCreateIdentity(dataDir: string, fileName = IDENTITY_FILE): Promise<P2PIdentity> {
  const path = identityPath(dataDir, fileName);
  const dir = dirname(path);
  try {
    return await loadIdentity(dataDir, fileName);
  } catch (err) {
    if (!(err instanceof IdentityError && isErrno(err.cause, 'ENOENT'))) throw err;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privateKey = await generateKeyPair('Ed25519');
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  try {
    await fh.chmod(0o600); // the umask cannot widen it, but be explicit
    await fh.writeFile(privateKeyToProtobuf(privateKey));
    await fh.sync();
  } finally {
    await fh.close();
  }
  let created = true;
  try {
    await link(tmp, path);
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) {
      await unlink(tmp);
      throw new IdentityError(path, `cannot create: ${errorMessage(err)}`, { cause: err });
    }
    created = false; // another process created it first: use theirs
  }
  await unlink(tmp);
  await syncDir(dir);
  if (!created) return loadIdentity(dataDir, fileName);
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), path, created: true };
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, fsConstants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
