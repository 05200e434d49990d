// ProofVerificationService with an injected log format (docs/log-formats.md) and no sockets: real
// LevelDB and a file:// proof directory, the toy format's proofs. A verifier that could not check
// leaves no verdict and no alert; a valid proof is recorded and advances the last verified epoch;
// an invalid one is recorded, kept as evidence and alerted once.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/config.js';
import type { Alert } from '../../src/consensus/alerts.js';
import type { ProofTransition, ProofVerdict, ProofVerifier } from '../../src/formats/log-format.js';
import { defaultFormats } from '../../src/formats/registry.js';
import { ProofVerificationService } from '../../src/services/proof-verification.js';
import { openProofDirectory } from '../../src/services/proof-directory.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ProofFileStore } from '../../src/store/proof-files.js';
import { SigningStore } from '../../src/store/signing-store.js';
import { VerificationStore } from '../../src/store/verification-store.js';
import { toHex } from '../../src/util/bytes.js';
import { tempDir } from '../support/tmp.js';
import { toyDigest, toyFormat, writeToyLog } from '../support/toy-format/index.js';

const NS = 'toy.unit';

/** The toy verifier, made to say "could not check" (reject) while `down` is set. */
class Flaky implements ProofVerifier {
  down = false;
  calls = 0;
  readonly #inner = toyFormat.createVerifier({ workers: 1 });
  async verify(file: string, t: ProofTransition): Promise<ProofVerdict> {
    this.calls++;
    if (this.down) throw new Error('verifier unavailable');
    return this.#inner.verify(file, t);
  }
  async close(): Promise<void> {
    await this.#inner.close();
  }
}

describe('proof verification service with an injected format', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  let service: ProofVerificationService;
  let verifications: VerificationStore;
  let proofs: ProofFileStore;
  let verifier: Flaky;
  let digests: Uint8Array[];
  const alerts: { alert: Alert; key: string }[] = [];
  const root = new Uint8Array(32).fill(3);
  const transition = (e: number, current = digests[e] as Uint8Array) => ({
    namespace: NS,
    epoch: BigInt(e),
    previous: digests[e - 1] as Uint8Array,
    current,
  });

  beforeEach(async () => {
    tmp = tempDir();
    const logDir = join(tmp.dir, 'log');
    digests = writeToyLog(logDir, root, 2, 'L');
    const formats = defaultFormats.with(toyFormat);
    const doc = {
      namespaces: [
        {
          name: NS,
          token_sha256: 'ab'.repeat(32),
          log_format: 'toy-json',
          toy_label: 'L',
          proof_directory: pathToFileURL(logDir).href,
        },
      ],
    };
    const config = configFromObject(doc, join(tmp.dir, 'chorus.yaml'), formats).namespaces[0]!;
    db = await openDatabase(join(tmp.dir, 'db'));
    verifications = new VerificationStore(db);
    proofs = new ProofFileStore(db, join(tmp.dir, 'proofs'), () => 5n);
    await proofs.open();
    verifier = new Flaky();
    alerts.length = 0;
    service = new ProofVerificationService({
      signing: new SigningStore(db, { now: () => 5n }),
      store: verifications,
      directories: new Map([
        [NS, { dir: openProofDirectory(config.proofDirectory!), config, format: toyFormat, verifier }],
      ]),
      logger: pino({ level: 'silent' }),
      now: () => 7n,
      raiseAlert: async (alert, key) => void alerts.push({ alert, key }),
      proofs,
      retention: { maxEpochs: 0, maxBytes: 0, maxAgeMs: 0 },
    });
  });

  afterEach(async () => {
    service.stop();
    await verifier.close();
    await db.close();
    tmp.cleanup();
  });

  it('"could not check" records nothing and alerts nothing; the next try verifies', async () => {
    verifier.down = true;
    await expect(service.verifyTransition(transition(1))).rejects.toThrow(/verifier unavailable/);
    expect(await verifications.result(NS, 1n)).toBeUndefined();
    expect(alerts).toEqual([]);
    expect(readdirSync(proofs.incomingDir)).toEqual([]); // the download was discarded
    verifier.down = false;
    const out = await service.verifyTransition(transition(1));
    expect(out.kind).toBe('verified');
    expect(await verifications.result(NS, 1n)).toMatchObject({
      ok: true,
      inserted: 2,
      startHash: toHex(root),
      endHash: toHex(digests[1]!),
    });
    expect(await verifications.lastVerifiedEpoch(NS)).toBe(1n);
    const name = toyFormat.proofNames.format(transition(1));
    expect((await proofs.file(name))?.proof.evidence).toBe(false);
  });

  it('a proof that does not prove the transition is recorded, kept as evidence and alerted; a verdict is final', async () => {
    // A proof named for a digest its entries do not hash to.
    const bad = toyDigest(digests[1]!, 'L', ['x']);
    const name = toyFormat.proofNames.format(transition(2, bad));
    const file = join(tmp.dir, 'log', ...name.split('/'));
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, JSON.stringify({ previous: toHex(digests[1]!), current: toHex(bad), entries: ['y'] }));
    const out = await service.verifyTransition(transition(2, bad));
    expect(out.kind).toBe('failed');
    expect(await verifications.result(NS, 2n)).toMatchObject({
      ok: false,
      blobName: name,
      failure: { reason: 'digest-mismatch' },
    });
    expect((await proofs.file(name))?.proof.evidence).toBe(true);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      key: `validation-failed:${NS}:${name}`,
      alert: { type: 'validation-failed', epoch: 2n, blob_name: name },
    });
    const calls = verifier.calls;
    expect((await service.verifyTransition(transition(2, bad))).kind).toBe('failed');
    expect(verifier.calls).toBe(calls); // judged once
    expect(await verifications.lastVerifiedEpoch(NS)).toBeUndefined();
  });

  it('a proof not in the directory yet is missing, not a verdict', async () => {
    const out = await service.verifyTransition(transition(2, new Uint8Array(32).fill(0xee)));
    expect(out).toEqual({ kind: 'missing' });
    expect(await verifications.result(NS, 2n)).toBeUndefined();
    expect(verifier.calls).toBe(0);
  });
});
