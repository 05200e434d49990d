// Ed25519 for Node: signing keys, signing, and strict verification. Strictness rules come from
// ed25519-rules.ts; the signature equation is checked by node:crypto (OpenSSL), ~10x faster than
// pure JavaScript (STACK.md).
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { publicKeyProblem, signatureProblem } from './ed25519-rules.js';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface SigningKey {
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

class NodeSigningKey implements SigningKey {
  readonly publicKey: Uint8Array;
  readonly #key: KeyObject;
  constructor(key: KeyObject) {
    this.#key = key;
    const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
    this.publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  }
  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(nodeSign(null, message, this.#key));
  }
}

export function signingKeyFromSeed(seed: Uint8Array): SigningKey {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  return new NodeSigningKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}

export function signingKeyFromPem(pem: string): SigningKey {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519`);
  return new NodeSigningKey(key);
}

export function signingKeyToPem(seed: Uint8Array): string {
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

// Public keys are few (roster members, log keys): cache the parsed key and its strictness verdict.
const keyCache = new Map<string, KeyObject | null>();
const KEY_CACHE_MAX = 4096;

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey).toString('hex');
  const cached = keyCache.get(id);
  if (cached !== undefined) return cached;
  let value: KeyObject | null = null;
  if (publicKeyProblem(publicKey) === null) {
    value = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(id, value);
  return value;
}

/** Strict Ed25519 verification (as ed25519-dalek's `verify_strict`, plus canonical keys). */
export function verifyStrict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signatureProblem(signature) !== null) return false;
  const key = publicKeyObject(publicKey);
  if (key === null) return false;
  return nodeVerify(null, message, key, signature);
}
