// The dashboard's pure view of a witnessed log (src/api/dashboard/witness-view.ts), fed what the node's
// route serves (src/api/witness-routes.ts) through JSON and the page's own schema: the format's words
// come from the tlog descriptor, the size stays exact past 2^53, the counts say "none yet" or "not
// reported" rather than zero, and only a path on the node becomes the checkpoint link.
import { describe, expect, it } from 'vitest';
import { witnessedLogsSchema, type WitnessedLogJson } from '../../src/api/dashboard/api.js';
import { witnessedLogView } from '../../src/api/dashboard/witness-view.js';
import { witnessedLogToJson } from '../../src/api/witness-routes.js';
import { checkpointPath } from '../../src/c2sp/witness-request.js';
import { tlogFormat } from '../../src/formats/tlog/index.js';
import type { WitnessedLogStatus } from '../../src/services/tlog-witness.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';

const ORIGIN = 'example.com/log';
const BIG = 2n ** 63n + 7n; // above 2^53: a JS number would round it
const ROOT = new Uint8Array(32).fill(0xab);

function status(latest?: WitnessedLogStatus['latest']): WitnessedLogStatus {
  return { namespace: 'log.example', origin: ORIGIN, logVerifierKeys: ['k+01+AA'], ...(latest ? { latest } : {}) };
}

/** What the page gets: the route's JSON for a log, through the wire and the page's schema. */
function pageGets(json: Record<string, unknown>): WitnessedLogJson {
  const parsed = witnessedLogsSchema.parse(parseJson(stringifyJson({ logs: [json] })));
  return parsed.logs[0] as WitnessedLogJson;
}

describe('witnessedLogView', () => {
  it('a cosigned log: the descriptor label, origin, exact size, root, time, cosigners and the note link', () => {
    const json = witnessedLogToJson(status({ size: BIG, rootHash: ROOT, recordedAt: 1_700_000_000_123n }), {
      format: tlogFormat,
      cosignatures: 3,
    });
    const v = witnessedLogView(pageGets(json), 0n);
    expect(v).toEqual({
      namespace: 'log.example',
      origin: ORIGIN,
      formatId: 'tlog',
      label: tlogFormat.describe.label,
      state: 'ok',
      badge: `✓ Cosigned at size ${BIG}`,
      checkpointPath: `/${checkpointPath(ORIGIN)}`,
      cosigned: {
        size: '9223372036854775815',
        rootHash: Buffer.from(ROOT).toString('base64'),
        recordedAt: 1_700_000_000_123n,
      },
      cosignatures: '3 roster cosignatures',
      forks: null,
    });
  });

  it('one cosigner is singular; before the first checkpoint the card is idle and counts none yet', () => {
    const one = witnessedLogToJson(status({ size: 4n, rootHash: ROOT, recordedAt: 1n }), { cosignatures: 1 });
    expect(witnessedLogView(pageGets(one)).cosignatures).toBe('1 roster cosignature');
    const none = witnessedLogView(pageGets(witnessedLogToJson(status(), { format: tlogFormat, cosignatures: null })));
    expect(none).toMatchObject({ state: 'idle', cosigned: null, cosignatures: 'none yet', forks: null });
    expect(none.badge).toBe('… No checkpoint cosigned yet');
  });

  it('an older node without the new fields: says so, guesses no format and shows no zero', () => {
    const v = witnessedLogView(pageGets(witnessedLogToJson(status({ size: 4n, rootHash: ROOT, recordedAt: 1n }))));
    expect(v.formatId).toBeUndefined();
    expect(v.label).toBe('log format not reported');
    expect(v.cosignatures).toBe('not reported');
    // Proofs that could not be listed are not "none": no fork line, and no equivocated state either.
    expect(v.forks).toBeNull();
    expect(v.state).toBe('ok');
  });

  it('checkpoint equivocation proofs held for the origin make the card equivocated', () => {
    const json = witnessedLogToJson(status({ size: 4n, rootHash: ROOT, recordedAt: 1n }), { cosignatures: 2 });
    const v = witnessedLogView(pageGets(json), 2n);
    expect(v.state).toBe('equivocated');
    expect(v.badge).toBe('⚠ Equivocated');
    expect(v.forks).toBe('2 checkpoint equivocation proofs held');
    expect(witnessedLogView(pageGets(json), 1n).forks).toBe('1 checkpoint equivocation proof held');
  });

  it('only a path on this node becomes the checkpoint link', () => {
    const base = witnessedLogToJson(status(), {});
    for (const bad of ['//evil.example/x', 'javascript:alert(1)', 'https://evil.example/', '/\\evil', '/a b'])
      expect(witnessedLogView(pageGets({ ...base, checkpoint_path: bad })).checkpointPath, bad).toBeUndefined();
    expect(witnessedLogView(pageGets(base)).checkpointPath).toMatch(/^\/[0-9a-f]{64}\/checkpoint$/);
  });

  it('the page refuses a size that is not an exact integer (the schema, before any view)', () => {
    const json = stringifyJson({
      logs: [{ ...witnessedLogToJson(status(), {}), cosigned: { size: 1.5, root_hash: 'x', recorded_at: 1 } }],
    });
    expect(witnessedLogsSchema.safeParse(parseJson(json)).success).toBe(false);
  });
});
