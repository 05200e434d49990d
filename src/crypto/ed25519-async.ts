// Strict Ed25519 verification through WebCrypto: the same strictness rules as ed25519.ts
// (ed25519-rules.ts), but the equation runs off the calling thread (Node's libuv pool, or the
// browser's crypto), so concurrent verifications use every core. No Node-only imports: the
// dashboard bundles this file.
import { publicKeyProblem, signatureProblem } from './ed25519-rules.js';

const subtle = (): SubtleCrypto => {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new Error('WebCrypto is not available');
  return c.subtle;
};

const keys = new Map<string, Promise<CryptoKey | null>>();
const MAX_KEYS = 4096;

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function importKey(publicKey: Uint8Array): Promise<CryptoKey | null> {
  const id = hex(publicKey);
  let k = keys.get(id);
  if (k === undefined) {
    k =
      publicKeyProblem(publicKey) === null
        ? subtle().importKey('raw', new Uint8Array(publicKey), { name: 'Ed25519' }, false, ['verify'])
        : Promise.resolve(null);
    if (keys.size >= MAX_KEYS) keys.clear();
    keys.set(id, k);
  }
  return k;
}

export async function verifyStrictAsync(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (signatureProblem(signature) !== null) return false;
  const key = await importKey(publicKey);
  if (key === null) return false;
  return subtle().verify('Ed25519', key, new Uint8Array(signature), new Uint8Array(message));
}
