// Sync 2.0.0 (docs/p2p.md, "Sync protocol"): requests name one explicit mode, cursors are opaque
// positions the server made, and a hostile cursor or request is refused with a clear error (never
// turned into a store key), while the server's own cursors page through everything exactly once.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEquivocationProof, proofId, type EquivocationProof } from '../../src/consensus/equivocation.js';
import type { Observation } from '../../src/consensus/observation.js';
import { Roster } from '../../src/consensus/roster.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import type { ChorusHost } from '../../src/p2p/index.js';
import { SyncRequestType, SyncCursorType } from '../../src/proto/index.js';
import { signedBytes } from '../../src/plexi/signature-message.js';
import { NetworkService } from '../../src/services/network-service.js';
import { openDatabase, type RootDb } from '../../src/store/database.js';
import { ObservationStore } from '../../src/store/observation-store.js';
import { SigningStore } from '../../src/store/signing-store.js';
import { toHex } from '../../src/util/bytes.js';
import { DecodeError } from '../../src/util/errors.js';
import { U64_MAX } from '../../src/util/u64.js';
import { decodeSyncCursor, encodeSyncCursor } from '../../src/wire/sync-cursor.js';
import {
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncRequest,
  type SyncMode,
  type SyncRequest,
  type SyncResponse,
} from '../../src/wire/sync-messages.js';
import { tempDir } from '../support/tmp.js';

const NS = 'cursor.example';
const own = signingKeyFromSeed(new Uint8Array(32).fill(1));
const other = signingKeyFromSeed(new Uint8Array(32).fill(2));
const roster = Roster.fromJson({
  network: 'cu',
  threshold: 2n,
  auditors: [
    { name: 'us', public_key: toHex(own.publicKey) },
    { name: 'them', public_key: toHex(other.publicKey) },
  ],
  namespaces: [{ name: NS }],
});
const NOW = BigInt(Date.now());
const observe = (epoch: bigint, d: number, key = other): Observation => {
  const m = { ciphersuite: 1, namespace: NS, timestamp: NOW - 1000n, epoch, digest: new Uint8Array(32).fill(d) };
  return { ...m, signature: key.sign(signedBytes(m)), signerKey: key.publicKey };
};
const request = (mode: SyncMode, cursor: Uint8Array = new Uint8Array(), limit = 2): SyncRequest => ({
  namespace: NS,
  limit,
  cursor,
  mode,
});

describe('sync messages and cursors (wire)', () => {
  it('round-trips every mode and position', () => {
    const modes: SyncMode[] = [
      { kind: 'observations', fromEpoch: 0n, toEpoch: U64_MAX },
      { kind: 'proofs', fromEpoch: 3n, toEpoch: 3n },
      { kind: 'arrival' },
      { kind: 'arrival', resume: { logId: new Uint8Array(16).fill(7), number: 2n ** 64n - 1n } },
    ];
    for (const mode of modes) {
      const r = request(
        mode,
        encodeSyncCursor({ kind: 'epoch-item', epoch: 2n ** 63n, item: new Uint8Array(64).fill(1) }),
        9,
      );
      expect(decodeSyncRequest(encodeSyncRequest(r))).toEqual(r);
    }
    const arrival = { kind: 'arrival', logId: new Uint8Array(16).fill(3), number: 0n } as const;
    expect(decodeSyncCursor(encodeSyncCursor(arrival))).toEqual(arrival);
  });

  it('refuses requests without exactly one mode, re-encoded ones and oversized cursors', () => {
    const bad: Uint8Array[] = [
      SyncRequestType.encode({ namespace: NS, limit: 1 }).finish(),
      SyncRequestType.encode({ namespace: NS, proofs: {}, arrival: {} }).finish(),
      new Uint8Array([...encodeSyncRequest(request({ kind: 'arrival' })), 0x78, 1]),
      encodeSyncRequest(request({ kind: 'arrival' }, new Uint8Array(513))),
      encodeSyncRequest(request({ kind: 'observations', fromEpoch: 5n, toEpoch: 4n })),
      encodeSyncRequest(request({ kind: 'arrival', resume: { logId: new Uint8Array(3), number: 1n } })),
      encodeSyncRequest({ ...request({ kind: 'arrival' }), namespace: '' }),
      new Uint8Array([0x0a, 0xff]),
    ];
    for (const b of bad) expect(() => decodeSyncRequest(b), toHex(b)).toThrow(DecodeError);
  });

  it('refuses cursors it did not make: junk, re-encodings, two positions, wrong sizes', () => {
    const good = encodeSyncCursor({ kind: 'epoch-item', epoch: 5n, item: new Uint8Array(32).fill(4) });
    const bad: Uint8Array[] = [
      new TextEncoder().encode(`${NS}\x0000000000000000000005`), // a raw store key (sync 1.0.0)
      new Uint8Array([...good, 0x78, 1]),
      SyncCursorType.encode({
        epoch_item: { epoch: 1, item: new Uint8Array(4) },
        arrival: { log_id: new Uint8Array(16) },
      }).finish(),
      SyncCursorType.encode({}).finish(),
      encodeSyncCursor({ kind: 'epoch-item', epoch: 1n, item: new Uint8Array(65) }),
      encodeSyncCursor({ kind: 'epoch-item', epoch: 1n, item: new Uint8Array(0) }),
      encodeSyncCursor({ kind: 'arrival', logId: new Uint8Array(15), number: 1n }),
      new Uint8Array(600),
    ];
    for (const b of bad) expect(() => decodeSyncCursor(b), toHex(b)).toThrow(DecodeError);
  });
});

describe('serving sync with opaque cursors', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: RootDb;
  let observations: ObservationStore;
  let serve: (bytes: Uint8Array, peer: string) => Promise<Uint8Array>;

  beforeEach(async () => {
    tmp = tempDir();
    db = await openDatabase(join(tmp.dir, 'db'));
    const signing = new SigningStore(db, { now: () => NOW });
    await signing.load();
    observations = new ObservationStore(db);
    await observations.ready();
    let handler: ((bytes: Uint8Array, peer: string) => Promise<Uint8Array>) | undefined;
    const host: Pick<ChorusHost, 'subscribe' | 'handleSync' | 'onPeerConnected'> = {
      subscribe: () => undefined,
      handleSync: async (h) => {
        handler = h;
      },
      onPeerConnected: () => () => undefined,
    };
    const network = new NetworkService({
      host: host as ChorusHost,
      roster,
      db,
      signing,
      observations,
      audited: [NS],
      ownKeys: [own.publicKey],
      logger: pino({ level: 'silent' }),
      now: () => NOW,
    });
    await network.attach();
    if (!handler) throw new Error('no sync handler installed');
    serve = handler;
  });
  afterEach(async () => {
    await db.close();
    tmp.cleanup();
  });

  const ask = async (r: SyncRequest | Uint8Array): Promise<SyncResponse> =>
    decodeSyncResponse(await serve(r instanceof Uint8Array ? r : encodeSyncRequest(r), 'peer'));

  /** Follows the server's own cursors to the end. */
  const all = async (mode: SyncMode): Promise<SyncResponse[]> => {
    const pages: SyncResponse[] = [];
    let cursor: Uint8Array = new Uint8Array();
    for (let i = 0; i < 20; i++) {
      const res = await ask(request(mode, cursor));
      expect(res.error).toBe('');
      pages.push(res);
      if (res.nextCursor.length === 0) return pages;
      cursor = res.nextCursor;
    }
    throw new Error('no end');
  };

  it('pages through observations and proofs by epoch, and through arrivals, each item once', async () => {
    const stored: Observation[] = [];
    for (let e = 1n; e <= 5n; e++) {
      const o = observe(e, Number(e));
      await observations.storeObservation(o);
      stored.push(o);
    }
    const proofs: EquivocationProof[] = [];
    for (let e = 1n; e <= 3n; e++) {
      const p = makeEquivocationProof(observe(e, Number(e)), observe(e, 100 + Number(e)));
      await observations.storeProof(p, 'auditor-equivocation', ['them', 'them'], NOW);
      proofs.push(p);
    }
    const byEpoch = (await all({ kind: 'observations', fromEpoch: 0n, toEpoch: U64_MAX })).flatMap(
      (p) => p.observations,
    );
    // Pages of 2: three pages, in epoch order, each observation once.
    expect(byEpoch.map((o) => `${o.epoch}:${toHex(o.digest)}`)).toEqual(
      stored.map((o) => `${o.epoch}:${toHex(o.digest)}`),
    );
    const proofPages = await all({ kind: 'proofs', fromEpoch: 0n, toEpoch: U64_MAX });
    expect(
      proofPages
        .flatMap((p) => p.proofs)
        .map(proofId)
        .sort(),
    ).toEqual(proofs.map(proofId).sort());
    const arrivals = (await all({ kind: 'arrival' })).flatMap((p) => p.observations);
    expect(new Set(arrivals.map((o) => `${o.epoch}:${toHex(o.digest)}`)).size).toBe(arrivals.length);
    expect(arrivals.map((o) => `${o.epoch}:${toHex(o.digest)}`).sort()).toEqual(
      stored.map((o) => `${o.epoch}:${toHex(o.digest)}`).sort(),
    );
  });

  it('refuses a hostile cursor with a clear error and keeps serving', async () => {
    await observations.storeObservation(observe(1n, 1));
    const epochCursor = encodeSyncCursor({ kind: 'epoch-item', epoch: 1n, item: new Uint8Array(64).fill(1) });
    const arrivalCursor = encodeSyncCursor({ kind: 'arrival', logId: new Uint8Array(16).fill(1), number: 1n });
    const cases: [SyncRequest | Uint8Array, RegExp][] = [
      [
        request(
          { kind: 'observations', fromEpoch: 0n, toEpoch: 9n },
          new TextEncoder().encode(`${NS}\x0000000000000000000000`),
        ),
        /cursor/,
      ],
      [request({ kind: 'arrival' }, epochCursor), /not an arrival cursor/],
      [request({ kind: 'proofs', fromEpoch: 0n, toEpoch: 9n }, arrivalCursor), /not a by-epoch cursor/],
      [request({ kind: 'proofs', fromEpoch: 0n, toEpoch: 9n }, epochCursor), /proofs cursor item is 32 bytes/],
      [
        request({ kind: 'observations', fromEpoch: 0n, toEpoch: 9n }, new Uint8Array([...epochCursor, 0x78, 1])),
        /not canonically encoded/,
      ],
      [
        SyncRequestType.encode({ namespace: NS, observations: {}, proofs: {} }).finish(),
        /exactly one mode|not canonically encoded/,
      ],
    ];
    for (const [r, message] of cases) {
      const res = await ask(r);
      expect(res.error).toMatch(message);
      expect(res.observations).toEqual([]);
      expect(res.proofs).toEqual([]);
    }
    // An arrival cursor of another log (a wiped store) starts from the start: not an error.
    const res = await ask(request({ kind: 'arrival' }, arrivalCursor));
    expect(res.error).toBe('');
    expect(res.observations).toHaveLength(1);
    const honest = await ask(request({ kind: 'observations', fromEpoch: 0n, toEpoch: 9n }));
    expect(honest.observations).toHaveLength(1);
  });
});
