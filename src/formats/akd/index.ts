// AKD (facebook/akd, WhatsApp and Messenger Key Transparency) as a log format (docs/log-formats.md):
// the namespace's tree configuration, akd's audit blob names, and verification in the worker pool
// of src/akd-runtime (docs/akd.md, "Node pipeline").
import { z } from 'zod';
import { formatBlobName, parseBlobName } from '../../akd/blob-name.js';
import type { AkdConfiguration } from '../../akd/configuration.js';
import { akdVerificationBytes } from '../../akd-runtime/memory-estimate.js';
import { AkdVerifyPool } from '../../akd-runtime/verify-pool.js';
import type {
  FormatSettings,
  EpochLogFormat,
  ProofName,
  ProofNaming,
  ProofTransition,
  ProofVerdict,
  ProofVerifier,
  VerifierOptions,
} from '../log-format.js';
import { verifyProofFile } from './verify-proof-file.js';

export const AKD_FORMAT_ID = 'akd';

/** The AKD fields of a namespace (README "Configuration"). */
export const akdSettingsSchema = z.object({
  configuration: z.enum(['whatsapp_v1', 'experimental']).default('whatsapp_v1'),
  domain_label: z.string().min(1).nullish(),
});

/** The tree configuration a namespace's settings name. */
export function akdConfigurationOf(settings: FormatSettings): AkdConfiguration {
  const s = akdSettingsSchema.parse(settings);
  if (s.configuration === 'whatsapp_v1') return { name: 'whatsapp_v1' };
  return { name: 'experimental', ...(s.domain_label ? { domainLabel: s.domain_label } : {}) };
}

/** akd's `AuditBlobName`: "{epoch}/{previous_hex}/{current_hex}" (src/akd/blob-name.ts). */
export const akdProofNames: ProofNaming = {
  format: (n: ProofName) => formatBlobName({ epoch: n.epoch, previousHash: n.previous, currentHash: n.current }),
  parse: (text: string) => {
    const b = parseBlobName(text);
    return { epoch: b.epoch, previous: b.previousHash, current: b.currentHash };
  },
};

class AkdProofVerifier implements ProofVerifier {
  readonly #pool: AkdVerifyPool;

  constructor(options: VerifierOptions) {
    this.#pool = new AkdVerifyPool({ size: options.workers });
  }

  async verify(proofFile: string, t: ProofTransition): Promise<ProofVerdict> {
    const configuration = akdConfigurationOf(t.settings);
    const job = { path: proofFile, previous: t.previous, current: t.current, endEpoch: t.epoch, configuration };
    const outcome = await verifyProofFile(this.#pool, job);
    return {
      ok: outcome.ok,
      // Spread: the typed AKD failure becomes the plain data the store and the API carry.
      ...(outcome.failure ? { failure: { ...outcome.failure } } : {}),
      inserted: outcome.inserted,
      unchanged: outcome.unchanged,
      totalMs: outcome.totalMs,
    };
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

export const akdFormat: EpochLogFormat = {
  id: AKD_FORMAT_ID,
  settings: akdSettingsSchema,
  checkSettings: (settings) => {
    // zod runs this refinement even when a field failed its own schema: those are reported already.
    const parsed = akdSettingsSchema.safeParse(settings);
    if (!parsed.success) return [];
    const s = parsed.data;
    if (s.configuration === 'experimental' && !s.domain_label) {
      return [{ field: 'domain_label', message: 'the experimental configuration needs a domain label' }];
    }
    return [];
  },
  proofNames: akdProofNames,
  createVerifier: (options) => new AkdProofVerifier(options),
  describe: {
    label: 'AKD',
    proofLabel: 'append-only proof',
    entryCounts: { inserted: 'leaves inserted', unchanged: 'unchanged subtrees' },
  },
  verificationMemoryBytes: akdVerificationBytes,
};
