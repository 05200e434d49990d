// Design §4.1 under crashes: a stream of epochs is submitted while the node process is SIGKILLed
// at random moments and restarted on the same data directory. Every signature it ever returned
// must be served unchanged afterwards, and no other digest may be signed for those epochs.
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { initDataDir } from '../../src/operator/init.js';
import { hex32, http } from '../support/http.js';
import { NodeProcess } from '../support/node-process.js';
import { tempDir } from '../support/tmp.js';

const ROUNDS = 12;
const ns = 'durable.example';

describe('durability under SIGKILL', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it(`keeps every returned signature across ${ROUNDS} random kills`, async () => {
    const init = await initDataDir({ dataDir: tmp.dir, namespaces: [ns], httpPort: 0 });
    const token = init.tokens[ns] as string;
    const returned = new Map<bigint, string>(); // epoch -> exact response text
    const digestOf = new Map<bigint, string>();
    let next = 1n;
    let pendingDigest = randomBytes(32).toString('hex');
    let kills = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const node = await NodeProcess.start(['start', '--config', init.config]);

      // Everything returned before must still be there, byte for byte.
      for (const [epoch, text] of returned) {
        const r = await http(`${node.url}/namespaces/${ns}/audits/${epoch}`);
        expect(r.status).toBe(200);
        expect(r.text).toBe(text);
      }
      // And no other digest can be signed for an acknowledged epoch.
      for (const epoch of [...returned.keys()].slice(-3)) {
        const r = await http(`${node.url}/namespaces/${ns}/audits`, { body: { epoch, digest: hex32(0xee) }, token });
        expect(r.status).toBe(409);
        expect(r.body.error).toBe('epoch-conflict');
      }

      // Submit a stream (with conflicting racers) and kill the process at a random moment.
      const killAfterMs = 30 + Math.floor(Math.random() * 300);
      const killer = new Promise<void>((resolve) =>
        setTimeout(() => {
          void node.kill('SIGKILL').then(() => {
            kills++;
            resolve();
          });
        }, killAfterMs),
      );
      let alive = true;
      void killer.then(() => (alive = false));
      while (alive) {
        const body = { epoch: next, digest: pendingDigest };
        const racer = { epoch: next, digest: randomBytes(32).toString('hex') };
        let res;
        try {
          [res] = await Promise.all([
            http(`${node.url}/namespaces/${ns}/audits`, { body, token }),
            http(`${node.url}/namespaces/${ns}/audits`, { body: racer, token }).catch(() => undefined),
          ]);
        } catch {
          break; // the process died mid-request: retry the same epoch and digest next round
        }
        if (res.status === 200) {
          // The racer may have won the epoch; either way the signed digest is what we record.
          const digest = String(res.body.digest);
          if (digestOf.has(next)) expect(digestOf.get(next)).toBe(digest);
          returned.set(next, res.text);
          digestOf.set(next, digest);
          next++;
          pendingDigest = randomBytes(32).toString('hex');
        } else if (res.status === 409 && res.body.error === 'epoch-conflict') {
          // The racer won: learn the signed digest and move on.
          const got = await http(`${node.url}/namespaces/${ns}/audits/${next}`);
          expect(got.status).toBe(200);
          returned.set(next, got.text);
          digestOf.set(next, String(got.body.digest));
          next++;
          pendingDigest = randomBytes(32).toString('hex');
        } else {
          throw new Error(`unexpected ${res.status}: ${res.text}`);
        }
      }
      await killer;
    }

    // Final check on a clean start: the whole chain is intact and consecutive.
    const node = await NodeProcess.start(['start', '--config', init.config]);
    try {
      for (const [epoch, text] of returned)
        expect((await http(`${node.url}/namespaces/${ns}/audits/${epoch}`)).text).toBe(text);
      expect(kills).toBe(ROUNDS);
      expect(returned.size).toBeGreaterThan(ROUNDS);
    } finally {
      await node.kill('SIGTERM');
    }
  });
});
