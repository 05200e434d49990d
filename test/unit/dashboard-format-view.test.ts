// The dashboard's pure view of a namespace's log format (src/api/dashboard/format-view.ts): every
// word comes from the node's namespace JSON (the format's descriptor), entry counts appear only for
// a format that has them, and an older node that reports no format is not taken for AKD.
import { describe, expect, it } from 'vitest';
import { namespaceInfoSchema, type NamespaceInfo } from '../../src/api/dashboard/api.js';
import { formatView, proofOf } from '../../src/api/dashboard/format-view.js';
import { logFormatFields } from '../../src/api/namespace-info.js';
import { akdFormat } from '../../src/formats/akd/index.js';
import { parseJson, stringifyJson } from '../../src/util/json.js';
import { toyFormat } from '../support/toy-format/index.js';
import type { LogFormat } from '../../src/formats/log-format.js';

const base = { name: 'ns.example', status: 'Online' };

/** What the page gets: the node's fields for `format`, through JSON and the page's own schema. */
function infoFor(format: LogFormat, last?: { epoch: bigint; inserted: number; unchanged: number }): NamespaceInfo {
  const json = stringifyJson({ ...base, ...logFormatFields(format, last) });
  return namespaceInfoSchema.parse(parseJson(json));
}

describe('formatView', () => {
  it("AKD: its label, its proof label and the last verified proof's counts in its own words", () => {
    const v = formatView(infoFor(akdFormat, { epoch: 2n ** 63n + 1n, inserted: 20, unchanged: 231 }));
    expect(v).toEqual({
      id: 'akd',
      label: 'AKD',
      proofLabel: 'append-only proof',
      entries: { epoch: 2n ** 63n + 1n, text: '20 leaves inserted, 231 unchanged subtrees' },
    });
    expect(proofOf(v, 5n)).toBe('the append-only proof of epoch 5');
  });

  it('AKD before any verified proof: counts are known to exist but there are none yet (null, not zeros)', () => {
    expect(formatView(infoFor(akdFormat)).entries).toBeNull();
  });

  it('a format without entry counts: its own labels and no counts at all, even when a verdict had some', () => {
    const v = formatView(infoFor(toyFormat, { epoch: 3n, inserted: 2, unchanged: 0 }));
    expect(v).toEqual({ id: 'toy-json', label: 'Toy JSON log', proofLabel: 'toy proof', entries: undefined });
    expect(proofOf(v, 3n)).toBe('the toy proof of epoch 3');
    expect(JSON.stringify(v)).not.toMatch(/AKD|append-only|inserted|unchanged/);
  });

  it('a node that reports no format: says so and guesses none', () => {
    const v = formatView(namespaceInfoSchema.parse(base));
    expect(v.id).toBeUndefined();
    expect(v.label).toBe('log format not reported');
    expect(v.proofLabel).toBe('proof');
    expect(v.entries).toBeUndefined();
  });
});

describe('logFormatFields (the API side)', () => {
  it('takes every word from the descriptor; last_verified_entries only where the format counts entries', () => {
    expect(logFormatFields(akdFormat, undefined)).toEqual({
      log_format: 'akd',
      log_format_label: 'AKD',
      proof_label: 'append-only proof',
      last_verified_entries: null,
    });
    expect(logFormatFields(akdFormat, { epoch: 4n, inserted: 1, unchanged: 2 }).last_verified_entries).toEqual({
      epoch: 4n,
      inserted: 1,
      unchanged: 2,
      inserted_label: 'leaves inserted',
      unchanged_label: 'unchanged subtrees',
    });
    const toy = logFormatFields(toyFormat, { epoch: 4n, inserted: 2, unchanged: 0 });
    expect(toy).toEqual({ log_format: 'toy-json', log_format_label: 'Toy JSON log', proof_label: 'toy proof' });
    expect('last_verified_entries' in toy).toBe(false);
  });
});
