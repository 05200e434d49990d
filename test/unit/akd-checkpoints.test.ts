// AKD epochs as checkpoints, tier B (docs/c2sp.md, "AKD epochs as checkpoints"): only a verified epoch of an
// AKD namespace with a checkpoint origin is cosigned, with the mapping's body; a failed verification never
// is; a second root for a cosigned epoch is refused (nothing signed) and alerted; catch-up at start.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { akdCheckpointBody } from '../../src/c2sp/akd-checkpoint.js';
import { Roster } from '../../src/consensus/roster.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { AkdCheckpointCosigner } from '../../src/node/akd-checkpoints.js';
import { CheckpointService } from '../../src/services/checkpoint-service.js';
import { CheckpointStore } from '../../src/store/checkpoint-store.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { VerificationStore, type VerificationRecord } from '../../src/store/verification-store.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { tempDir } from '../support/tmp.js';

const ORIGIN = 'whatsapp.kt/v2';
const key = signingKeyFromSeed(new Uint8Array(32).fill(1));
const roster = Roster.fromJson({
  network: 'ak',
  threshold: 1n,
  auditors: [{ name: 'org-a', public_key: toHex(key.publicKey) }],
  namespaces: [
    { name: 'wa', checkpoint_origin: ORIGIN },
    { name: 'plain' },
    { name: 'toy', checkpoint_origin: 'toy/1' },
  ],
});
const formats: Record<string, string> = { wa: 'akd', plain: 'akd', toy: 'toy' };
const record = (namespace: string, epoch: bigint, end: string, ok = true): VerificationRecord => ({
  namespace,
  epoch,
  blobName: `${epoch}/x/${end}`,
  ok,
  jobId: 'job',
  timestamp: 1n,
  startHash: '00'.repeat(32),
  endHash: end,
  inserted: 1,
  unchanged: 0,
  ms: 1,
});

describe('AKD epochs as checkpoints', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await db.close();
    tmp.cleanup();
  });

  it('cosigns verified AKD epochs only, never a second root, and alerts on the refusal', async () => {
    db = await openDatabase(join(tmp.dir, 'db'));
    const store = new CheckpointStore(db);
    await store.ready();
    const svc = new CheckpointService({
      store,
      roster,
      signingKey: () => key,
      witnessName: 'org-a',
      auditorName: 'org-a',
      now: () => 1_800_000_000_000n,
      maxFutureMs: 600_000n,
      logger: pino({ level: 'silent' }),
    });
    const refused: Record<string, unknown>[] = [];
    const c = new AkdCheckpointCosigner({
      checkpoints: svc,
      roster,
      formatOf: (ns) => formats[ns],
      logger: pino({ level: 'silent' }),
      refused: (d) => void refused.push(d),
    });
    const r1 = 'aa'.repeat(32);
    expect(await c.onVerified(record('wa', 4n, r1, false))).toBe('skipped');
    expect(await svc.latest(ORIGIN)).toBeUndefined();
    expect(await c.onVerified(record('plain', 4n, r1))).toBe('skipped');
    expect(await c.onVerified(record('toy', 4n, r1))).toBe('skipped');
    expect(await c.onVerified(record('wa', 4n, r1))).toBe('cosigned');
    const body = akdCheckpointBody(ORIGIN, 4n, fromHex(r1, 32));
    expect((await svc.latest(ORIGIN))?.note.startsWith(body + '\n— org-a ')).toBe(true);
    expect(await c.onVerified(record('wa', 4n, r1))).toBe('held');
    // Another root for epoch 4: refused, nothing signed, alerted.
    expect(await c.onVerified(record('wa', 4n, 'bb'.repeat(32)))).toBe('refused');
    expect((await store.bodies(ORIGIN, 4n)).map((b) => b.text)).toEqual([body]);
    expect(refused).toMatchObject([{ kind: 'checkpoint-cosign-refused', namespace: 'wa', origin: ORIGIN, epoch: 4n }]);
    // At start, the newest verified epoch is cosigned if it was not.
    const verifications = new VerificationStore(db);
    await verifications.record(record('wa', 5n, 'cc'.repeat(32)), 4n);
    await c.catchUp(['wa', 'plain'], verifications);
    expect((await svc.latest(ORIGIN))?.size).toBe(5n);
  });
});
