// A second log format through the whole node, with no change to src/: the test-only toy format
// (test/support/toy-format/) is injected into the registry, a real node (LevelDB, HTTP, file://
// proof directories) signs its epochs, verifies them, serves last-verified-epoch, alerts on a bad
// proof, and audits a directory-source namespace named by the toy format's proof names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { configFromObject } from '../../src/config/config.js';
import { defaultFormats } from '../../src/formats/registry.js';
import { ChorusNode } from '../../src/node/node.js';
import { initDataDir } from '../../src/operator/init.js';
import { toHex } from '../../src/util/bytes.js';
import { ConfigError } from '../../src/util/errors.js';
import { http } from '../support/http.js';
import { waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';
import { TOY_FORMAT_ID, toyDigest, toyFormat, toyVerifiers, writeToyLog } from '../support/toy-format/index.js';

const PUSH = 'toy.push';
const DIR = 'toy.dir';

describe('a second log format (test-only toy format) through a real node', () => {
  const tmp = tempDir();
  const formats = defaultFormats.with(toyFormat);
  const pushProofs = join(tmp.dir, 'push-proofs');
  const dirProofs = join(tmp.dir, 'dir-proofs');
  const pushRoot = new Uint8Array(32).fill(7);
  const dirRoot = new Uint8Array(32).fill(9);
  let pushDigests: Uint8Array[];
  let dirDigests: Uint8Array[];
  let badDigest: Uint8Array;
  let badName: string;
  let doc: { namespaces: Record<string, unknown>[] } & Record<string, unknown>;
  let configFile: string;
  let node: ChorusNode | undefined;
  let url = '';
  let token = '';

  beforeAll(async () => {
    pushDigests = writeToyLog(pushProofs, pushRoot, 2, 'push-label');
    dirDigests = writeToyLog(dirProofs, dirRoot, 3);
    // Epoch 3 of the push log: a proof whose entries do not hash to the digest the log submits.
    badDigest = toyDigest(pushDigests[2] as Uint8Array, 'push-label', ['the real entry']);
    badName = toyFormat.proofNames.format({ epoch: 3n, previous: pushDigests[2] as Uint8Array, current: badDigest });
    const badFile = join(pushProofs, ...badName.split('/'));
    mkdirSync(join(badFile, '..'), { recursive: true });
    writeFileSync(
      badFile,
      JSON.stringify({
        previous: toHex(pushDigests[2] as Uint8Array),
        current: toHex(badDigest),
        entries: ['a forged entry'],
      }),
    );

    const init = await initDataDir({ dataDir: join(tmp.dir, 'node'), namespaces: [PUSH, DIR], httpPort: 0 });
    token = init.tokens[PUSH] as string;
    configFile = init.config;
    doc = parseYaml(readFileSync(init.config, 'utf8'), { intAsBigInt: true }) as typeof doc;
    for (const ns of doc.namespaces) {
      delete ns.configuration; // an AKD field: the toy format has its own
      ns.log_format = TOY_FORMAT_ID;
    }
    Object.assign(doc.namespaces[0] as object, {
      proof_directory: pathToFileURL(pushProofs).href,
      toy_label: 'push-label',
    });
    Object.assign(doc.namespaces[1] as object, {
      proof_directory: pathToFileURL(dirProofs).href,
      source: 'directory',
      start_at: 1n,
      poll_interval_seconds: 1n,
    });
    node = await ChorusNode.create(configFromObject(doc, configFile, formats), {
      logger: pino({ level: 'silent' }),
      formats,
    });
    url = await node.listen();
  }, 60_000);

  afterAll(async () => {
    await node?.close();
    tmp.cleanup();
  });

  const submit = (epoch: bigint, digest: Uint8Array) =>
    http(`${url}/namespaces/${PUSH}/audits`, { body: { epoch, digest: toHex(digest) }, token });

  it('the config names the format; the default registry and the AKD fields are refused for it', () => {
    expect(() => configFromObject(doc, configFile)).toThrow(ConfigError);
    expect(() => configFromObject(doc, configFile)).toThrow(/log_format: must be one of: akd/);
    const withAkdField = { ...doc, namespaces: [{ ...doc.namespaces[0], configuration: 'whatsapp_v1' }] };
    expect(() => configFromObject(withAkdField, configFile, formats)).toThrow(/configuration/);
    const ns = configFromObject(doc, configFile, formats).namespaces[0];
    expect(ns).toMatchObject({ logFormat: TOY_FORMAT_ID, formatSettings: { toy_label: 'push-label' } });
  });

  it('signs pushed epochs, verifies their toy proofs and serves the last verified epoch', async () => {
    expect((await submit(0n, pushRoot)).status).toBe(200);
    for (const e of [1n, 2n]) expect((await submit(e, pushDigests[Number(e)] as Uint8Array)).status).toBe(200);
    const lve = await waitFor('epoch 2 verified', async () => {
      const r = await http(`${url}/namespaces/${PUSH}/last-verified-epoch`);
      return r.status === 200 && r.body.epoch === 2n ? r.body : false;
    });
    expect(lve).toMatchObject({
      epoch: 2n,
      start_hash: toHex(pushDigests[1] as Uint8Array),
      end_hash: toHex(pushDigests[2] as Uint8Array),
    });
    const record = await node!.services.verifications.result(PUSH, 2n);
    expect(record).toMatchObject({
      ok: true,
      inserted: 2,
      blobName: toyFormat.proofNames.format({
        epoch: 2n,
        previous: pushDigests[1] as Uint8Array,
        current: pushDigests[2] as Uint8Array,
      }),
    });
  });

  it('a proof that does not hash to the signed digest is a validation-failed alert; last verified stays', async () => {
    expect((await submit(3n, badDigest)).status).toBe(200);
    const alert = await waitFor('validation-failed alert', async () => {
      const r = await http(`${url}/alerts?type=validation-failed`);
      return (r.body.alerts as Record<string, unknown>[])[0];
    });
    expect(alert).toMatchObject({ type: 'validation-failed', namespace: PUSH, epoch: 3n, blob_name: badName });
    expect(String(alert.reason)).toMatch(/entries hash to/);
    expect((await node!.services.verifications.result(PUSH, 3n))?.failure).toMatchObject({
      code: 'verification-failed',
      reason: 'digest-mismatch',
    });
    expect((await http(`${url}/namespaces/${PUSH}/last-verified-epoch`)).body.epoch).toBe(2n);
  });

  it("a directory source lists and signs epochs by the toy format's proof names", async () => {
    await waitFor('directory epoch 3 signed and verified', async () => {
      const r = await http(`${url}/namespaces/${DIR}`);
      return r.body.last_verified_epoch === 3n;
    });
    const signed = await http(`${url}/namespaces/${DIR}/audits/3`);
    expect(signed.status).toBe(200);
    expect(signed.body.digest).toBe(toHex(dirDigests[3] as Uint8Array));
    expect((await http(`${url}/namespaces/${DIR}/audits/0`)).body.digest).toBe(toHex(dirRoot));
  });

  it("the API names each namespace's format from its descriptor, with no entry counts for the toy", async () => {
    const list = (await http(`${url}/namespaces`)).body.namespaces as Record<string, unknown>[];
    expect(list.map((n) => n.name)).toEqual([PUSH, DIR]);
    for (const info of list) {
      expect(info).toMatchObject({
        log_format: TOY_FORMAT_ID,
        log_format_label: 'Toy JSON log',
        proof_label: 'toy proof',
      });
      // The toy's verdicts carry inserted = 2, but its descriptor names no counts: none are served.
      expect(info).not.toHaveProperty('last_verified_entries');
    }
    const one = (await http(`${url}/namespaces/${PUSH}`)).body;
    expect(one).toMatchObject({ name: PUSH, log_format: TOY_FORMAT_ID, last_verified_epoch: 2n });
    expect(one).not.toHaveProperty('last_verified_entries');
  });

  it("closes the format's verifier with the node", async () => {
    const mine = toyVerifiers.slice();
    expect(mine).toHaveLength(1); // one verifier per format, shared by both namespaces
    await node!.close();
    node = undefined;
    expect(mine.every((v) => v.closed)).toBe(true);
  });
});
