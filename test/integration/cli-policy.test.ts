// `--policy FILE` on `chorus verify-bundle` and `chorus cosignatures` (docs/c2sp.md, "Policies for Plexi
// co-signatures"): the compiled CLI in its own process, exit codes (0 co-signed, 1 not, 2 bad input), text and
// JSON output naming satisfied witnesses and groups, both-must-hold unless --policy-only, and the behaviour
// without --policy unchanged. `cosignatures` fetches from the real route over real HTTP on 127.0.0.1.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { registerNetworkRoutes } from '../../src/api/network-routes.js';
import { registerPolicyRoutes } from '../../src/api/policy-routes.js';
import { createServer } from '../../src/api/server.js';
import { formatVerifierKey, SIG_TYPE_COSIGNATURE_V1 } from '../../src/c2sp/index.js';
import { ChorusApiError, ChorusClient } from '../../src/client/index.js';
import { cosignedEpochToJson, type CosignedEpoch } from '../../src/consensus/cosignature.js';
import { Roster } from '../../src/consensus/roster.js';
import { SigningService, Keyring } from '../../src/services/signing-service.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { SigningStore } from '../../src/store/signing-store.js';
import { toHex } from '../../src/util/bytes.js';
import { stringifyJson } from '../../src/util/json.js';
import { assertBuilt, CLI, runCli } from '../support/node-process.js';
import { digestOf, pushNamespaceConfig, signedObservation, testKey } from '../support/service-fixtures.js';
import { tempDir } from '../support/tmp.js';

const NS = 'cli-policy.example';
const D = digestOf(0x42);
// Four auditors, threshold 3; the policies call them by other names (keys are matched by bytes).
const ROSTER_DOC = {
  network: 'cli-policy',
  threshold: 3n,
  auditors: [0, 1, 2, 3].map((i) => ({ name: `org${i + 1}`, public_key: toHex(testKey(i).publicKey) })),
  namespaces: [{ name: NS }],
};
const roster = Roster.fromJson(ROSTER_DOC);
const w = (name: string, i: number) =>
  `witness ${name} ${formatVerifierKey(`${name}.example`, SIG_TYPE_COSIGNATURE_V1, testKey(i).publicKey)}`;
const EU_AND_US =
  [w('eu1', 0), w('eu2', 1), w('us1', 2), w('us2', 3)].join('\n') +
  '\ngroup eu any eu1 eu2\ngroup us any us1 us2\ngroup both all eu us\nquorum both\n';
const ONLY_US2 = `${w('us2', 3)}\nquorum us2\n`;

function bundleOf(signers: number[], epoch = 4n): Record<string, unknown> {
  const c: CosignedEpoch = {
    namespace: NS,
    epoch,
    digest: D,
    cosignatures: signers.map((i) => {
      const o = signedObservation(testKey(i), NS, epoch, D);
      return { signerKey: o.signerKey, timestamp: o.timestamp, signature: o.signature, ciphersuite: 1 };
    }),
  };
  return cosignedEpochToJson(c, { threshold: 3, quorum: false, equivocated: false, names: () => null });
}

/** The CLI without blocking this process (the node under test answers from it). */
function runCliAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

describe('CLI --policy', () => {
  const tmp = tempDir();
  const file = (name: string, content: string) => {
    const p = join(tmp.dir, name);
    writeFileSync(p, content);
    return p;
  };
  const rosterFile = file('roster.json', stringifyJson(ROSTER_DOC));
  const euUs = file('eu-us.policy', EU_AND_US);
  const us2 = file('us2.policy', ONLY_US2);
  const three = file('three.json', stringifyJson(bundleOf([0, 1, 2])));
  const two = file('two.json', stringifyJson(bundleOf([0, 2])));
  let db: RootDb;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    db = await openDatabase(join(tmp.dir, 'db'));
    const now = () => 1000n;
    const config = pushNamespaceConfig(NS);
    const observations = new ObservationStore(db);
    await observations.ready();
    // Epoch 4: org1..org3 agree. Epoch 5: org1..org3 on D, org4 on another digest (equivocated).
    for (const i of [0, 1, 2]) await observations.storeObservation(signedObservation(testKey(i), NS, 4n, D));
    for (const i of [0, 1, 2]) await observations.storeObservation(signedObservation(testKey(i), NS, 5n, D));
    await observations.storeObservation(signedObservation(testKey(3), NS, 5n, digestOf(1)));
    const server = await createServer({
      logger: pino({ level: 'silent' }),
      bodyLimitBytes: 16384,
      rateLimit: { max: 10_000, windowMs: 60_000 },
    });
    app = server.app;
    const signingService = new SigningService(
      new SigningStore(db, { now }),
      new Keyring([{ key: testKey(0), notBefore: 0n }]),
      [config],
      now,
    );
    registerNetworkRoutes(app, { signingService, observations, roster });
    registerPolicyRoutes(app, { limitWrites: server.limitWrites, signingService, observations, roster });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    tmp.cleanup();
  });

  describe('verify-bundle', () => {
    it('without --policy: unchanged (no policy in the output)', () => {
      const r = runCli(['verify-bundle', '--roster', rosterFile, '--json', three]);
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(j).toMatchObject({ valid: true, threshold: 3 });
      expect(Object.keys(j)).not.toContain('policy');
    });

    it('roster threshold and policy met: exit 0, each witness and group printed', () => {
      const r = runCli(['verify-bundle', '--roster', rosterFile, '--policy', euUs, three]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('policy witness eu1: ✓ org1\n');
      expect(r.stdout).toContain('policy witness us2: ✗ not signed\n');
      expect(r.stdout).toContain('policy group us (1 of 2): met, satisfied: us1\n');
      expect(r.stdout).toContain('policy quorum met: group both needs 2 of 2 (eu, us): eu, us satisfied\n');
      expect(r.stdout).toMatch(
        /^valid: cli-policy\.example epoch 4: 3 valid roster signature\(s\), 3 required: .*; policy quorum both met$/m,
      );
    });

    it('policy not met: exit 1 with the reason; --json carries the policy verdict', () => {
      const r = runCli(['verify-bundle', '--roster', rosterFile, '--policy', us2, three]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('policy quorum NOT met: witness us2: no verified signature by its key\n');
      expect(r.stdout).toMatch(/^invalid: .*policy quorum us2 NOT met \(the policy's quorum is not met\)$/m);
      const j = runCli(['verify-bundle', '--roster', rosterFile, '--policy', us2, '--json', three]);
      expect(j.status).toBe(1);
      expect(JSON.parse(j.stdout)).toMatchObject({
        valid: false,
        roster_quorum: true,
        policy_only: false,
        policy: { quorum: 'us2', met: false, unlisted: ['org1', 'org2', 'org3'] },
      });
    });

    it('policy met, roster threshold not: exit 1, unless --policy-only', () => {
      const both = runCli(['verify-bundle', '--roster', rosterFile, '--policy', euUs, two]);
      expect(both.status).toBe(1);
      expect(both.stdout).toMatch(/\(the roster's threshold is not met\)$/m);
      const alone = runCli(['verify-bundle', '--roster', rosterFile, '--policy', euUs, '--policy-only', '--json', two]);
      expect(alone.status).toBe(0);
      expect(JSON.parse(alone.stdout)).toMatchObject({
        valid: true,
        roster_quorum: false,
        policy_only: true,
        policy: { met: true },
      });
    });

    it('bad input is exit 2: an invalid policy (with its line), a missing file, inconsistent flags', () => {
      const bad = file('bad.policy', `${w('a', 0)}\nquorum b\n`);
      const r = runCli(['verify-bundle', '--roster', rosterFile, '--policy', bad, three]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`bad input: ${bad}: policy line 2: quorum b is not defined on an earlier line`);
      expect(runCli(['verify-bundle', '--roster', rosterFile, '--policy', join(tmp.dir, 'nope'), three]).status).toBe(
        2,
      );
      const only = runCli(['verify-bundle', '--roster', rosterFile, '--policy-only', three]);
      expect(only.status).toBe(2);
      expect(only.stderr).toContain('--policy-only needs --policy FILE');
      const thr = runCli([
        'verify-bundle',
        '--roster',
        rosterFile,
        '--policy',
        euUs,
        '--policy-only',
        '--threshold',
        '1',
        three,
      ]);
      expect(thr.status).toBe(2);
    });
  });

  describe('cosignatures', () => {
    const base = () => ['cosignatures', '--remote-url', url, '--namespace', NS, '--roster', rosterFile];

    it('fetches, checks locally and applies the policy: exit 0 when both hold, 1 when the policy does not', async () => {
      const ok = await runCliAsync([...base(), '--epoch', '4', '--policy', euUs]);
      expect(ok.status).toBe(0);
      expect(ok.stdout).toContain('  policy witness us1: ✓ org3\n');
      expect(ok.stdout).toContain('  3 valid roster signature(s), 3 required; policy quorum both met: co-signed\n');
      const no = await runCliAsync([...base(), '--epoch', '4', '--policy', us2, '--json']);
      expect(no.status).toBe(1);
      expect(JSON.parse(no.stdout)).toMatchObject({
        quorum: true,
        co_signed: false,
        policy_only: false,
        policy: { quorum: 'us2', met: false },
      });
      // Without --policy: the existing output, unchanged.
      const plain = await runCliAsync([...base(), '--epoch', '4']);
      expect(plain.status).toBe(0);
      expect(plain.stdout).toContain('  3 valid roster signature(s), 3 required: co-signed\n');
      expect(plain.stdout).not.toContain('policy quorum');
    });

    it('an equivocated epoch is not co-signed even under quorum none with --policy-only', async () => {
      const none = file('none.policy', 'quorum none\n');
      const r = await runCliAsync([...base(), '--epoch', '5', '--policy', none, '--policy-only']);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('policy quorum none: no cosignature is required\n');
      expect(r.stdout).toContain('policy quorum none met — the epoch is EQUIVOCATED: NOT co-signed\n');
      const bad = await runCliAsync([...base(), '--epoch', '4', '--policy', file('x.policy', 'quorum\n')]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('policy line 1: expected "quorum <name>"');
    });
  });

  describe('client library', () => {
    it("checkCosignatures posts the policy over HTTP and returns the node's verdict; a bad policy is a typed error", async () => {
      const client = new ChorusClient(url);
      const r = await client.checkCosignatures(NS, 4n, EU_AND_US);
      expect(r).toMatchObject({
        epoch: 4n,
        co_signed: true,
        policy_only: false,
        policy: { quorum: 'both', met: true },
      });
      const alone = await client.checkCosignatures(NS, 4n, ONLY_US2, { policyOnly: true, digest: toHex(D) });
      expect(alone).toMatchObject({ co_signed: false, reasons: ["the policy's quorum is not met"] });
      const err = await client.checkCosignatures(NS, 4n, 'quorum nobody\n').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChorusApiError);
      expect(err).toMatchObject({ status: 400, code: 'invalid-policy' });
    });
  });
});
