// Issue 12 §1 on a real full filesystem: a node process whose data directory is a small tmpfs is
// pushed epochs (raced by conflicting digests) until the disk is full. It must stop signing at
// once (503 signing-halted, /readyz 503, the metrics say why) and stay stopped when space comes
// back; after a clean restart (and `chorus repair` if the store fell behind its journal) every
// signature it ever returned is served byte-identical and no epoch ever gets a second digest.
// The second test makes LevelDB lose the tail of its log (what the node saw after the full
// disk): the start-up check refuses the namespace until `chorus repair` restores every lost
// signature byte-identical from the journal.
// Needs root for the mount (CI runs as root); without it the test fails saying so, and
// test/unit/signing-store-failures.test.ts covers the same failures injected.
import { afterAll, describe, expect, it } from 'vitest';
import { initDataDir } from '../../src/operator/init.js';
import { Ledger, Tmpfs, checkLedger, pushUntilHalt, startRepairing } from '../support/disk-full.js';
import { http } from '../support/http.js';
import { NodeProcess } from '../support/node-process.js';
import { tempDir } from '../support/tmp.js';
import { join } from 'node:path';
import { readdirSync, statSync, truncateSync } from 'node:fs';
import { runCli } from '../support/node-process.js';

const ns = 'full.example';

describe('a full disk never makes the node sign twice', () => {
  const tmp = tempDir('chorus-disk-full-');
  const fs = new Tmpfs(join(tmp.dir, 'mnt'), 24 * 1024 * 1024);
  const nodes: NodeProcess[] = [];
  afterAll(async () => {
    for (const n of nodes) await n.kill('SIGKILL');
    fs.unmount();
    tmp.cleanup();
  });

  it('halts on ENOSPC, stays halted after space is freed, and keeps every returned signature across a restart', async () => {
    fs.mount();
    const init = await initDataDir({ dataDir: join(fs.dir, 'data'), namespaces: [ns], httpPort: 0 });
    const token = init.tokens[ns] as string;
    const ledger = new Ledger();
    let node = await NodeProcess.start(['start', '--config', init.config]);
    nodes.push(node);
    const target = () => ({ url: node.url, ns, token });

    // Some epochs with room to spare, then fill the disk to a few KiB and push until it halts.
    const before = await pushUntilHalt(target(), ledger, 0.3, 20);
    expect(before).toMatchObject({ halted: false, signed: 20 });
    fs.fill(16 * 1024);
    const full = await pushUntilHalt(target(), ledger, 0.3, 100_000);
    expect(full.halted).toBe(true);
    expect(String(full.body?.message)).toMatch(/space|ENOSPC|write/i);

    const ready = await http(`${node.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.body.problems)).toMatch(/signing halted: a write to the store failed/);
    const metrics = (await http(`${node.url}/metrics`)).text;
    expect(metrics).toMatch(/^chorus_signing_halted\{reason="store-failed"\} 1$/m);
    expect(Number(/^chorus_store_write_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    const info = await http(`${node.url}/namespaces/${ns}`);
    expect(String(info.body.signing_halted)).toMatch(/a write to the store failed/);

    // Space comes back: the node still signs nothing new (the node did), but serves
    // everything it returned.
    fs.free();
    const after = await pushUntilHalt(target(), ledger, 0, 5);
    expect(after).toMatchObject({ halted: true, signed: 0 });
    await checkLedger(target(), ledger, [...ledger.returned.keys()].slice(-5));

    // A clean restart; the start-up check compares the store with its journal.
    await node.kill('SIGTERM');
    const restarted = await startRepairing(init.config, { ns, token }, ledger);
    node = restarted.node;
    nodes.push(node);
    expect((await http(`${node.url}/readyz`)).status).toBe(200);
    await checkLedger(target(), ledger);
    const more = await pushUntilHalt(target(), ledger, 0.3, 10);
    expect(more).toMatchObject({ halted: false, signed: 10 });
    expect(ledger.violations).toEqual([]);
    expect(ledger.returned.size).toBeGreaterThan(30);
    await node.kill('SIGTERM');
  });

  it('a store that lost its log tail is refused until chorus repair restores every returned signature', async () => {
    const init = await initDataDir({ dataDir: join(tmp.dir, 'tail'), namespaces: [ns], httpPort: 0 });
    const token = init.tokens[ns] as string;
    const ledger = new Ledger();
    let node = await NodeProcess.start(['start', '--config', init.config]);
    nodes.push(node);
    const target = () => ({ url: node.url, ns, token });
    expect(await pushUntilHalt(target(), ledger, 0.3, 20)).toMatchObject({ halted: false, signed: 20 });
    // A history exported on the way, for the import below (opening LevelDB starts a new log).
    await node.kill('SIGTERM');
    const history = join(tmp.dir, 'history.json');
    expect(runCli(['export', '--config', init.config, '--out', history]).status).toBe(0);
    node = await NodeProcess.start(['start', '--config', init.config]);
    nodes.push(node);
    expect(await pushUntilHalt(target(), ledger, 0.3, 20)).toMatchObject({ halted: false, signed: 20 });
    await node.kill('SIGKILL');
    // Cut the newest LevelDB log file to 60 %: its last records (the newest epochs) are gone.
    const db = join(tmp.dir, 'tail', 'db');
    const log = readdirSync(db)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .at(-1) as string;
    const size = statSync(join(db, log)).size;
    truncateSync(join(db, log), Math.floor(size * 0.6));

    node = await NodeProcess.start(['start', '--config', init.config]);
    nodes.push(node);
    const ready = await http(`${node.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.body.problems)).toMatch(
      /store is behind the signing journal .* lacks \d+ signed epoch/,
    );
    const lost = [...ledger.returned.keys()].at(-1) as bigint;
    expect((await http(`${node.url}/namespaces/${ns}/audits/${lost}`)).status).toBe(404);
    const other = await http(`${node.url}/namespaces/${ns}/audits`, {
      body: { epoch: lost, digest: 'ab'.repeat(32) },
      token,
    });
    expect(other.status).toBe(503);
    expect(other.body.error).toBe('signing-halted');
    // Export refuses to carry the gap to another host.
    await node.kill('SIGTERM');
    const exported = runCli(['export', '--config', init.config]);
    expect(exported.status).not.toBe(0);
    expect(exported.stderr).toMatch(/behind the signing journal/);
    const imported = runCli(['import', '--config', init.config, history]);
    expect(imported.status).not.toBe(0);
    expect(imported.stderr).toMatch(/cannot import .*behind the signing journal/);

    const repaired = runCli(['repair', '--config', init.config]);
    expect(repaired.stderr).toBe('');
    expect(repaired.status).toBe(0);
    expect(repaired.stdout).toMatch(/"restored":\d+/);
    node = await NodeProcess.start(['start', '--config', init.config]);
    nodes.push(node);
    expect((await http(`${node.url}/readyz`)).status).toBe(200);
    await checkLedger(target(), ledger);
    expect(await pushUntilHalt(target(), ledger, 0.3, 5)).toMatchObject({ halted: false, signed: 5 });
    expect(ledger.violations).toEqual([]);
    await node.kill('SIGTERM');
  });
});
