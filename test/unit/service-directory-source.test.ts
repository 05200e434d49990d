// The directory source (issue 13 §7): audits a log from its proof directory (a `file://` folder
// holding a synthetic log; real LevelDB, real AKD pool). An epoch is signed only when its listing
// shows exactly one canonical blob continuing the chain that verified; a fork, malformed keys, a
// chain break or an invalid proof are alerts and sign nothing; an absent epoch is "not yet".
import { createServer } from 'node:http';
import { akdFormat, akdProofNames } from '../../src/formats/akd/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatBlobName } from '../../src/akd/blob-name.js';
import type { Alert } from '../../src/consensus/alerts.js';
import { DirectorySource, type DirectorySourceOptions } from '../../src/services/directory-source.js';
import { openProofDirectory } from '../../src/services/proof-directory.js';
import { ProofVerificationService } from '../../src/services/proof-verification.js';
import { SigningService, Keyring } from '../../src/services/signing-service.js';
import { toHex } from '../../src/util/bytes.js';
import { digestOf, testKey } from '../support/service-fixtures.js';
import { openRig, RIG_NS, type Rig } from '../support/validation-rig.js';

const NS = RIG_NS;

/** The one place the source (and the signing and validation services it drives) is built. */
async function makeSource(rig: Rig, extra: Partial<DirectorySourceOptions> = {}) {
  const now = () => rig.clock.now;
  const config = rig.nsConfig('directory');
  const auditor = new SigningService(rig.signing, new Keyring([{ key: testKey(0), notBefore: 0n }]), [config], now);
  await auditor.start();
  const raiseAlert = async (alert: Alert, key: string) => void rig.alerts.push({ alert, key });
  const validation = new ProofVerificationService({
    signing: rig.signing,
    store: rig.verifications,
    directories: new Map([[NS, { dir: rig.proofDirectory, config, format: akdFormat, verifier: rig.verifier }]]),
    logger: rig.logger,
    now,
    raiseAlert,
    proofs: rig.proofs,
    retention: { maxEpochs: 0, maxBytes: 0, maxAgeMs: 0 },
  });
  const source = new DirectorySource({
    namespace: NS,
    dir: rig.proofDirectory,
    pollIntervalMs: 3_600_000,
    auditor,
    signing: rig.signing,
    validation,
    logger: rig.logger,
    now,
    raiseAlert,
    startAt: 1n,
    proofNames: akdProofNames,
    ...extra,
  });
  return { source, validation };
}

describe('DirectorySource', () => {
  let rig: Rig;
  let built: Awaited<ReturnType<typeof makeSource>> | undefined;
  const make = async (extra: Partial<DirectorySourceOptions> = {}) => {
    built = await makeSource(rig, extra);
    return built.source;
  };
  const head = async () => (await rig.signing.namespaceState(NS))?.head;
  const digestAt = (e: bigint) => toHex(rig.bucket.entry(e).current);
  beforeEach(async () => {
    rig = await openRig({ epochs: 5, seed: 'svc-directory' });
  }, 120_000);
  afterEach(async () => {
    built?.source.stop();
    built?.validation.stop();
    built = undefined;
    await rig.close();
  });

  it('happy path: from start_at 1, signs the root then every epoch in order, and reports progress', async () => {
    const source = await make();
    expect(await source.round()).toBe(5);
    const state = await rig.signing.namespaceState(NS);
    expect(state?.root?.epoch).toBe(0n);
    expect(toHex(state?.root?.digest ?? new Uint8Array())).toBe(rig.bucket.log.root.digest);
    expect(state?.head?.epoch).toBe(5n);
    expect(toHex(state?.head?.digest ?? new Uint8Array())).toBe(digestAt(5n));
    expect(await rig.verifications.lastVerifiedEpoch(NS)).toBe(5n);
    expect(source.progress()).toMatchObject({ namespace: NS, signed: 5n, head: 5n, behind: 0n });
    expect(rig.alerts).toEqual([]);
    expect(await source.round()).toBe(0); // nothing new: nothing signed, nothing alerted
    expect(rig.alerts).toEqual([]);
  });

  it("start_at 'head' finds the directory head and starts there", async () => {
    const source = await make({ startAt: 'head' });
    expect(await source.round()).toBe(1);
    const state = await rig.signing.namespaceState(NS);
    expect(state?.root?.epoch).toBe(4n);
    expect(state?.head?.epoch).toBe(5n);
  });

  it('maxEpochsPerRound bounds one round; the next round continues', async () => {
    const source = await make({ maxEpochsPerRound: 2 });
    expect(await source.round()).toBe(2);
    expect((await head())?.epoch).toBe(2n);
    expect(await source.round()).toBe(2);
    expect((await head())?.epoch).toBe(4n);
  });

  it('an absent epoch is "not yet": no alert, retried next round', async () => {
    rig.bucket.hide(3n);
    const source = await make();
    expect(await source.round()).toBe(2);
    expect(await source.round()).toBe(0);
    expect(rig.alerts).toEqual([]);
    rig.bucket.restore(3n);
    expect(await source.round()).toBe(3);
    expect((await head())?.epoch).toBe(5n);
  });

  it('two blobs for one epoch: a fork alert, neither signed; the operator pick settles it', async () => {
    const real = rig.bucket.entry(3n);
    const other = formatBlobName({ epoch: 3n, previousHash: real.previous, currentHash: digestOf(0xee) });
    rig.bucket.addKey(other);
    const operator: { pick?: string } = {};
    const source = await make({ picked: async (e) => (e === 3n ? operator.pick : undefined) });
    expect(await source.round()).toBe(2);
    expect(rig.alerts.map((a) => a.key)).toEqual([`directory-fork:${NS}:3`]);
    expect(rig.alerts[0]?.alert).toMatchObject({
      type: 'validation-failed',
      namespace: NS,
      epoch: 3n,
      timestamp: rig.clock.now,
    });
    expect([...((rig.alerts[0]?.alert as { blob_names?: string[] }).blob_names ?? [])].sort()).toEqual(
      [real.blobName, other].sort(),
    );
    expect(await source.round()).toBe(0);
    expect((await head())?.epoch).toBe(2n);
    operator.pick = real.blobName;
    expect(await source.round()).toBe(3);
    expect(toHex((await head())?.digest ?? new Uint8Array())).toBe(digestAt(5n));
  });

  it('a malformed key next to the blob: an alert, the epoch not signed', async () => {
    rig.bucket.addKey(`3/${'A'.repeat(64)}/${'b'.repeat(64)}`); // upper-case hex is not canonical
    const source = await make();
    expect(await source.round()).toBe(2);
    expect(rig.alerts.map((a) => a.key)).toEqual([`directory-malformed:${NS}:3`]);
    expect(rig.alerts[0]?.alert).toMatchObject({ epoch: 3n, count: 1 });
    expect((await head())?.epoch).toBe(2n);
  });

  it('a blob that does not continue the chain: a chain-break alert, not signed', async () => {
    rig.bucket.hide(3n);
    rig.bucket.addKey(
      formatBlobName({ epoch: 3n, previousHash: digestOf(0x11), currentHash: rig.bucket.entry(3n).current }),
    );
    const source = await make();
    expect(await source.round()).toBe(2);
    expect(rig.alerts.map((a) => a.key)).toEqual([`directory-chain-break:${NS}:3`]);
    expect((await head())?.epoch).toBe(2n);
  });

  it('an invalid proof: the validation alert, never signed, and the chain stops there', async () => {
    rig.bucket.corrupt(3n);
    const source = await make();
    expect(await source.round()).toBe(2);
    expect(rig.alerts.map((a) => a.key)).toEqual([`validation-failed:${NS}:${rig.bucket.entry(3n).blobName}`]);
    expect(await rig.signing.signedEpoch(NS, 3n)).toBeUndefined();
    expect(await source.round()).toBe(0);
    expect(rig.alerts).toHaveLength(1); // judged once
  });

  it('a listing that is not a ListObjectsV2 answer: "could not check", logged, nothing signed and no alert', async () => {
    let answer = '<html>maintenance</html>';
    const server = createServer(
      (_req, res) => void res.writeHead(200, { 'content-type': 'application/xml' }).end(answer),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const a = server.address();
      const dir = openProofDirectory(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, 's3', {
        cacheBust: false,
      });
      const source = await make({ dir });
      expect(await source.round()).toBe(0);
      answer = '{"not":"xml"}';
      expect(await source.round()).toBe(0);
      expect(rig.alerts).toEqual([]);
      expect((await rig.signing.namespaceState(NS))?.root).toBeUndefined();
      expect(rig.logs.filter((l) => l.event === 'directory-poll-failed').length).toBeGreaterThanOrEqual(1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
