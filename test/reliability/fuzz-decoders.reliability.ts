// Fuzzing every decoder of hostile input (issue 7 item 4, "fuzz-decoders"). Each target gets
// arbitrary input (bytes or strings) and mutations of valid encodings: bit flips, byte sets,
// truncation, extension, byte insertion and deletion, corrupted length prefixes (protobuf varints,
// bincode u64s), splices of two valid messages, duplicated segments; text edits with the format's
// tokens; structural JSON/YAML edits (hostile values, dropped, added, wrapped, retyped fields).
// For every input:
//   - the decoder returns a value or throws one of the project's typed errors (ChorusError and
//     its subclasses), never a TypeError, RangeError, SyntaxError or a library's own error;
//   - it finishes: the slowest input of each target is recorded, one over 1 s is a violation,
//     and a watchdog thread fails the run if one input hangs;
//   - signed content stays authentic: a mutated observation, proof, bundle, alert, signature
//     response or signed message that decodes verifies only if what it says is what was signed
//     (it equals an original: a spliced proof of two genuine observations is genuine); a mutated
//     AKD proof verifies only if its elements are the original ones (order and encoding may
//     change, the set may not), and a semantically unchanged one still verifies;
//   - the gossip validators (the node's real NetworkService on a LevelDB store, behind a fake
//     transport) never throw, accept only genuine messages, and log no error; the sync server
//     answers every request with a decodable response.
// Counts are fixed (RELIABILITY_FUZZ_SCALE scales them), so a run replays from its logged seed.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { pino } from 'pino';
import { stringify as stringifyYaml, parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ChorusError } from '../../src/util/errors.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { parseU64, U64_MAX } from '../../src/util/u64.js';
import { signingKeyFromSeed, signingKeyToPem, verifyStrict, type SigningKey } from '../../src/crypto/ed25519.js';
import {
  CIPHERSUITE_BINCODE_ED25519,
  CIPHERSUITE_PROTOBUF_ED25519,
  keyId,
  signedBytes,
} from '../../src/plexi/signature-message.js';
import { signatureResponseFromJson, signatureResponseToJson } from '../../src/plexi/signature-response.js';
import { verifySignatureResponse } from '../../src/plexi/verify-response.js';
import { PlexiClient } from '../../src/plexi-client/client.js';
import { decodeObservation, encodeObservation, type Observation } from '../../src/consensus/observation.js';
import {
  checkEquivocationProof,
  decodeEquivocationProof,
  encodeEquivocationProof,
  makeEquivocationProof,
  type EquivocationProof,
} from '../../src/consensus/equivocation.js';
import {
  checkCosignedEpoch,
  cosignedEpochFromJson,
  cosignedEpochToJson,
  decodeCosignedEpoch,
  encodeCosignedEpoch,
  type CosignedEpoch,
} from '../../src/consensus/cosignature.js';
import {
  ALERT_MAX_AGE_MS,
  alertBody,
  alertSignedBytes,
  checkSignedAlert,
  decodeSignedAlert,
  encodeSignedAlert,
  parseAlertBody,
  type SignedAlert,
} from '../../src/consensus/alerts.js';
import { observationToJson, proofFromJson } from '../../src/consensus/proof-json.js';
import { Roster } from '../../src/consensus/roster.js';
import {
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncRequest,
  encodeSyncResponse,
} from '../../src/wire/sync-messages.js';
import { loadConfig } from '../../src/config/config.js';
import { renderConfig } from '../../src/config/config-template.js';
import { loadRoster } from '../../src/config/roster-load.js';
import { parseHistory, HISTORY_FORMAT } from '../../src/operator/signing-history-transfer.js';
import { parseListObjectsV2 } from '../../src/services/proof-directory.js';
import { loadKeyFile } from '../../src/config/key-file.js';
import { NetworkService } from '../../src/services/network-service.js';
import { parseDocument } from '../../src/cli/read-input.js';
import { parseEpochParam } from '../../src/api/plexi-routes.js';
import { alertsTopic, equivocationsTopic, observationsTopic, parseTopic } from '../../src/wire/topics.js';
import { encodeSyncCursor } from '../../src/wire/sync-cursor.js';
import { SyncSession, type ChorusHost, type TopicHandler, type ValidationResult } from '../../src/p2p/index.js';
import { loadIdentity, loadOrCreateIdentity } from '../../src/p2p/identity.js';
import { TopicValidationQueue, ValidationCounters } from '../../src/p2p/validation-queue.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { SigningStore } from '../../src/store/signing-store.js';
import {
  decodeAppendOnlyProof,
  decodeSingleAppendOnlyProof,
  encodeAppendOnlyProof,
  type ProofElements,
} from '../../src/akd/proof-codec.js';
import { formatBlobName, parseBlobName } from '../../src/akd/blob-name.js';
import { verifyAuditBlob, verifyConsecutiveAppendOnly } from '../../src/akd/verifier.js';
import { SyntheticLog } from '../../src/akd/generator.js';
import type { AkdConfiguration } from '../../src/akd/configuration.js';
import { tempDir } from '../support/tmp.js';
import {
  arbitraryBytes,
  arbitraryText,
  fuzzSeed,
  mutatedBytes,
  mutatedJson,
  mutatedText,
  mutatedValue,
  preview,
  protobufLengthFields,
  scaled,
  subSeed,
  Watchdog,
  writeProvisional,
  type LengthField,
} from './fuzz-support.js';
import { Invariants, writePart } from './support.js';

const PART = 'fuzz-decoders';
const NS = 'fuzz.example';
const NS2 = 'other.example';
const NETWORK = 'fuzznet';
/** One input taking longer than this is a violation (anti-hang cap, not a speed assertion). */
const INPUT_CAP_MS = 1000;
/** The watchdog kills the run when one input has not returned after this long. */
const HANG_MS = 60_000;
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// ---- the harness -------------------------------------------------------------------------------

interface TargetStats {
  inputs: number;
  decoded: number;
  typedErrors: number;
  /** Inputs that verified as authentic (signatures, proofs) after decoding. */
  verified: number;
  maxMs: number;
  slowest: string;
  errorClasses: Record<string, number>;
}

class DecoderFuzz {
  readonly inv = new Invariants();
  readonly targets = new Map<string, TargetStats>();
  total = 0;
  #current = '';
  #stats: TargetStats | undefined;

  constructor(
    readonly seed: number,
    readonly dog: Watchdog,
  ) {}

  begin(name: string): void {
    this.#current = name;
    this.dog.target(name);
    let s = this.targets.get(name);
    if (!s)
      this.targets.set(
        name,
        (s = { inputs: 0, decoded: 0, typedErrors: 0, verified: 0, maxMs: 0, slowest: '', errorClasses: {} }),
      );
    this.#stats = s;
  }

  get stats(): TargetStats {
    return this.#stats as TargetStats;
  }

  #typed(err: unknown, show: () => string): void {
    const s = this.stats;
    if (err instanceof ChorusError) {
      s.typedErrors++;
      s.errorClasses[err.name] = (s.errorClasses[err.name] ?? 0) + 1;
      return;
    }
    const e = err as { name?: unknown; message?: unknown; stack?: unknown };
    const where =
      typeof e.stack === 'string'
        ? e.stack
            .split('\n')
            .slice(1, 3)
            .map((l) => l.trim())
            .join(' < ')
        : '';
    this.inv.fail(
      `${this.#current}: untyped ${String(e.name ?? typeof err)}: ${String(e.message ?? err).slice(0, 200)} [${where}] on ${show()}`,
    );
  }

  #timed(dt: number, show: () => string): void {
    const s = this.stats;
    if (dt > s.maxMs) {
      s.maxMs = dt;
      s.slowest = show().slice(0, 120);
    }
    if (dt > INPUT_CAP_MS)
      this.inv.fail(`${this.#current}: one input took ${dt.toFixed(0)} ms (cap ${INPUT_CAP_MS} ms): ${show()}`);
  }

  /** One input through `fn`: its value, or undefined after a typed error (untyped ones are violations). */
  one<R>(show: () => string, fn: () => R): R | undefined {
    const s = this.stats;
    s.inputs++;
    this.total++;
    this.dog.begin(s.inputs);
    const t0 = performance.now();
    try {
      const r = fn();
      s.decoded++;
      return r;
    } catch (err) {
      this.#typed(err, show);
      return undefined;
    } finally {
      this.dog.end();
      this.#timed(performance.now() - t0, show);
    }
  }

  async oneAsync<R>(show: () => string, fn: () => Promise<R>): Promise<R | undefined> {
    const s = this.stats;
    s.inputs++;
    this.total++;
    this.dog.begin(s.inputs);
    const t0 = performance.now();
    try {
      const r = await fn();
      s.decoded++;
      return r;
    } catch (err) {
      this.#typed(err, show);
      return undefined;
    } finally {
      this.dog.end();
      this.#timed(performance.now() - t0, show);
    }
  }

  check(ok: boolean, message: () => string): boolean {
    return this.inv.check(ok, () => `${this.#current}: ${message()}`);
  }

  /** Runs `runs` inputs of `arb` through `body` (which calls `one`), seeded per target. */
  run<T>(name: string, arb: fc.Arbitrary<T>, runs: number, body: (t: T) => void): void {
    this.begin(name);
    const details = fc.check(
      fc.property(arb, (t) => {
        body(t);
      }),
      { numRuns: runs, seed: subSeed(this.seed, name), endOnFailure: true },
    );
    if (details.failed) this.inv.fail(`${name}: the fuzz harness itself failed: ${String(details.errorInstance)}`);
  }

  async runAsync<T>(name: string, arb: fc.Arbitrary<T>, runs: number, body: (t: T) => Promise<void>): Promise<void> {
    this.begin(name);
    const details = await fc.check(
      fc.asyncProperty(arb, async (t) => {
        await body(t);
      }),
      { numRuns: runs, seed: subSeed(this.seed, name), endOnFailure: true },
    );
    if (details.failed) this.inv.fail(`${name}: the fuzz harness itself failed: ${String(details.errorInstance)}`);
  }
}

/** Arbitrary input or a mutant of the corpus, tagged for the report. */
type Input<T> = { value: T; base: number; ops: string };
function mixed<T>(
  arbitrary: fc.Arbitrary<T>,
  mutants: fc.Arbitrary<Input<T>>,
  arbitraryWeight = 1,
  mutantWeight = 2,
): fc.Arbitrary<Input<T>> {
  return fc.oneof(
    { weight: arbitraryWeight, arbitrary: arbitrary.map((value) => ({ value, base: -1, ops: 'arbitrary' })) },
    { weight: mutantWeight, arbitrary: mutants },
  );
}
const showBytes = (i: Input<Uint8Array>) => () => `${preview(i.value)} (base ${i.base}, ${i.ops})`;
const showText = (i: Input<string>) => () => `${preview(i.value)} (base ${i.base}, ${i.ops})`;

// ---- genuine material ----------------------------------------------------------------------------

const auditors = [1, 2, 3].map((i) => signingKeyFromSeed(new Uint8Array(32).fill(i)));
const logKey = signingKeyFromSeed(new Uint8Array(32).fill(9));
const outsider = signingKeyFromSeed(new Uint8Array(32).fill(7));
const ownKey = signingKeyFromSeed(new Uint8Array(32).fill(42));
const [org1, org2, org3] = auditors as [SigningKey, SigningKey, SigningKey];
const rosterJson = {
  network: NETWORK,
  threshold: 2n,
  auditors: [
    {
      name: 'org1',
      public_key: toHex(org1.publicKey),
      peer_id: '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN',
      addresses: ['/ip4/127.0.0.1/tcp/4001'],
    },
    {
      name: 'org2',
      keys: [
        { public_key: toHex(org2.publicKey), not_before: 0n },
        { public_key: toHex(ownKey.publicKey), not_before: 1n << 62n },
      ],
    },
    { name: 'org3', public_key: toHex(org3.publicKey), plexi_url: 'https://plexi.example.org' },
  ],
  namespaces: [
    {
      name: NS,
      configuration: 'whatsapp_v1',
      log_key: toHex(logKey.publicKey),
      root: `0/${'ab'.repeat(32)}`,
      proof_directory: 'https://proofs.example.org',
    },
    { name: NS2, configuration: 'experimental', domain_label: 'ExampleLabel' },
  ],
};
const roster = Roster.fromJson(rosterJson);
const T0 = 1_700_000_000_000n;

function observe(
  key: SigningKey,
  digest: number,
  epoch: bigint,
  namespace = NS,
  timestamp = T0,
  ciphersuite = CIPHERSUITE_PROTOBUF_ED25519,
): Observation {
  const m = { ciphersuite, namespace, timestamp, epoch, digest: new Uint8Array(32).fill(digest) };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
}

const observations: Observation[] = [
  observe(org1, 1, 5n),
  observe(org2, 2, 5n),
  observe(org3, 1, 5n),
  observe(org1, 3, 5n),
  observe(logKey, 1, 5n),
  observe(logKey, 4, 5n),
  observe(org1, 5, U64_MAX, NS, U64_MAX),
  observe(org2, 6, (1n << 53n) + 1n, NS, T0 + 1n, CIPHERSUITE_BINCODE_ED25519),
  observe(org2, 7, (1n << 53n) + 1n, NS, T0 + 2n, CIPHERSUITE_BINCODE_ED25519),
  observe(org3, 7, 1n, NS2),
  observe(outsider, 8, 5n),
  observe(org1, 9, 0n, NS, 0n),
  observe(org2, 10, 6n, NS, T0 * 4n),
  observe(org3, 11, 7n, 'ü-ns-\u00e9'),
];
const obsKey = (o: Observation): string => hex(encodeObservation(o));
const genuineObservations = new Set(observations.map(obsKey));
const isGenuine = (o: Observation): boolean => genuineObservations.has(obsKey(o));
const byKey = (o: Observation[], k: SigningKey, d: number): Observation =>
  o.find((x) => x.signerKey === k.publicKey && x.digest[0] === d) as Observation;
const pairs: [Observation, Observation][] = [
  [byKey(observations, org1, 1), byKey(observations, org2, 2)],
  [byKey(observations, org1, 1), byKey(observations, org1, 3)],
  [byKey(observations, logKey, 1), byKey(observations, logKey, 4)],
  [byKey(observations, org3, 1), byKey(observations, org2, 2)],
  [byKey(observations, outsider, 8), byKey(observations, org1, 1)],
  [byKey(observations, org2, 6), byKey(observations, org2, 7)],
];
const proofs: EquivocationProof[] = pairs.map(([a, b]) => makeEquivocationProof(a, b));
const proofBytes = [
  ...proofs.map(encodeEquivocationProof),
  encodeEquivocationProof({ first: proofs[0]?.second as Observation, second: proofs[0]?.first as Observation }),
];
const proofJsonTexts = proofs.map((p) =>
  stringifyJson({
    id: 'x',
    namespace: p.first.namespace,
    epoch: p.first.epoch,
    first: observationToJson(p.first),
    second: observationToJson(p.second),
  }),
);

const bundles: CosignedEpoch[] = [
  {
    namespace: NS,
    epoch: 5n,
    digest: new Uint8Array(32).fill(1),
    cosignatures: [org1, org3, logKey].map((k) => {
      const o = byKey(observations, k, 1);
      return { signerKey: o.signerKey, timestamp: o.timestamp, signature: o.signature, ciphersuite: o.ciphersuite };
    }),
  },
  {
    namespace: NS,
    epoch: U64_MAX,
    digest: new Uint8Array(32).fill(5),
    cosignatures: [
      {
        signerKey: org1.publicKey,
        timestamp: U64_MAX,
        signature: (observations[6] as Observation).signature,
        ciphersuite: 1,
      },
    ],
  },
  {
    namespace: NS,
    epoch: (1n << 53n) + 1n,
    digest: new Uint8Array(32).fill(6),
    cosignatures: [
      {
        signerKey: org2.publicKey,
        timestamp: T0 + 1n,
        signature: (observations[7] as Observation).signature,
        ciphersuite: 2,
      },
    ],
  },
];
const bundleBytes = bundles.map(encodeCosignedEpoch);
const bundleJsonTexts = bundles.map((b) =>
  stringifyJson(
    cosignedEpochToJson(b, {
      threshold: 2,
      quorum: true,
      equivocated: false,
      names: (k) => roster.signerName(b.namespace, k) ?? null,
    }),
  ),
);

const alerts: SignedAlert[] = [
  [org1, { type: 'log-stalled', namespace: NS, timestamp: T0, reason: 'no epoch for 600 s' }],
  [
    org2,
    {
      type: 'validation-failed',
      namespace: NS,
      epoch: 5n,
      timestamp: T0,
      reason: 'end root does not match',
      failure: { reason: 'root-mismatch', offset: 12n },
    },
  ],
  [outsider, { type: 'quorum-missed', namespace: NS, epoch: 6n, timestamp: T0, reason: 'x' }],
].map(([k, a]) => {
  const key = k as SigningKey;
  const body = alertBody(a as Parameters<typeof alertBody>[0], roster.network);
  return { body, signerKey: key.publicKey, signature: key.sign(alertSignedBytes(body)) };
});
const alertKey = (s: SignedAlert): string => `${hex(s.body)}|${hex(s.signerKey)}|${hex(s.signature)}`;
const genuineAlerts = new Set(alerts.map(alertKey));
const alertBytes = alerts.map(encodeSignedAlert);

const syncRequests = [
  encodeSyncRequest({
    namespace: NS,
    limit: 256,
    cursor: new Uint8Array(),
    mode: { kind: 'observations', fromEpoch: 0n, toEpoch: U64_MAX },
  }),
  encodeSyncRequest({
    namespace: NS,
    limit: 2,
    cursor: encodeSyncCursor({ kind: 'epoch-item', epoch: 5n, item: new Uint8Array(64).fill(1) }),
    mode: { kind: 'observations', fromEpoch: 5n, toEpoch: 6n },
  }),
  encodeSyncRequest({
    namespace: NS,
    limit: 0,
    cursor: new Uint8Array(),
    mode: { kind: 'proofs', fromEpoch: 0n, toEpoch: U64_MAX },
  }),
  encodeSyncRequest({
    namespace: NS2,
    limit: 1,
    cursor: new Uint8Array(40).fill(0xff),
    mode: { kind: 'arrival', resume: { logId: new Uint8Array(16).fill(2), number: 7n } },
  }),
];
const syncResponses = [
  encodeSyncResponse({ observations }),
  encodeSyncResponse({ proofs }),
  encodeSyncResponse({
    observations: observations.slice(0, 3),
    proofs: proofs.slice(0, 2),
    nextCursor: new TextEncoder().encode('cursor'),
    error: '',
  }),
  encodeSyncResponse({ error: 'namespace x is not known here' }),
];

// The signed bytes of both Plexi ciphersuites: our own and Plexi's published test vectors.
interface Signed {
  bytes: Uint8Array;
  key: Uint8Array;
  signature: Uint8Array;
}
interface PlexiVector {
  verifying_key: string;
  key_id: number;
  namespace: string;
  timestamp: number;
  epoch: number;
  digest: string;
  signature: string;
  ciphersuite: number;
}
const vectors = JSON.parse(readFileSync(join(FIXTURES, 'plexi-vectors', 'test-vectors.json'), 'utf8')) as PlexiVector[];
const vectorResponses = vectors.map((v) => ({
  key: fromHex(v.verifying_key, 32),
  response: {
    ciphersuite: v.ciphersuite,
    namespace: v.namespace,
    timestamp: BigInt(v.timestamp),
    epoch: BigInt(v.epoch),
    digest: fromHex(v.digest, 32),
    signature: fromHex(v.signature, 64),
    keyId: v.key_id,
  },
}));
const signedCorpus: Signed[] = [
  ...observations.map((o) => ({ bytes: signedBytes(o), key: o.signerKey, signature: o.signature })),
  ...vectorResponses.map((v) => ({ bytes: signedBytes(v.response), key: v.key, signature: v.response.signature })),
];

// SignatureResponse JSON as the API serves it (with serialized_message), and Plexi's vectors.
const responseCorpus: { text: string; key: Uint8Array }[] = [
  ...observations.map((o) => ({
    text: stringifyJson(
      signatureResponseToJson({ ...o, keyId: keyId(o.signerKey), serializedMessage: signedBytes(o) }),
    ),
    key: o.signerKey,
  })),
  ...vectorResponses.map((v) => ({ text: stringifyJson(signatureResponseToJson(v.response)), key: v.key })),
];
const responseTuple = (
  key: Uint8Array,
  r: {
    ciphersuite: number;
    namespace: string;
    timestamp: bigint;
    epoch: bigint;
    digest: Uint8Array;
    signature: Uint8Array;
  },
): string =>
  `${hex(key)}|${r.ciphersuite}|${JSON.stringify(r.namespace)}|${r.timestamp}|${r.epoch}|${hex(r.digest)}|${hex(r.signature)}`;
const genuineResponses = new Set([
  ...observations.map((o) => responseTuple(o.signerKey, o)),
  ...vectorResponses.map((v) => responseTuple(v.key, v.response)),
]);

/** bincode's two u64 length prefixes (namespace, digest), else the protobuf walker. */
function signedLengthFields(b: Uint8Array): LengthField[] {
  if (b.length >= 12 && (b[0] === 2 || b[0] === 1) && b[1] === 0 && b[2] === 0 && b[3] === 0 && b[4] !== 0x12) {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out: LengthField[] = [{ at: 4, size: 8, encoding: 'u64le', value: view.getBigUint64(4, true) }];
    const nsLen = Number(view.getBigUint64(4, true));
    const at = 12 + nsLen + 16;
    if (nsLen < 4096 && at + 8 <= b.length)
      out.push({ at, size: 8, encoding: 'u64le', value: view.getBigUint64(at, true) });
    return out;
  }
  return protobufLengthFields(b);
}

// ---- AKD proofs ------------------------------------------------------------------------------

interface AkdCase {
  name: string;
  bytes: Uint8Array;
  blobName: string;
  configuration: AkdConfiguration;
  elements: ProofElements;
  /** Sorted element keys: the proof's meaning, whatever the order and encoding. */
  canonical: string;
  inserted: string;
}

function elementKeys(p: ProofElements): { all: string; inserted: string } {
  const keys: string[] = [];
  const ins: string[] = [];
  for (let i = 0; i < p.count; i++) {
    const k = Buffer.concat([
      p.labels.subarray(i * 32, i * 32 + 32),
      Buffer.from([(p.lens[i] as number) >> 8, (p.lens[i] as number) & 0xff]),
      p.values.subarray(i * 32, i * 32 + 32),
    ]).toString('latin1');
    if (i < p.unchangedCount) keys.push(`u${k}`);
    else {
      keys.push(`i${k}`);
      ins.push(k);
    }
  }
  return { all: keys.sort().join('\n'), inserted: ins.sort().join('\n') };
}

function akdCases(seed: number): AkdCase[] {
  const index = JSON.parse(readFileSync(join(FIXTURES, 'akd-vectors', 'index.json'), 'utf8')) as {
    name: string;
    config: string;
    expected: string;
    blob_name: string;
    proof_file: string;
    inserted_count: number;
    unchanged_count: number;
  }[];
  const out: AkdCase[] = [];
  const add = (name: string, bytes: Uint8Array, blobName: string, configuration: AkdConfiguration) => {
    const elements = decodeSingleAppendOnlyProof(bytes);
    const r = verifyAuditBlob(bytes, blobName, configuration);
    if (!r.ok) throw new Error(`AKD corpus case ${name} does not verify: ${r.error.message}`);
    const k = elementKeys(elements);
    out.push({ name, bytes, blobName, configuration, elements, canonical: k.all, inserted: k.inserted });
  };
  for (const c of index) {
    if (c.expected !== 'ok' || c.inserted_count + c.unchanged_count > 400) continue;
    const configuration: AkdConfiguration =
      c.config === 'experimental' ? { name: 'experimental', domainLabel: 'ExampleLabel' } : { name: 'whatsapp_v1' };
    add(c.name, new Uint8Array(readFileSync(join(FIXTURES, 'akd-vectors', c.proof_file))), c.blob_name, configuration);
  }
  // A few more from the synthetic log generator (seeded by the run's seed), both configurations.
  for (const configuration of [
    { name: 'whatsapp_v1' },
    { name: 'experimental', domainLabel: 'FuzzLabel' },
  ] as AkdConfiguration[]) {
    const log = new SyntheticLog(configuration, `fuzz-${seed}`);
    for (const k of [3, 17, 6]) {
      const e = log.publish(k);
      add(`generated-${configuration.name}-e${e.epoch}`, e.proof, e.blobName, configuration);
    }
  }
  return out;
}

// ---- text corpora ----------------------------------------------------------------------------

const YAML_TOKENS = [
  ': ',
  '- ',
  '\n',
  '\n  ',
  '\n    - ',
  '  ',
  '&a ',
  '*a',
  '!!binary ',
  '!!str ',
  '!!int ',
  '!!float ',
  '!!map ',
  '? ',
  '|',
  '>',
  '#',
  '%YAML 1.2\n---\n',
  '---\n',
  '...\n',
  '<<: *a',
  '{',
  '}',
  '[',
  ']',
  ',',
  '"',
  "'",
  '\\',
  '\t',
  '0x1F',
  '0o17',
  '1e400',
  '-1',
  '99999999999999999999',
  '.inf',
  '.nan',
  '~',
  'null',
  'true',
  'no',
  '2001-12-14',
  '\u0000',
  '\ufeff',
  '\ud800',
];
const XML_TOKENS = [
  '<',
  '>',
  '/',
  '<Key>',
  '</Key>',
  '<IsTruncated>',
  '</IsTruncated>',
  'true',
  '&amp;',
  '&lt;',
  '&#',
  '&#x',
  ';',
  '&#65;',
  '&#1114111;',
  '&#1114112;',
  '&#x10FFFF;',
  '&#x110000;',
  '&#99999999999999999999;',
  '&#x;',
  '&#;',
  '\u0000',
  '\ud800',
  '<s3:Key>',
  '<ListBucketResult>',
];
const NAME_TOKENS = [
  '/',
  '//',
  '0',
  '18446744073709551615',
  '18446744073709551616',
  '-',
  '+',
  ' ',
  '%2F',
  '..',
  'ab'.repeat(32),
  'AB'.repeat(32),
  'g',
  '\u0000',
  '\ud800',
  '\uff10',
];
const TOPIC_TOKENS = [
  '/',
  '/chorus',
  '/1',
  'observations',
  'equivocations',
  'alerts',
  NETWORK,
  NS,
  ' ',
  '%',
  '\u0000',
  '..',
  '~',
  ':',
];

function configCorpus(): string[] {
  const token = 'ab'.repeat(32);
  return [
    renderConfig({
      httpPort: 8080,
      keyFile: 'node.key',
      notBefore: 0n,
      namespaces: [{ name: NS, tokenSha256: token }],
    }),
    renderConfig({
      httpPort: 0,
      httpHost: '0.0.0.0',
      publicUrl: 'https://chorus.example.org',
      p2pPort: 4001,
      p2pAnnounce: ['/dns4/chorus.example.org/tcp/4001'],
      keyFile: 'keys/node.key',
      notBefore: 1_700_000_000_000n,
      adminTokenSha256: 'cd'.repeat(32),
      namespaces: [
        {
          name: NS,
          tokenSha256: token,
          status: 'Online',
          root: `100/${'ef'.repeat(32)}`,
          logKey: toHex(logKey.publicKey),
          source: 'directory',
          proofDirectory: 'https://proofs.example.org',
          pollIntervalSeconds: 5,
        },
        {
          name: NS2,
          tokenSha256: token,
          configuration: 'experimental',
          domainLabel: 'ExampleLabel',
          status: 'Disabled',
        },
      ],
    }),
  ];
}

function historyCorpus(): string[] {
  const sigs = observations
    .filter((o) => o.namespace === NS && o.signerKey === org1.publicKey)
    .map((o) => ({
      epoch: o.epoch,
      digest: toHex(o.digest),
      timestamp: o.timestamp,
      ciphersuite: BigInt(o.ciphersuite),
      signature: toHex(o.signature),
      public_key: toHex(o.signerKey),
    }));
  return [
    stringifyJson({
      format: HISTORY_FORMAT,
      exported_at: T0,
      public_keys: [toHex(org1.publicKey)],
      namespaces: [
        {
          name: NS,
          root: { epoch: 0n, digest: 'ab'.repeat(32) },
          low_water_mark: { epoch: 5n, digest: '01'.repeat(32) },
          signatures: sigs.map((s, i) => (i === 1 ? { ...s, previous: '01'.repeat(32) } : s)),
        },
      ],
    }),
    stringifyJson({
      format: HISTORY_FORMAT,
      exported_at: 0n,
      public_keys: [],
      namespaces: [{ name: NS2, root: null, low_water_mark: null, signatures: [] }],
    }),
  ];
}

const s3Listing = [
  '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>proofs</Name><Prefix></Prefix><KeyCount>2</KeyCount>' +
    `<IsTruncated>true</IsTruncated><Contents><Key>1/${'ab'.repeat(32)}/${'cd'.repeat(32)}</Key><Size>10</Size></Contents>` +
    '<Contents><Key>odd &amp; &lt;name&gt; &#65;&#x42; &quot;q&quot; &apos;</Key></Contents></ListBucketResult>',
  '<s3:ListBucketResult xmlns:s3="x"><s3:Key>2/a/b</s3:Key><s3:IsTruncated> false </s3:IsTruncated></s3:ListBucketResult>',
];

const namespaceInfoTexts = [
  stringifyJson({
    name: NS,
    log_directory: 'http://127.0.0.1:8080',
    root: `100/${'ef'.repeat(32)}`,
    last_verified_epoch: 105n,
    status: 'Online',
    reports_uri: `/namespaces/${NS}/reports`,
    audits_uri: `/namespaces/${NS}/audits`,
    signature_version: 1n,
    ciphersuite: 1n,
    last_signed: { epoch: 106n },
  }),
  stringifyJson({
    name: NS2,
    log_directory: null,
    root: null,
    status: 'Initialization',
    reports_uri: '/r',
    audits_uri: '/a',
    ciphersuite: 2n,
  }),
];

// ---- the part ------------------------------------------------------------------------------

describe('fuzzing every decoder of hostile input', () => {
  const tmp = tempDir('chorus-rel-fuzz-');
  let db: RootDb | undefined;
  afterAll(async () => {
    await db?.close();
    tmp.cleanup();
  });

  it('decoders return a value or a typed error, never hang, and never authenticate altered content', async () => {
    const started = Date.now();
    writeProvisional(PART);
    const seed = fuzzSeed(PART);
    const dog = new Watchdog(PART, seed, HANG_MS);
    const f = new DecoderFuzz(seed, dog);
    const timing: Record<string, number> = {};
    let yamlWarnings = 0;
    const section = async (name: string, body: () => void | Promise<void>): Promise<void> => {
      const t0 = Date.now();
      await body();
      timing[name] = Date.now() - t0;
    };

    try {
      // -- lossless JSON (HTTP bodies, roster, bundles, proofs, history) ----------------------------
      await section('json', () => {
        const corpus = [
          ...responseCorpus.map((r) => r.text),
          ...proofJsonTexts,
          ...bundleJsonTexts,
          stringifyJson(rosterJson),
          ...historyCorpus(),
        ];
        f.run(
          'json.parse',
          mixed(arbitraryText(300), fc.oneof(mutatedText(corpus), mutatedJson(corpus)), 1, 1),
          scaled(30_000),
          (i) => {
            f.one(showText(i), () => parseJson(i.value));
          },
        );
        f.run(
          'json.deep-nesting',
          fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":', '[{"b":['), fc.boolean()),
          scaled(200),
          ([depth, open, withValue]) => {
            const text = open.repeat(depth) + (withValue ? '1' : '');
            f.one(
              () => `${JSON.stringify(open)} x ${depth}`,
              () => parseJson(text),
            );
          },
        );
      });

      // -- Plexi: SignatureResponse JSON and the two signed encodings --------------------------------
      await section('plexi', () => {
        const texts = responseCorpus.map((r) => r.text);
        f.run(
          'plexi.signature-response',
          mixed(
            arbitraryText(400),
            fc.oneof({ weight: 2, arbitrary: mutatedJson(texts) }, { weight: 1, arbitrary: mutatedText(texts) }),
          ),
          scaled(30_000),
          (i) => {
            const key = i.base >= 0 ? (responseCorpus[i.base] as { key: Uint8Array }).key : org1.publicKey;
            const check = f.one(showText(i), () => {
              const r = signatureResponseFromJson(parseJson(i.value));
              return { r, v: verifySignatureResponse(r, key) };
            });
            if (check?.v.ok) {
              f.stats.verified++;
              f.check(
                genuineResponses.has(responseTuple(key, check.r)),
                () => `a response that was not signed verifies: ${i.value}`,
              );
            }
          },
        );
        f.run(
          'plexi.signed-message',
          mixed(
            arbitraryBytes(200),
            mutatedBytes(
              signedCorpus.map((s) => s.bytes),
              signedLengthFields,
            ),
            1,
            4,
          ),
          scaled(20_000),
          (i) => {
            const s = signedCorpus[i.base >= 0 ? i.base : 0] as Signed;
            const ok = f.one(showBytes(i), () => verifyStrict(s.key, i.value, s.signature));
            if (ok) {
              f.stats.verified++;
              f.check(
                Buffer.from(i.value).equals(Buffer.from(s.bytes)),
                () => `altered signed bytes verify: ${showBytes(i)()}`,
              );
            }
          },
        );
        f.run(
          'crypto.verify-strict',
          fc.tuple(
            fc.uint8Array({ maxLength: 40 }),
            fc.uint8Array({ maxLength: 100 }),
            fc.uint8Array({ maxLength: 70 }),
          ),
          scaled(5_000),
          ([k, m, s]) => {
            const ok = f.one(
              () => `key ${hex(k)} sig ${hex(s)}`,
              () => verifyStrict(k, m, s),
            );
            f.check(ok !== true, () => `random key/signature verified: ${hex(k)} ${hex(s)}`);
          },
        );
        f.run(
          'plexi.namespace-info',
          mixed(arbitraryText(200), fc.oneof(mutatedJson(namespaceInfoTexts), mutatedText(namespaceInfoTexts))),
          scaled(5_000),
          (i) => {
            f.one(showText(i), () => PlexiClient.namespaceInfoFromJson(parseJson(i.value)));
          },
        );
      });

      // -- Chorus protobufs ---------------------------------------------------------------------
      await section('protobuf', async () => {
        const obsBytes = observations.map(encodeObservation);
        f.run('observation.protobuf', mixed(arbitraryBytes(400), mutatedBytes(obsBytes)), scaled(30_000), (i) => {
          const r = f.one(showBytes(i), () => {
            const o = decodeObservation(i.value);
            return { o, ok: verifyStrict(o.signerKey, signedBytes(o), o.signature) };
          });
          if (!r) return;
          if (r.ok) f.stats.verified++;
          const genuine = isGenuine(r.o);
          f.check(!r.ok || genuine, () => `an altered observation verifies: ${showBytes(i)()}`);
          f.check(
            !genuine || r.ok,
            () => `a genuine observation no longer verifies after a no-op mutation: ${showBytes(i)()}`,
          );
        });

        // Decoding and checking run as one input (the check is async: the verifier is injected).
        const proofTarget = async <T extends Uint8Array | string>(
          name: string,
          arb: fc.Arbitrary<Input<T>>,
          runs: number,
          decode: (v: T) => EquivocationProof,
        ): Promise<void> => {
          await f.runAsync(name, arb, runs, async (i) => {
            const show = () => `${preview(i.value)} (base ${i.base}, ${i.ops})`;
            const r = await f.oneAsync(show, async () => {
              const p = decode(i.value);
              return { p, c: await checkEquivocationProof(p, roster, verifyStrict) };
            });
            if (!r?.c.ok) return;
            f.stats.verified++;
            f.check(
              isGenuine(r.p.first) && isGenuine(r.p.second),
              () => `an equivocation proof with an altered observation is valid: ${show()}`,
            );
          });
        };
        await proofTarget(
          'equivocation-proof.protobuf',
          mixed(arbitraryBytes(600), mutatedBytes(proofBytes)),
          scaled(20_000),
          decodeEquivocationProof,
        );
        const proofJsonArb = mixed(
          arbitraryText(400),
          fc.oneof(
            { weight: 2, arbitrary: mutatedJson(proofJsonTexts) },
            { weight: 1, arbitrary: mutatedText(proofJsonTexts) },
          ),
        );
        await proofTarget('equivocation-proof.json', proofJsonArb, scaled(15_000), (t) => proofFromJson(parseJson(t)));
        // verify-proof's input: a file of either form, told apart by its first byte.
        const proofFiles = [...proofBytes, ...proofJsonTexts.map((t) => new TextEncoder().encode(`\n ${t}`))];
        await proofTarget(
          'verify-proof.file',
          mixed(arbitraryBytes(600), mutatedBytes(proofFiles)),
          scaled(10_000),
          (b) => {
            const doc = parseDocument(b);
            return doc.kind === 'json' ? proofFromJson(doc.value) : decodeEquivocationProof(doc.bytes);
          },
        );

        const bundleTarget = async <T extends Uint8Array | string>(
          name: string,
          arb: fc.Arbitrary<Input<T>>,
          runs: number,
          decode: (v: T) => CosignedEpoch,
        ): Promise<void> => {
          await f.runAsync(name, arb, runs, async (i) => {
            const show = () => `${preview(i.value)} (base ${i.base}, ${i.ops})`;
            const r = await f.oneAsync(show, async () => {
              const b = decode(i.value);
              return { b, c: await checkCosignedEpoch(b, roster, verifyStrict) };
            });
            if (!r || r.c.signers.length === 0) return;
            f.stats.verified++;
            for (const s of r.c.signers) {
              const genuine = r.b.cosignatures.some(
                (x) =>
                  toHex(x.signerKey) === s.signerKey &&
                  isGenuine({ ...x, namespace: r.b.namespace, epoch: r.b.epoch, digest: r.b.digest }),
              );
              f.check(genuine, () => `a bundle counts an altered co-signature of ${s.name}: ${show()}`);
            }
          });
        };
        await bundleTarget(
          'cosigned-epoch.protobuf',
          mixed(arbitraryBytes(600), mutatedBytes(bundleBytes)),
          scaled(15_000),
          decodeCosignedEpoch,
        );
        const bundleJsonArb = mixed(
          arbitraryText(400),
          fc.oneof(
            { weight: 2, arbitrary: mutatedJson(bundleJsonTexts) },
            { weight: 1, arbitrary: mutatedText(bundleJsonTexts) },
          ),
        );
        await bundleTarget('cosigned-epoch.json', bundleJsonArb, scaled(15_000), (t) =>
          cosignedEpochFromJson(parseJson(t)),
        );
        const bundleFiles = [...bundleBytes, ...bundleJsonTexts.map((t) => new TextEncoder().encode(t))];
        await bundleTarget(
          'verify-bundle.file',
          mixed(arbitraryBytes(600), mutatedBytes(bundleFiles)),
          scaled(10_000),
          (b) => {
            const doc = parseDocument(b);
            return doc.kind === 'json' ? cosignedEpochFromJson(doc.value) : decodeCosignedEpoch(doc.bytes);
          },
        );

        await f.runAsync(
          'signed-alert.protobuf',
          mixed(arbitraryBytes(400), mutatedBytes(alertBytes)),
          scaled(15_000),
          async (i) => {
            const r = await f.oneAsync(showBytes(i), async () => {
              const a = decodeSignedAlert(i.value);
              return {
                a,
                c: await checkSignedAlert(a, roster, verifyStrict, {
                  nowMs: T0,
                  maxFutureMs: 600_000n,
                  maxAgeMs: ALERT_MAX_AGE_MS,
                }),
              };
            });
            if (!r?.c.ok) return;
            f.stats.verified++;
            f.check(genuineAlerts.has(alertKey(r.a)), () => `an altered alert is accepted: ${showBytes(i)()}`);
          },
        );
        f.run(
          'alert-body.json',
          mixed(
            arbitraryBytes(200),
            mutatedBytes(
              alerts.map((a) => a.body),
              () => [],
            ),
          ),
          scaled(8_000),
          (i) => {
            f.one(showBytes(i), () => parseAlertBody(i.value));
          },
        );

        f.run('sync-request.protobuf', mixed(arbitraryBytes(600), mutatedBytes(syncRequests)), scaled(15_000), (i) => {
          f.one(showBytes(i), () => decodeSyncRequest(i.value));
        });
        await f.runAsync(
          'sync-response.protobuf',
          mixed(arbitraryBytes(1200), mutatedBytes(syncResponses)),
          scaled(15_000),
          async (i) => {
            const r = await f.oneAsync(showBytes(i), async () => {
              const res = decodeSyncResponse(i.value);
              const valid = await Promise.all(
                res.proofs.map(async (p) => (await checkEquivocationProof(p, roster, verifyStrict)).ok),
              );
              return { res, valid };
            });
            if (!r) return;
            for (const o of r.res.observations) {
              if (!verifyStrict(o.signerKey, signedBytes(o), o.signature)) continue;
              f.stats.verified++;
              f.check(isGenuine(o), () => `an altered observation in a sync response verifies: ${showBytes(i)()}`);
            }
            r.res.proofs.forEach((p, k) => {
              if (r.valid[k])
                f.check(
                  isGenuine(p.first) && isGenuine(p.second),
                  () => `an altered proof in a sync response is valid: ${showBytes(i)()}`,
                );
            });
          },
        );
      });

      // -- the gossip validators and the sync protocol, on a real store --------------------------
      await section('network', async () => {
        const logs: { level: number; event?: string; msg?: string; err?: string }[] = [];
        const logger = pino(
          { level: 'warn' },
          { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) },
        );
        db = await openDatabase(join(tmp.dir, 'db'));
        const now = () => BigInt(Date.now());
        const signing = new SigningStore(db, { now });
        await signing.load();
        const store = new ObservationStore(db);
        const handlers = new Map<string, TopicHandler>();
        let serveSync: ((req: Uint8Array, peer: string) => Promise<Uint8Array>) | undefined;
        let syncAnswers: Uint8Array[] = [];
        const fakeHost: Pick<
          ChorusHost,
          | 'peerId'
          | 'running'
          | 'subscribe'
          | 'handleSync'
          | 'onPeerConnected'
          | 'publish'
          | 'requestSync'
          | 'syncSession'
          | 'penalizePeer'
        > = {
          peerId: '12D3KooWFake',
          running: true,
          subscribe: (topic, handler) => void handlers.set(topic, handler),
          handleSync: (h) => void (serveSync = h),
          onPeerConnected: () => () => undefined,
          publish: async () => 0,
          requestSync: async () => syncAnswers.shift() ?? encodeSyncResponse({}),
          // Bounded sessions and penalties as the real host has them (docs/p2p.md, "Flood protection").
          syncSession: (peer, pages) =>
            new SyncSession(
              peer,
              pages ?? 8,
              async () => syncAnswers.shift() ?? encodeSyncResponse({}),
              () => undefined,
            ),
          penalizePeer: () => undefined,
        };
        const network = new NetworkService({
          host: fakeHost as ChorusHost,
          roster,
          db,
          signing,
          observations: store,
          audited: [NS],
          ownKeys: [ownKey.publicKey],
          logger,
          now,
        });
        await network.attach();
        network.on('observation', (o, origin) => {
          if (origin !== 'local')
            f.check(
              isGenuine(o),
              () => `the network stored an altered observation (${origin}): ${hex(encodeObservation(o))}`,
            );
        });
        network.on('equivocation', (p, origin) => {
          f.check(
            isGenuine(p.proof.first) && isGenuine(p.proof.second),
            () =>
              `the network stored a proof with an altered observation (${origin}): ${hex(encodeEquivocationProof(p.proof))}`,
          );
        });

        const counters = new ValidationCounters();
        const topicRuns: [string, string, Uint8Array[], (data: Uint8Array) => boolean][] = [
          [
            'gossip.observations',
            observationsTopic(NETWORK, NS),
            observations.map(encodeObservation),
            (d) => isGenuine(decodeObservation(d)),
          ],
          [
            'gossip.equivocations',
            equivocationsTopic(NETWORK),
            proofBytes,
            (d) => {
              const p = decodeEquivocationProof(d);
              return isGenuine(p.first) && isGenuine(p.second);
            },
          ],
          ['gossip.alerts', alertsTopic(NETWORK), alertBytes, (d) => genuineAlerts.has(alertKey(decodeSignedAlert(d)))],
        ];
        for (const [name, topic, corpus, genuine] of topicRuns) {
          const handler = handlers.get(topic);
          if (!handler) throw new Error(`the network did not subscribe ${topic}`);
          let verdict: ValidationResult | undefined;
          const queue = new TopicValidationQueue({
            topic,
            handler: {
              ...handler,
              concurrency: 1,
              validate: async (data, from) => {
                try {
                  return await handler.validate(data, from);
                } catch (err) {
                  f.check(
                    false,
                    () =>
                      `the validator threw ${String((err as Error).name)}: ${(err as Error).message} on ${preview(data)}`,
                  );
                  throw err;
                }
              },
            },
            maxBytes: 1 << 20,
            counters,
            report: (_msg, r) => void (verdict = r),
            logger,
          });
          let n = 0;
          await f.runAsync(name, mixed(arbitraryBytes(800), mutatedBytes(corpus), 1, 3), scaled(6_000), async (i) => {
            verdict = undefined;
            const r = await f.oneAsync(showBytes(i), async () => {
              queue.push({ msgId: String(n++), from: 'peer', data: i.value });
              await queue.idle();
              return verdict;
            });
            if (!r) return;
            f.check(
              r.reason !== 'validator-error' && r.reason !== 'bad-validator-result',
              () => `validation ended in ${r.reason}: ${showBytes(i)()}`,
            );
            if (r.outcome === 'accept') {
              f.stats.verified++;
              let ok = false;
              try {
                ok = genuine(i.value);
              } catch (err) {
                if (!(err instanceof ChorusError)) throw err;
              }
              f.check(ok, () => `accepted an altered message: ${showBytes(i)()}`);
            }
          });
        }

        await f.runAsync(
          'sync.serve',
          mixed(arbitraryBytes(600), mutatedBytes(syncRequests), 1, 2),
          scaled(4_000),
          async (i) => {
            await f.oneAsync(showBytes(i), async () => {
              const res = await (serveSync as NonNullable<typeof serveSync>)(i.value, 'peer');
              decodeSyncResponse(res); // our own answer must decode (an untyped error here is a violation)
            });
          },
        );
        await f.runAsync(
          'sync.pull',
          mixed(arbitraryBytes(1200), mutatedBytes(syncResponses), 1, 3),
          scaled(4_000),
          async (i) => {
            await f.oneAsync(showBytes(i), async () => {
              syncAnswers = [i.value, i.value];
              await network.syncWithPeer('12D3KooWPeer');
            });
          },
        );
        for (const l of logs) {
          if (l.level >= 50 && l.event !== 'equivocation')
            f.inv.fail(`network: error log ${JSON.stringify(l).slice(0, 400)}`);
        }
      });

      // -- AKD -------------------------------------------------------------------------------------
      await section('akd', () => {
        const cases = akdCases(seed);
        const zero = new Uint8Array(32);
        f.run(
          'akd.proof.arbitrary',
          arbitraryBytes(2000).map((value) => ({ value, base: -1, ops: 'arbitrary' })),
          scaled(20_000),
          (i) => {
            const p = f.one(showBytes(i), () => {
              const e = decodeSingleAppendOnlyProof(i.value);
              return { e, r: verifyConsecutiveAppendOnly(e, zero, zero, 1n, 'whatsapp_v1') };
            });
            if (p?.r.ok)
              f.check(
                p.e.count === 0,
                () => `arbitrary bytes prove a transition from the zero root: ${showBytes(i)()}`,
              );
          },
        );
        f.run('akd.proof.mutated', mutatedBytes(cases.map((c) => c.bytes)), scaled(25_000), (i) => {
          const c = cases[i.base] as AkdCase;
          const r = f.one(showBytes(i), () => {
            const e = decodeSingleAppendOnlyProof(i.value);
            return { e, v: verifyAuditBlob(i.value, c.blobName, c.configuration) };
          });
          if (!r) return;
          const keys =
            r.e.unchangedCount === c.elements.unchangedCount && r.e.insertedCount === c.elements.insertedCount
              ? elementKeys(r.e)
              : undefined;
          const same = keys?.all === c.canonical;
          const spliced = /splice|concat/.test(i.ops);
          if (r.v.ok) {
            f.stats.verified++;
            // A splice of two proofs may legitimately prove the same transition with another
            // set of unchanged nodes (proofs are not unique); the inserted leaves cannot change.
            if (spliced)
              f.check(
                elementKeys(r.e).inserted === c.inserted,
                () => `a spliced proof with other inserted leaves verifies for ${c.name}: ${i.ops}`,
              );
            else f.check(same, () => `a mutated proof with other elements verifies for ${c.name}: ${i.ops}`);
          }
          f.check(
            !same || r.v.ok,
            () =>
              `a proof whose elements did not change no longer verifies for ${c.name}: ${i.ops}: ${r.v.ok ? '' : r.v.error.message}`,
          );
        });
        f.run(
          'akd.append-only-proof',
          mixed(
            arbitraryBytes(1500),
            mutatedBytes([
              encodeAppendOnlyProof({
                proofs: cases.slice(0, 3).map((c) => c.elements),
                epochs: [1n, 2n, 3n, U64_MAX],
              }),
            ]),
          ),
          scaled(8_000),
          (i) => {
            f.one(showBytes(i), () => decodeAppendOnlyProof(i.value));
          },
        );
        const names = cases.map((c) => c.blobName);
        f.run(
          'akd.blob-name',
          mixed(arbitraryText(220, NAME_TOKENS), mutatedText(names, NAME_TOKENS)),
          scaled(20_000),
          (i) => {
            f.one(showText(i), () => parseBlobName(i.value));
          },
        );
        const small = cases.filter((c) => c.elements.count <= 150);
        const smallNames = small.map((c) => c.blobName);
        // Names changed as text, and changed in meaning: another epoch, swapped or altered roots.
        const nameEdit = fc
          .tuple(
            fc.nat(small.length - 1),
            fc.constantFrom(
              'epoch+1',
              'epoch-1',
              'epoch=0',
              'epoch=max',
              'epoch=2^64',
              'swap',
              'previous',
              'current',
              'upper',
              'zero-pad',
            ),
            fc.nat(255),
          )
          .map(([base, edit, bit]) => {
            const c = small[base] as AkdCase;
            const n = parseBlobName(c.blobName);
            const flip = (h: Uint8Array) => {
              const out = new Uint8Array(h);
              out[bit % 32] = (out[bit % 32] as number) ^ (1 << (bit % 8));
              return hex(out);
            };
            const [p, q] = [hex(n.previousHash), hex(n.currentHash)];
            const text: Record<string, string> = {
              'epoch+1': `${n.epoch + 1n}/${p}/${q}`,
              'epoch-1': `${n.epoch - 1n}/${p}/${q}`,
              'epoch=0': `0/${p}/${q}`,
              'epoch=max': `${U64_MAX}/${p}/${q}`,
              'epoch=2^64': `${U64_MAX + 1n}/${p}/${q}`,
              swap: `${n.epoch}/${q}/${p}`,
              previous: `${n.epoch}/${flip(n.previousHash)}/${q}`,
              current: `${n.epoch}/${p}/${flip(n.currentHash)}`,
              upper: `${n.epoch}/${p.toUpperCase()}/${q.toUpperCase()}`,
              'zero-pad': `0${n.epoch}/${p}/${q}`,
            };
            return { value: text[edit] as string, base, ops: edit };
          });
        f.run('akd.blob-name.verify', fc.oneof(mutatedText(smallNames, NAME_TOKENS), nameEdit), scaled(3_000), (i) => {
          const c = small[i.base] as AkdCase;
          const r = f.one(showText(i), () => ({
            name: parseBlobName(i.value),
            v: verifyAuditBlob(c.bytes, i.value, c.configuration),
          }));
          if (!r?.v.ok) return;
          f.stats.verified++;
          const orig = parseBlobName(c.blobName);
          const sameRoots =
            hex(r.name.previousHash) === hex(orig.previousHash) && hex(r.name.currentHash) === hex(orig.currentHash);
          f.check(
            sameRoots && (r.name.epoch === orig.epoch || c.elements.insertedCount === 0),
            () => `${c.name} verifies under another blob name ${formatBlobName(r.name)}`,
          );
        });
      });

      // -- files: roster, config, history, keys, identity; S3 listings; topics; epochs -----------------
      await section('files', async () => {
        const rosterTexts = [stringifyJson(rosterJson, 2), stringifyJson({ network: 'n', threshold: 1n })];
        f.run(
          'roster.json',
          mixed(
            arbitraryText(300),
            fc.oneof(
              {
                weight: 2,
                arbitrary: mutatedJson(rosterTexts, ['keys', 'public_key', 'plexi_url', 'peer_id', 'log_key', 'root']),
              },
              { weight: 1, arbitrary: mutatedText(rosterTexts) },
            ),
          ),
          scaled(15_000),
          (i) => {
            f.one(showText(i), () => Roster.fromJson(parseJson(i.value)));
          },
        );
        const rosterFile = join(tmp.dir, 'roster.json');
        f.run('roster.file', mixed(arbitraryText(300), mutatedText(rosterTexts)), scaled(2_000), (i) => {
          writeFileSync(rosterFile, i.value);
          f.one(showText(i), () => loadRoster(rosterFile));
        });

        const configs = configCorpus();
        const configDocs = configs.map((t) => parseYaml(t, { intAsBigInt: true }) as unknown);
        const configFile = join(tmp.dir, 'conf', 'chorus.yaml');
        mkdirSync(dirname(configFile), { recursive: true });
        const yamlMutants = mutatedValue(configDocs).map((m) => ({ ...m, value: stringifyYaml(m.value) }));
        // The yaml library reports odd documents (unresolved tags…) as process warnings: count
        // them instead of printing thousands.
        const emitWarning = process.emitWarning;
        process.emitWarning = ((warning: string | Error) => {
          if (!(
            typeof warning === 'string' ||
            warning.name === 'YAMLWarning' ||
            /yaml|Keys with collection values/i.test(warning.message)
          ))
            emitWarning(warning);
          yamlWarnings++;
        }) as typeof process.emitWarning;
        try {
          f.run(
            'config.yaml',
            mixed(
              arbitraryText(400, YAML_TOKENS),
              fc.oneof(
                { weight: 2, arbitrary: mutatedText(configs, YAML_TOKENS) },
                { weight: 2, arbitrary: yamlMutants },
              ),
            ),
            scaled(12_000),
            (i) => {
              writeFileSync(configFile, i.value);
              f.one(showText(i), () => loadConfig(configFile));
            },
          );
        } finally {
          process.emitWarning = emitWarning;
        }

        const histories = historyCorpus();
        f.run(
          'history.json',
          mixed(arbitraryText(300), fc.oneof(mutatedJson(histories), mutatedText(histories))),
          scaled(8_000),
          (i) => {
            f.one(showText(i), () => parseHistory(parseJson(i.value)));
          },
        );

        f.run(
          's3.list-objects',
          mixed(arbitraryText(300, XML_TOKENS), mutatedText(s3Listing, XML_TOKENS)),
          scaled(10_000),
          (i) => {
            f.one(showText(i), () => parseListObjectsV2(i.value));
          },
        );

        const topics = [observationsTopic(NETWORK, NS), equivocationsTopic(NETWORK), alertsTopic(NETWORK)];
        f.run(
          'p2p.topic',
          mixed(arbitraryText(100, TOPIC_TOKENS), mutatedText(topics, TOPIC_TOKENS)),
          scaled(8_000),
          (i) => {
            f.one(showText(i), () => {
              const t = parseTopic(i.value);
              if (t?.kind === 'observations')
                f.check(
                  observationsTopic(t.network, t.namespace) === i.value,
                  () => `topic ${i.value} does not round-trip`,
                );
            });
          },
        );
        f.run(
          'p2p.topic-builders',
          fc.tuple(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 })),
          scaled(3_000),
          ([a, b]) => {
            f.one(
              () => JSON.stringify([a, b]),
              () => observationsTopic(a, b),
            );
          },
        );
        f.run(
          'http.epoch-param',
          mixed(
            arbitraryText(40, NAME_TOKENS),
            mutatedText(['0', '5', '18446744073709551615', '9007199254740993'], NAME_TOKENS),
          ),
          scaled(8_000),
          (i) => {
            const e = f.one(showText(i), () => parseEpochParam(i.value));
            if (e !== undefined)
              f.check(
                e >= 0n && e <= U64_MAX && e.toString() === i.value,
                () => `epoch ${JSON.stringify(i.value)} parsed as ${e}`,
              );
          },
        );
        f.run('u64.parse', arbitraryText(30, NAME_TOKENS), scaled(3_000), (t) => {
          f.one(
            () => JSON.stringify(t),
            () => parseU64(t),
          );
        });
        f.run(
          'hex.decode',
          fc.tuple(fc.string({ maxLength: 70 }), fc.option(fc.nat(40), { nil: undefined })),
          scaled(3_000),
          ([t, n]) => {
            f.one(
              () => JSON.stringify(t),
              () => fromHex(t, n),
            );
          },
        );

        const pem = signingKeyToPem(new Uint8Array(32).fill(5));
        const keyFile = join(tmp.dir, 'node.key');
        f.run(
          'key-file.pem',
          mixed(
            arbitraryText(200),
            mutatedText(
              [pem],
              ['-', '-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----', '\n', '=', 'A', '/', '+'],
            ),
          ),
          scaled(2_000),
          (i) => {
            writeFileSync(keyFile, i.value, { mode: 0o600 });
            chmodSync(keyFile, 0o600);
            f.one(showText(i), () => loadKeyFile(keyFile));
          },
        );
        const idDir = join(tmp.dir, 'identity');
        const id = await loadOrCreateIdentity(idDir);
        const idBytes = new Uint8Array(readFileSync(id.path));
        const idFile = join(idDir, 'fuzz-identity.key');
        await f.runAsync(
          'p2p.identity-file',
          mixed(arbitraryBytes(120), mutatedBytes([idBytes])),
          scaled(1_500),
          async (i) => {
            writeFileSync(idFile, i.value, { mode: 0o600 });
            chmodSync(idFile, 0o600);
            await f.oneAsync(showBytes(i), () => loadIdentity(idDir, 'fuzz-identity.key'));
          },
        );
      });
    } finally {
      await dog.stop();
      const perTarget = Object.fromEntries(
        [...f.targets.entries()].map(([name, s]) => [
          name,
          {
            inputs: s.inputs,
            decoded: s.decoded,
            typedErrors: s.typedErrors,
            verified: s.verified,
            maxMs: Math.round(s.maxMs * 100) / 100,
            slowest: s.slowest,
            errorClasses: s.errorClasses,
          },
        ]),
      );
      const slowest = [...f.targets.entries()].reduce<[string, number]>(
        (m, [n, s]) => (s.maxMs > m[1] ? [n, s.maxMs] : m),
        ['', 0],
      );
      writePart({
        part: PART,
        violations: f.inv.count,
        examples: f.inv.list,
        wallMs: Date.now() - started,
        inputs: f.total,
        seed,
        targets: f.targets.size,
        slowestInputMs: Math.round(slowest[1] * 100) / 100,
        slowestTarget: slowest[0],
        sectionMs: timing,
        yamlWarnings,
        perTarget,
      });
      process.stdout.write(
        `${PART}: ${f.total} inputs over ${f.targets.size} targets in ${((Date.now() - started) / 1000).toFixed(1)} s, slowest input ${slowest[1].toFixed(1)} ms (${slowest[0]}), violations ${f.inv.count}\n`,
      );
    }
    expect(f.inv.list).toEqual([]);
  });
});
