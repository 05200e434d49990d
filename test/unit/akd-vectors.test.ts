// Every verdict of both shared vector sets (akd-made proofs with akd's verdicts, and the
// independent model's), with akd 0.13's rule for akd#495.
import { describe, expect, it } from 'vitest';
import { AkdDecodeError, AkdLabelConflictError, AkdRootMismatchError } from '../../src/akd/errors.js';
import { verifyAuditBlob } from '../../src/akd/verifier.js';
import {
  AKD_MODEL_VECTORS,
  AKD_VECTORS,
  configurationOf,
  loadIndex,
  loadProof,
  type VectorCase,
} from './akd-fixtures.js';

/** ('inserted', 180) / inserted[1000] / unchanged[33] in the index's class495_detail. */
function namedElements(detail: string): string[] {
  const out: string[] = [];
  for (const m of detail.matchAll(/\('(inserted|unchanged)', (\d+)\)|(inserted|unchanged)\[(\d+)\]/g)) {
    const list = (m[1] ?? m[3]) === 'inserted' ? 'inserted' : 'unchanged_nodes';
    out.push(`${list}[${m[2] ?? m[4]}]`);
  }
  return out.sort();
}

function checkCase(dir: string, c: VectorCase): void {
  const result = verifyAuditBlob(loadProof(dir, c), c.blob_name, configurationOf(c));
  expect(result.ok ? 'ok' : 'error', result.ok ? c.name : `${c.name}: ${result.error.message}`).toBe(c.expected);
  if (result.ok) {
    expect(result.inserted).toBe(c.inserted_count);
    expect(result.unchanged).toBe(c.unchanged_count);
    return;
  }
  const error = result.error;
  if (c.class495 === true || c.name.startsWith('bypass495')) {
    // akd 0.13: the conflict itself is the reason, and the error names both elements.
    expect(error).toBeInstanceOf(AkdLabelConflictError);
    const conflict = error as AkdLabelConflictError;
    expect(conflict.second).not.toBeNull();
    const named = [conflict.first, conflict.second].map((r) => `${r?.list}[${r?.index}]`).sort();
    if (c.class495_detail !== undefined) expect(named).toEqual(namedElements(c.class495_detail));
    for (const ref of [conflict.first, conflict.second]) {
      expect(error.message).toContain(`${ref?.list}[${ref?.index}]`);
      expect(error.message).toContain(ref?.label);
    }
    return;
  }
  if (c.akd_stage?.startsWith('protobuf decode') === true) {
    expect(error).toBeInstanceOf(AkdDecodeError);
    const akdMessage = c.akd_reason ?? '';
    if (akdMessage.startsWith('truncated')) {
      expect((error as AkdDecodeError).reason).toBe('truncated');
    } else {
      // akd_core's converter messages, e.g. "Label value is too long: 33".
      expect(error.message).toContain(akdMessage);
    }
    return;
  }
  if (c.failed_root !== undefined) {
    expect(error).toBeInstanceOf(AkdRootMismatchError);
    const mismatch = error as AkdRootMismatchError;
    expect(mismatch.root).toBe(c.failed_root.startsWith('start') ? 'start' : 'end');
    // akd's own message names the root it computed: ours must be the same digest.
    const computed = /computed root hash ([0-9a-f]{64})/.exec(c.akd_reason ?? '')?.[1];
    expect(computed).toBeDefined();
    expect(mismatch.computed).toBe(computed);
    expect(mismatch.expected).toBe(mismatch.root === 'start' ? c.previous_hash : c.current_hash);
  }
}

describe('akd-vectors (proofs made and judged by facebook/akd)', () => {
  const cases = loadIndex(AKD_VECTORS);
  it('has the cases its README describes', () => {
    expect(cases.length).toBe(44);
    expect(
      cases
        .filter((c) => c.class495 === true && c.akd_0_12_verdict === 'ok')
        .map((c) => c.name)
        .sort(),
    ).toEqual(['bypass495-leaf-under-unchanged-node-akd-root', 'bypass495-shadow-leaf-akd-root']);
  });
  for (const c of cases) {
    it(`${c.name}: ${c.expected}`, () => checkCase(AKD_VECTORS, c));
  }
});

describe('akd-vectors-model (independent model checked against akd fixtures)', () => {
  const cases = loadIndex(AKD_MODEL_VECTORS);
  it('has every case', () => {
    expect(cases.length).toBe(26);
  });
  for (const c of cases) {
    it(`${c.name}: ${c.expected}`, () => {
      checkCase(AKD_MODEL_VECTORS, c);
      const result = verifyAuditBlob(loadProof(AKD_MODEL_VECTORS, c), c.blob_name, configurationOf(c));
      if (result.ok) return;
      // The model index has no stage: malformed blobs fail decoding, the rest a root.
      if (c.name === 'bad-truncated' || c.name === 'bad-label-len-257') {
        expect(result.error).toBeInstanceOf(AkdDecodeError);
      } else if (!c.name.startsWith('bypass495') && c.name !== 'mut-duplicate-inserted') {
        expect(result.error).toBeInstanceOf(AkdRootMismatchError);
      }
    });
  }
});
