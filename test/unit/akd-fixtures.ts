// Shared helpers for the AKD tests: the copied vector folders and their index.json entries.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AkdConfiguration } from '../../src/akd/configuration.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const AKD_VECTORS = join(FIXTURES, 'akd-vectors');
export const AKD_MODEL_VECTORS = join(FIXTURES, 'akd-vectors-model');

export interface VectorCase {
  name: string;
  config: 'whatsapp_v1' | 'experimental';
  epoch: number;
  previous_hash: string;
  current_hash: string;
  blob_name: string;
  proof_file: string;
  inserted_count: number;
  unchanged_count: number;
  expected: 'ok' | 'error';
  note: string;
  akd_reason?: string;
  akd_stage?: string;
  failed_root?: string;
  class495?: boolean;
  class495_detail?: string;
  akd_0_12_verdict?: 'ok' | 'error';
}

export function loadIndex(dir: string): VectorCase[] {
  return JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as VectorCase[];
}

export function loadProof(dir: string, c: VectorCase): Uint8Array {
  return new Uint8Array(readFileSync(join(dir, c.proof_file)));
}

/** The configuration a case names; experimental vectors use akd's ExampleLabel. */
export function configurationOf(c: VectorCase): AkdConfiguration {
  return c.config === 'experimental' ? { name: 'experimental', domainLabel: 'ExampleLabel' } : { name: 'whatsapp_v1' };
}
