// Log-signed reports (Plexi's reports_uri) on a node without a network: the signature
// authenticates the submission, and a log that signs two heads for one epoch is caught.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { initDataDir } from '../../src/operator/init.js';
import { loadConfig } from '../../src/config/config.js';
import { ChorusNode } from '../../src/node/node.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { keyId, signedBytes } from '../../src/plexi/signature-message.js';
import { signatureResponseToJson } from '../../src/plexi/signature-response.js';
import { toHex } from '../../src/util/bytes.js';
import { tempDir } from '../support/tmp.js';
import { http } from '../support/http.js';

const ns = 'reports.example';
const logKey = signingKeyFromSeed(new Uint8Array(32).fill(0x4c));
const impostor = signingKeyFromSeed(new Uint8Array(32).fill(0x49));

function report(key: typeof logKey, epoch: bigint, digestByte: number, namespace = ns): Record<string, unknown> {
  const m = {
    ciphersuite: 1,
    namespace,
    timestamp: 1_700_000_000_000n + epoch,
    epoch,
    digest: new Uint8Array(32).fill(digestByte),
  };
  return signatureResponseToJson({ ...m, signature: key.sign(signedBytes(m)), keyId: keyId(key.publicKey) });
}

describe('log-signed reports', () => {
  const tmp = tempDir();
  let node: ChorusNode;
  let url = '';
  beforeAll(async () => {
    const init = await initDataDir({
      dataDir: tmp.dir,
      namespaces: [ns],
      httpPort: 0,
      namespaceSettings: { logKey: toHex(logKey.publicKey) },
    });
    node = await ChorusNode.create(loadConfig(init.config), { logger: pino({ level: 'silent' }) });
    url = await node.listen();
  });
  afterAll(async () => {
    await node.close();
    tmp.cleanup();
  });
  const post = (body: unknown) => http(`${url}/namespaces/${ns}/reports`, { body });

  it('a report signed by the log key is audited without a token', async () => {
    const r = await post(report(logKey, 1n, 1));
    expect(r.status).toBe(200);
    expect(r.body.digest).toBe('01'.repeat(32));
    expect((await post(report(logKey, 2n, 2))).status).toBe(200);
    // The log's signed head is stored as an observation next to ours.
    const view = await http(`${url}/namespaces/${ns}/epochs/2`);
    const signers = (view.body.digests as { signers: { name: string }[] }[])[0]?.signers.map((s) => s.name).sort();
    expect(signers).toEqual([`log:${ns}`, 'self']);
  });

  it('refuses reports not signed by the log key, for another namespace, or malformed', async () => {
    expect((await post(report(impostor, 3n, 3))).status).toBe(401);
    expect((await post(report(logKey, 3n, 3, 'other.example'))).status).toBe(400);
    expect((await post({ epoch: 3n })).status).toBe(400);
    expect((await http(`${url}/namespaces/${ns}/audits/3`)).status).toBe(404);
  });

  it('a log that signs two heads for one epoch is convicted by its own signatures', async () => {
    const second = await post(report(logKey, 2n, 0x22));
    expect(second.status).toBe(409);
    const list = await http(`${url}/equivocations`);
    const proofs = list.body.equivocations as { kind: string; epoch: bigint; signers: string[] }[];
    expect(proofs.map((p) => p.kind)).toContain('log-equivocation');
    expect(proofs.find((p) => p.kind === 'log-equivocation')).toMatchObject({
      epoch: 2n,
      signers: [`log:${ns}`, `log:${ns}`],
    });
    expect((await http(`${url}/namespaces/${ns}`)).body.network_status).toBe('Equivocated');
  });
});
