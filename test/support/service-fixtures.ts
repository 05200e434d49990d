// Shared fixtures for the service unit tests (test/unit/service-*.test.ts): deterministic signing
// keys, a roster built from them, and observations signed as a roster auditor would sign them.
import type { NamespaceConfig } from '../../src/config/config.js';
import type { Observation } from '../../src/consensus/observation.js';
import { Roster } from '../../src/consensus/roster.js';
import { signingKeyFromSeed, type SigningKey } from '../../src/crypto/ed25519.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { toHex } from '../../src/util/bytes.js';

/** Key `i` (1-based seeds, so key 0 is seed 1): the same key in every test run. */
export const testKey = (i: number): SigningKey => signingKeyFromSeed(new Uint8Array(32).fill(i + 1));

/** An Online AKD (whatsapp_v1) namespace whose log pushes its epochs: what the API route tests sign for. */
export function pushNamespaceConfig(name: string): NamespaceConfig {
  return {
    name,
    status: 'Online',
    logFormat: 'akd',
    formatSettings: { configuration: 'whatsapp_v1' },
    configuration: 'whatsapp_v1',
    source: 'push',
    pollIntervalSeconds: 60,
    startAt: 'head',
    advertisedLogDirectory: 'mirror',
    proofDirectoryCacheBust: false,
    tokenSha256: new Uint8Array(32),
  };
}

/** A 32-byte digest filled with one byte. */
export const digestOf = (b: number): Uint8Array => new Uint8Array(32).fill(b);

/** A roster of `n` auditors org1..orgN (auditor i has key `testKey(i)`), one namespace. */
export function testRoster(opts: { ns: string; auditors: number; threshold: number; logKey?: SigningKey }): Roster {
  return Roster.fromJson({
    network: 'svc-test',
    threshold: BigInt(opts.threshold),
    auditors: Array.from({ length: opts.auditors }, (_, i) => ({
      name: `org${i + 1}`,
      public_key: toHex(testKey(i).publicKey),
    })),
    namespaces: [{ name: opts.ns, ...(opts.logKey ? { log_key: toHex(opts.logKey.publicKey) } : {}) }],
  });
}

/** An observation of (ns, epoch, digest) signed by `key` at `timestamp`. */
export function signedObservation(
  key: SigningKey,
  ns: string,
  epoch: bigint,
  digest: Uint8Array,
  timestamp = 1000n,
): Observation {
  const m = { ciphersuite: 1, namespace: ns, timestamp, epoch, digest };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
}
