// Builds Plexi's NamespaceInfo for a namespace (plexi_core/src/namespaces.rs, serde field order):
// name, log_directory, root, last_verified_epoch (omitted when unknown), status, reports_uri,
// audits_uri, signature_version, ciphersuite. Later layers add Chorus-only fields after these;
// the plexi client ignores unknown fields.
import { CIPHERSUITE_PROTOBUF_ED25519 } from '../plexi/signature-message.js';
import type { SigningStore } from '../store/signing-store.js';
import { toHex } from '../util/bytes.js';
import type { SigningService } from './signing-service.js';

export interface NamespaceExtras {
  /** Base URL of a proof directory clients can fetch `/{epoch}/{prev}/{cur}` from. */
  logDirectory?(ns: string): string | undefined;
  /** Last epoch whose append-only proof this node verified. */
  lastVerifiedEpoch?(ns: string): Promise<bigint | undefined>;
  /** Extra (Chorus-only) fields appended after Plexi's. */
  extraFields?(ns: string): Promise<Record<string, unknown>>;
}

export class NamespaceView {
  readonly #extras: NamespaceExtras[] = [];
  constructor(
    private readonly signingService: SigningService,
    private readonly store: SigningStore,
  ) {}

  extend(extras: NamespaceExtras): void {
    this.#extras.push(extras);
  }

  async info(ns: string): Promise<Record<string, unknown>> {
    this.signingService.namespaceConfig(ns); // 404 for unknown namespaces
    const state = await this.store.namespaceState(ns);
    let logDirectory: string | undefined;
    let lastVerified: bigint | undefined;
    const extra: Record<string, unknown> = {};
    for (const x of this.#extras) {
      logDirectory ??= x.logDirectory?.(ns);
      lastVerified ??= await x.lastVerifiedEpoch?.(ns);
      if (x.extraFields) Object.assign(extra, await x.extraFields(ns));
    }
    const out: Record<string, unknown> = {
      name: ns,
      log_directory: logDirectory ?? null,
      root: state?.root ? `${state.root.epoch}/${toHex(state.root.digest)}` : null,
    };
    if (lastVerified !== undefined) out.last_verified_epoch = lastVerified;
    out.status = this.signingService.effectiveStatus(ns, state?.status ?? 'Initialization');
    out.reports_uri = `/namespaces/${ns}/reports`;
    out.audits_uri = `/namespaces/${ns}/audits`;
    out.signature_version = CIPHERSUITE_PROTOBUF_ED25519;
    out.ciphersuite = CIPHERSUITE_PROTOBUF_ED25519;
    return { ...out, ...extra };
  }

  async all(): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (const ns of this.signingService.namespaceNames()) out.push(await this.info(ns));
    return out;
  }
}
