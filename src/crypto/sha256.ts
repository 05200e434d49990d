// SHA-256 that runs in Node and in the browser alike (@noble/hashes): for pure code the dashboard
// bundles too (docs/architecture.md, `api/dashboard`), where node:crypto does not exist.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}
