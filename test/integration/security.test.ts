// Security features (issue 7 item 3) with real processes: write rate limits, key files others
// can read, key rotation, and moving a node to another host with export/import.
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { NodeProcess, runCli } from '../support/node-process.js';
import { hex32, http } from '../support/http.js';
import { tempDir } from '../support/tmp.js';
import { TestNetwork } from '../support/network.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';

const NS = 'sec.example';

function init(dir: string): { config: string; token: string; publicKey: string } {
  const r = runCli(['init', '--data-dir', dir, '--namespace', NS, '--http-port', '0', '--json']);
  if (r.status !== 0) throw new Error(r.stderr);
  const out = JSON.parse(r.stdout) as { config: string; tokens: Record<string, string>; public_key: string };
  return { config: out.config, token: out.tokens[NS] as string, publicKey: out.public_key };
}

const submit = (node: NodeProcess, token: string, epoch: bigint, digest: string) =>
  http(`${node.url}/namespaces/${NS}/audits`, { body: { epoch, digest }, token });

describe('security', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('limits write requests per client (429 JSON), not reads', async () => {
    const c = init(join(tmp.dir, 'rl'));
    const doc = parseYaml(readFileSync(c.config, 'utf8'), { intAsBigInt: true }) as { http: Record<string, unknown> };
    doc.http.rate_limit = { max: 5n, window_seconds: 60n };
    writeFileSync(c.config, stringifyYaml(doc), { mode: 0o600 });
    const node = await NodeProcess.start(['start', '--config', c.config]);
    try {
      const codes: number[] = [];
      for (let e = 1n; e <= 7n; e++) codes.push((await submit(node, c.token, e, hex32(Number(e)))).status);
      expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      const limited = await submit(node, c.token, 6n, hex32(6));
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ error: 'rate-limited' });
      // Wrong tokens are counted too: no brute forcing the bearer token.
      expect((await submit(node, 'guess', 6n, hex32(6))).status).toBe(429);
      for (let i = 0; i < 20; i++) expect((await http(`${node.url}/namespaces/${NS}/audits/1`)).status).toBe(200);
    } finally {
      await node.kill('SIGTERM');
    }
  });

  it('behind a trusted proxy limits each forwarded client, and believes no other sender', async () => {
    const limited = async (trusted: string[]) => {
      const c = init(join(tmp.dir, `proxy-${trusted.length}`));
      const doc = parseYaml(readFileSync(c.config, 'utf8'), { intAsBigInt: true }) as { http: Record<string, unknown> };
      doc.http.rate_limit = { max: 3n, window_seconds: 60n };
      doc.http.trusted_proxies = trusted;
      writeFileSync(c.config, stringifyYaml(doc), { mode: 0o600 });
      const node = await NodeProcess.start(['start', '--config', c.config]);
      try {
        const from = (client: string, e: bigint) =>
          http(`${node.url}/namespaces/${NS}/audits`, {
            body: { epoch: e, digest: hex32(Number(e)) },
            token: c.token,
            headers: { 'x-forwarded-for': client },
          });
        const a: number[] = [];
        for (let e = 1n; e <= 4n; e++) a.push((await from('198.51.100.1', e)).status);
        const b = (await from('198.51.100.2', 4n)).status;
        return { a, b };
      } finally {
        await node.kill('SIGTERM');
      }
    };
    // The node's proxy (127.0.0.1 here) is trusted: the two clients have their own budgets.
    expect(await limited(['127.0.0.1'])).toEqual({ a: [200, 200, 200, 429], b: 200 });
    // Not trusted: X-Forwarded-For is ignored and both share the sender's budget.
    expect(await limited([])).toEqual({ a: [200, 200, 200, 429], b: 429 });
  });

  it('refuses to start with a key file that others can read', async () => {
    const c = init(join(tmp.dir, 'perm'));
    chmodSync(join(tmp.dir, 'perm', 'node.key'), 0o644);
    const r = runCli(['start', '--config', c.config]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/accessible by group or others.*chmod 600/);
  });

  it('rotates keys: /info lists both, new epochs use the new key, old signatures still verify', async () => {
    const c = init(join(tmp.dir, 'rot'));
    let node = await NodeProcess.start(['start', '--config', c.config]);
    expect((await submit(node, c.token, 1n, hex32(1))).status).toBe(200);
    const old = (await http(`${node.url}/namespaces/${NS}/audits/1`)).text;
    await node.kill('SIGTERM');
    const rot = runCli(['key', 'rotate', '--config', c.config]);
    expect(rot.status).toBe(0);
    const fresh = JSON.parse(rot.stdout) as { public_key: string };
    expect(readFileSync(c.config, 'utf8')).toContain('# Ed25519 signing keys'); // comments kept
    node = await NodeProcess.start(['start', '--config', c.config]);
    try {
      const info = await http(`${node.url}/info`);
      expect((info.body.keys as { public_key: string }[]).map((k) => k.public_key)).toEqual([
        c.publicKey,
        fresh.public_key,
      ]);
      const two = await submit(node, c.token, 2n, hex32(2));
      expect(two.body.key_id).toBe(BigInt(parseInt(fresh.public_key.slice(62), 16)));
      expect(runCli(['verify-signature', '--key', fresh.public_key], two.text).status).toBe(0);
      expect((await http(`${node.url}/namespaces/${NS}/audits/1`)).text).toBe(old);
      expect(runCli(['verify-signature', '--key', c.publicKey], old).status).toBe(0);
      // plexi's own key lookup (by key_id in /info) finds each epoch's key.
      for (const e of ['1', '2'])
        expect(runCli(['audit', '-r', node.url, '-n', NS, '--epoch', e]).stdout.trim()).toBe('success');
    } finally {
      await node.kill('SIGTERM');
    }
  });

  it('moves a node with export/import: identical signatures, no conflicting digest, continues from the mark', async () => {
    const a = init(join(tmp.dir, 'a'));
    let node = await NodeProcess.start(['start', '--config', a.config]);
    const served = new Map<bigint, string>();
    for (let e = 1n; e <= 5n; e++) {
      expect((await submit(node, a.token, e, hex32(Number(e)))).status).toBe(200);
      served.set(e, (await http(`${node.url}/namespaces/${NS}/audits/${e}`)).text);
    }
    // Exporting needs the store: refused while the node runs.
    const busy = runCli(['export', '--config', a.config]);
    expect(busy.status).toBe(2);
    expect(busy.stderr).toMatch(/in use by another process/);
    await node.kill('SIGTERM');
    const historyFile = join(tmp.dir, 'history.json');
    expect(runCli(['export', '--config', a.config, '--out', historyFile]).status).toBe(0);
    const history = parseJson(readFileSync(historyFile, 'utf8')) as {
      format: string;
      namespaces: { low_water_mark: { epoch: bigint }; signatures: Record<string, unknown>[] }[];
    };
    expect(history.format).toBe('chorus-signing-history/1');
    expect(history.namespaces[0]?.low_water_mark.epoch).toBe(5n);

    // The new host: a fresh data directory with the same key.
    const b = init(join(tmp.dir, 'b'));
    copyFileSync(join(tmp.dir, 'a', 'node.key'), join(tmp.dir, 'b', 'node.key'));
    // A tampered history is refused as a whole.
    const tampered = structuredClone(history);
    const sig = tampered.namespaces[0]!.signatures[2]!;
    sig.digest = hex32(0x99);
    writeFileSync(join(tmp.dir, 'tampered.json'), stringifyJson(tampered));
    expect(runCli(['import', '--config', b.config, join(tmp.dir, 'tampered.json')]).status).toBe(1);
    const imp = runCli(['import', '--config', b.config, historyFile]);
    expect(imp.status).toBe(0);
    node = await NodeProcess.start(['start', '--config', b.config]);
    try {
      for (const [e, text] of served) expect((await http(`${node.url}/namespaces/${NS}/audits/${e}`)).text).toBe(text);
      expect((await submit(node, b.token, 3n, hex32(0x33))).body.error).toBe('epoch-conflict');
      expect((await submit(node, b.token, 5n, hex32(0x55))).body.error).toBe('epoch-conflict');
      expect((await submit(node, b.token, 4n, hex32(4))).status).toBe(200);
      expect((await submit(node, b.token, 6n, hex32(6))).status).toBe(200);
    } finally {
      await node.kill('SIGTERM');
    }
    // A host that signed another digest for an exported epoch refuses the import.
    const c = init(join(tmp.dir, 'c'));
    node = await NodeProcess.start(['start', '--config', c.config]);
    expect((await submit(node, c.token, 3n, hex32(0x77))).status).toBe(200);
    await node.kill('SIGTERM');
    const refused = runCli(['import', '--config', c.config, historyFile]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/epoch 3: this node signed/);
  });

  it('refuses to start when its libp2p identity is not the peer id the roster lists', async () => {
    mkdirSync(join(tmp.dir, 'ident'));
    const net = new TestNetwork(join(tmp.dir, 'ident'), NS);
    await net.setup(2);
    const identity = join(net.node('org1').dir, 'p2p-identity.key');
    const saved = readFileSync(identity);
    rmSync(identity);
    // A lost identity file is not silently replaced by a new peer nobody will talk to.
    await expect(net.start('org1')).rejects.toThrow(/roster lists peer id .* for "org1".*identity file was missing/s);
    expect(existsSync(identity)).toBe(false);
    writeFileSync(identity, saved, { mode: 0o600 });
    await net.start('org1');
    await net.stopAll();
  });
});
