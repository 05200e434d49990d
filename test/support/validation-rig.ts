// What the proof-verification and directory-source unit tests share: a real LevelDB in a temp dir
// with the signing, verification and proof-file stores over it, a real AKD verify pool (compiled
// worker from dist/), a synthetic AKD log written as a `file://` proof directory, and recorded
// alerts. Each test file builds its service under test from this in one factory of its own.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { writeSyntheticLog, type SyntheticLogSummary } from '../../src/akd-runtime/log-writer.js';
import { akdFormat } from '../../src/formats/akd/index.js';
import type { ProofVerifier } from '../../src/formats/log-format.js';
import type { Alert } from '../../src/consensus/alerts.js';
import type { NamespaceConfig } from '../../src/config/config.js';
import { openProofDirectory, type ProofDirectory } from '../../src/services/proof-directory.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ProofFileStore } from '../../src/store/proof-files.js';
import { SigningStore, type Signer } from '../../src/store/signing-store.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { VerificationStore } from '../../src/store/verification-store.js';
import { fromHex } from '../../src/util/bytes.js';
import { ensureAkdBuild } from '../unit/akd-build.js';
import { testKey } from './service-fixtures.js';
import { tempDir } from './tmp.js';

export const RIG_NS = 'rig.example';

/** A synthetic log's proof directory; blobs can be hidden, restored or corrupted by epoch. */
export class ProofBucket {
  constructor(
    readonly dir: string,
    readonly log: SyntheticLogSummary,
  ) {}

  get url(): string {
    return pathToFileURL(this.dir).href;
  }

  entry(epoch: bigint): { blobName: string; previous: Uint8Array; current: Uint8Array; file: string } {
    const e = this.log.epochs.find((x) => x.epoch === epoch.toString());
    if (!e) throw new Error(`the synthetic log has no epoch ${epoch}`);
    const [, prev, cur] = e.blob_name.split('/') as [string, string, string];
    return {
      blobName: e.blob_name,
      previous: fromHex(prev, 32),
      current: fromHex(cur, 32),
      file: join(this.dir, ...e.blob_name.split('/')),
    };
  }

  /** Takes the epoch's blob out of the directory (kept aside); `restore` puts it back. */
  hide(epoch: bigint): void {
    const f = this.entry(epoch).file;
    mkdirSync(`${this.dir}.aside`, { recursive: true });
    renameSync(f, join(`${this.dir}.aside`, epoch.toString()));
  }

  restore(epoch: bigint): void {
    renameSync(join(`${this.dir}.aside`, epoch.toString()), this.entry(epoch).file);
  }

  /** Flips one bit near the end of the blob (an invalid proof under a valid name). */
  corrupt(epoch: bigint): Buffer {
    const f = this.entry(epoch).file;
    const saved = readFileSync(f);
    const bytes = Buffer.from(saved);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0x40;
    writeFileSync(f, bytes);
    return saved;
  }

  /** Adds an object under the epoch's prefix (a second blob, or junk). */
  addKey(key: string, content = 'x'): void {
    const f = join(this.dir, ...key.split('/'));
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, content);
  }

  exists(epoch: bigint): boolean {
    return existsSync(this.entry(epoch).file);
  }
}

export interface Rig {
  tmp: string;
  db: RootDb;
  signing: SigningStore;
  verifications: VerificationStore;
  proofs: ProofFileStore;
  verifier: ProofVerifier;
  bucket: ProofBucket;
  proofDirectory: ProofDirectory;
  clock: { now: bigint };
  alerts: { alert: Alert; key: string }[];
  logger: Logger;
  /** Every line the logger wrote (debug and up), parsed. */
  logs: Record<string, unknown>[];
  /** Signs the synthetic log's epoch (0: its root) into the signing store, as a push would. */
  signEpoch(epoch: bigint): Promise<void>;
  nsConfig(source: 'push' | 'directory', extra?: Partial<NamespaceConfig>): NamespaceConfig;
  close(): Promise<void>;
}

/** Builds the stores, the pool and a synthetic log of `epochs` epochs (1 is the base) for RIG_NS. */
export async function openRig(opts: { epochs: number; seed: string }): Promise<Rig> {
  ensureAkdBuild();
  const t = tempDir('chorus-svc-');
  const bucketDir = join(t.dir, 'bucket');
  const log = await writeSyntheticLog({
    out: bucketDir,
    configuration: { name: 'whatsapp_v1' },
    epochs: opts.epochs - 1,
    inserts: 4,
    base: 8,
    seed: opts.seed,
  });
  const db = await openDatabase(join(t.dir, 'db'));
  const clock = { now: 1_700_000_000_000n };
  const now = () => clock.now;
  const signing = new SigningStore(db, { now });
  await signing.load();
  const proofs = new ProofFileStore(db, join(t.dir, 'proofs'), now);
  await proofs.open();
  const verifier = akdFormat.createVerifier({ workers: 1 });
  const bucket = new ProofBucket(bucketDir, log);
  const logs: Record<string, unknown>[] = [];
  const key = testKey(0);
  const signer: Signer = (namespace, epoch, digest) => {
    const m = { ciphersuite: 1, namespace, timestamp: clock.now, epoch, digest };
    return { ...m, signature: key.sign(signedBytes(m)), publicKey: key.publicKey };
  };
  const rig: Rig = {
    tmp: t.dir,
    db,
    signing,
    verifications: new VerificationStore(db),
    proofs,
    verifier,
    bucket,
    proofDirectory: openProofDirectory(bucket.url),
    clock,
    alerts: [],
    logger: pino(
      { level: 'debug' },
      { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    ),
    logs,
    signEpoch: async (epoch) => {
      const digest = fromHex(
        epoch === 0n ? log.root.digest : (bucket.entry(epoch).blobName.split('/')[2] as string),
        32,
      );
      const previous = epoch === 0n ? undefined : bucket.entry(epoch).previous;
      const r = await signing.checkAndSign(
        RIG_NS,
        undefined,
        { epoch, digest, ...(previous ? { previous } : {}) },
        signer,
      );
      if (r.kind === 'rejected') throw new Error(`could not sign epoch ${epoch}: ${r.decision.message}`);
    },
    nsConfig: (source, extra = {}) => ({
      name: RIG_NS,
      status: 'Online',
      logFormat: 'akd',
      formatSettings: { configuration: 'whatsapp_v1' },
      configuration: 'whatsapp_v1',
      source,
      proofDirectory: bucket.url,
      pollIntervalSeconds: 3600,
      startAt: 'head',
      advertisedLogDirectory: 'mirror',
      proofDirectoryCacheBust: false,
      tokenSha256: new Uint8Array(32),
      ...extra,
    }),
    close: async () => {
      await verifier.close();
      if (db.status === 'open') await db.close();
      t.cleanup();
    },
  };
  return rig;
}
