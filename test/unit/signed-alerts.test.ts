// Issue 12 §4: signed alerts are bound to their network and checked for freshness; a monitor
// remembers what it reported across restarts.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ALERT_MAX_AGE_MS,
  alertBody,
  alertSignedBytes,
  checkSignedAlert,
  decodeSignedAlert,
  encodeSignedAlert,
  type Alert,
} from '../../src/consensus/alerts.js';
import { Roster } from '../../src/consensus/roster.js';
import { signingKeyFromSeed, verifyStrict } from '../../src/crypto/ed25519.js';
import { PRINTED_ALERTS_FILE, PrintedAlerts } from '../../src/monitor/printed-alerts.js';
import { concatBytes, toHex } from '../../src/util/bytes.js';
import { stringifyJson } from '../../src/util/json.js';
import { tempDir } from '../support/tmp.js';

const org1 = signingKeyFromSeed(new Uint8Array(32).fill(1));
const outsider = signingKeyFromSeed(new Uint8Array(32).fill(8));
const roster = Roster.fromJson({
  network: 'prod',
  threshold: 1n,
  auditors: [{ name: 'org1', public_key: toHex(org1.publicKey) }],
  namespaces: [{ name: 'ns' }],
});
const NOW = 1_800_000_000_000n;
const facts = { nowMs: NOW, maxFutureMs: 600_000n, maxAgeMs: ALERT_MAX_AGE_MS };
const alert = (timestamp: bigint): Alert => ({
  type: 'log-stalled',
  namespace: 'ns',
  timestamp,
  reason: 'no new epoch',
});
const sign = (body: Uint8Array, key = org1) => ({
  body,
  signerKey: key.publicKey,
  signature: key.sign(alertSignedBytes(body)),
});

describe('signed alerts', () => {
  it('a fresh alert of this network signed by a roster auditor is accepted, and names its network', async () => {
    const s = decodeSignedAlert(encodeSignedAlert(sign(alertBody(alert(NOW - 1000n), 'prod'))));
    const c = await checkSignedAlert(s, roster, verifyStrict, facts);
    expect(c).toMatchObject({
      ok: true,
      raisedBy: 'org1',
      alert: { type: 'log-stalled', network: 'prod', timestamp: NOW - 1000n },
    });
  });

  it('an alert captured in another network is refused here', async () => {
    const s = sign(alertBody(alert(NOW), 'staging'));
    expect(await checkSignedAlert(s, roster, verifyStrict, facts)).toEqual({
      ok: false,
      outcome: 'reject',
      reason: 'wrong-network',
    });
    // Rewriting the network in the body breaks the signature.
    const forged = { ...s, body: alertBody(alert(NOW), 'prod') };
    expect(await checkSignedAlert(forged, roster, verifyStrict, facts)).toEqual({
      ok: false,
      outcome: 'reject',
      reason: 'bad-signature',
    });
  });

  it('a replayed old alert (timestamped 1970) is ignored, one from the future rejected', async () => {
    expect(await checkSignedAlert(sign(alertBody(alert(0n), 'prod')), roster, verifyStrict, facts)).toEqual({
      ok: false,
      outcome: 'ignore',
      reason: 'stale',
    });
    expect(
      await checkSignedAlert(sign(alertBody(alert(NOW - ALERT_MAX_AGE_MS - 1n), 'prod')), roster, verifyStrict, facts),
    ).toMatchObject({ reason: 'stale' });
    expect(
      await checkSignedAlert(sign(alertBody(alert(NOW - ALERT_MAX_AGE_MS), 'prod')), roster, verifyStrict, facts),
    ).toMatchObject({ ok: true });
    expect(await checkSignedAlert(sign(alertBody(alert(NOW + 600_001n), 'prod')), roster, verifyStrict, facts)).toEqual(
      { ok: false, outcome: 'reject', reason: 'future-timestamp' },
    );
  });

  it("a v1 alert (no network, old domain tag) and an outsider's alert are refused", async () => {
    const v1body = new TextEncoder().encode(stringifyJson(alert(NOW)));
    const v1 = {
      body: v1body,
      signerKey: org1.publicKey,
      signature: org1.sign(concatBytes(new TextEncoder().encode('chorus-alert-v1\x00'), v1body)),
    };
    expect(await checkSignedAlert(v1, roster, verifyStrict, facts)).toEqual({
      ok: false,
      outcome: 'reject',
      reason: 'undecodable',
    });
    expect(
      await checkSignedAlert(sign(alertBody(alert(NOW), 'prod'), outsider), roster, verifyStrict, facts),
    ).toMatchObject({ reason: 'unknown-signer' });
  });
});

describe('what a monitor reported, across restarts', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('a reopened set remembers every reported key', () => {
    const a = new PrintedAlerts(tmp.dir);
    expect(a.has('equivocation\x00x')).toBe(false);
    a.add('equivocation\x00x');
    a.add('log-stalled\x00ns\x00\x00');
    a.add('equivocation\x00x');
    const b = new PrintedAlerts(tmp.dir);
    expect(b.size).toBe(2);
    expect(b.has('equivocation\x00x')).toBe(true);
    expect(b.has('log-stalled\x00ns\x00\x00')).toBe(true);
    expect(b.has('quorum-missed\x00ns\x005\x00')).toBe(false);
  });

  it('a line torn by a crash is skipped and does not swallow the next one', () => {
    const a = new PrintedAlerts(tmp.dir);
    a.add('one');
    appendFileSync(join(tmp.dir, PRINTED_ALERTS_FILE), 'abc123'); // torn write, no newline
    const b = new PrintedAlerts(tmp.dir);
    expect(b.skipped).toBe(1);
    b.add('two');
    const c = new PrintedAlerts(tmp.dir);
    expect(c.has('one') && c.has('two')).toBe(true);
    expect(
      readFileSync(join(tmp.dir, PRINTED_ALERTS_FILE), 'utf8')
        .split('\n')
        .filter((l) => l === PrintedAlerts.hash('two')),
    ).toHaveLength(1);
  });

  it('without a directory it remembers in memory only', () => {
    writeFileSync(join(tmp.dir, PRINTED_ALERTS_FILE), `${PrintedAlerts.hash('x')}\n`);
    const m = new PrintedAlerts();
    expect(m.has('x')).toBe(false);
    m.add('x');
    expect(m.has('x')).toBe(true);
  });
});
