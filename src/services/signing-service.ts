// The signing service: turns a log's submission into a Plexi signature under the chain rules,
// and answers the Plexi read API. Owns no I/O of its own beyond the store.
import { EventEmitter } from 'node:events';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { SigningKey } from '../crypto/ed25519.js';
import type { NamespaceStatus, Submission } from '../consensus/chain-rules.js';
import { CIPHERSUITE_PROTOBUF_ED25519, keyId, signedBytes } from '../plexi/signature-message.js';
import type { SignatureResponse } from '../plexi/signature-response.js';
import { SigningHaltedError, type SigningStore } from '../store/signing-store.js';
import type { SignedEpoch } from '../store/records.js';
import { bytesEqual, toHex } from '../util/bytes.js';
import { ConfigError } from '../util/errors.js';
import type { NamespaceConfig } from '../config/config.js';
import {
  NotAuthenticatedError,
  SigningUnavailableError,
  SubmissionRefusedError,
  UnknownNamespaceError,
} from './errors.js';

export interface SigningServiceEvents {
  signed: [record: SignedEpoch, info: { becameRoot: boolean }];
  conflict: [info: { namespace: string; epoch: bigint; signedDigest: string; submittedDigest: string }];
}

/** The node's signing keys (several during a rotation); the newest one in force signs. */
export class Keyring {
  readonly #keys: { key: SigningKey; notBefore: bigint }[];
  constructor(keys: { key: SigningKey; notBefore: bigint }[]) {
    if (keys.length === 0) throw new ConfigError('keys', 'at least one signing key is required');
    this.#keys = [...keys].sort((a, b) => (a.notBefore < b.notBefore ? -1 : a.notBefore > b.notBefore ? 1 : 0));
  }
  /** The key with the latest not_before at or before `now` (the oldest key if all are future). */
  active(now: bigint): SigningKey {
    let chosen = this.#keys[0] as { key: SigningKey };
    for (const k of this.#keys) if (k.notBefore <= now) chosen = k;
    return chosen.key;
  }
  infos(): { publicKey: Uint8Array; notBefore: bigint }[] {
    return this.#keys.map((k) => ({ publicKey: k.key.publicKey, notBefore: k.notBefore }));
  }
}

export function signatureResponseFromRecord(r: SignedEpoch): SignatureResponse {
  const message = {
    ciphersuite: r.ciphersuite,
    namespace: r.namespace,
    timestamp: r.timestamp,
    epoch: r.epoch,
    digest: r.digest,
  };
  return { ...message, signature: r.signature, keyId: keyId(r.publicKey), serializedMessage: signedBytes(message) };
}

export class SigningService extends EventEmitter<SigningServiceEvents> {
  readonly #namespaces = new Map<string, NamespaceConfig>();

  constructor(
    private readonly store: SigningStore,
    readonly keyring: Keyring,
    namespaces: NamespaceConfig[],
    private readonly now: () => bigint,
  ) {
    super();
    for (const ns of namespaces) this.#namespaces.set(ns.name, ns);
  }

  namespaceNames(): string[] {
    return [...this.#namespaces.keys()];
  }

  namespaceConfig(ns: string): NamespaceConfig {
    const cfg = this.#namespaces.get(ns);
    if (!cfg) throw new UnknownNamespaceError(ns);
    return cfg;
  }

  /**
   * Prepares every configured namespace: creates its state, refuses a configured root that
   * contradicts what was already signed, and signs a configured root that is not signed yet
   * (the root is the operator's trust anchor; clients such as `plexi audit` fetch its signature
   * when they check the epoch after it).
   */
  async start(): Promise<void> {
    for (const [i, cfg] of [...this.#namespaces.values()].entries()) {
      const state = await this.store.ensureNamespace(cfg.name);
      if (!cfg.root) continue;
      if (state.root) {
        if (state.root.epoch !== cfg.root.epoch || !bytesEqual(state.root.digest, cfg.root.digest)) {
          throw new ConfigError(
            `namespaces.${i}.root`,
            `configured root ${cfg.root.epoch}/${toHex(cfg.root.digest)} differs from the root already signed ` +
              `(${state.root.epoch}/${toHex(state.root.digest)}); a namespace's root cannot change once signed`,
          );
        }
        continue;
      }
      if (cfg.status === 'Disabled') continue;
      // A namespace refused at start (store behind its journal) signs nothing, its root neither;
      // the node still starts, to serve what it has and say why (readyz, namespace info).
      if (this.store.haltReasonFor(cfg.name) !== undefined) continue;
      await this.submit(cfg.name, { epoch: cfg.root.epoch, digest: cfg.root.digest });
    }
  }

  /** Checks the bearer token of a submission against the namespace's stored SHA-256. */
  authorize(ns: string, authorization: string | undefined): void {
    const cfg = this.namespaceConfig(ns);
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(authorization ?? '');
    if (!m) throw new NotAuthenticatedError('a bearer token is required to submit epochs to this namespace');
    const presented = createHash('sha256')
      .update(m[1] as string)
      .digest();
    if (!timingSafeEqual(presented, cfg.tokenSha256))
      throw new NotAuthenticatedError('the bearer token is not valid for this namespace');
  }

  effectiveStatus(ns: string, stored: NamespaceStatus): NamespaceStatus {
    return this.namespaceConfig(ns).status === 'Disabled' ? 'Disabled' : stored;
  }

  /** Submit an epoch; returns the (new or identical, previously stored) signature. */
  async submit(ns: string, submission: Submission): Promise<SignatureResponse> {
    const cfg = this.namespaceConfig(ns);
    const status = cfg.status === 'Disabled' ? 'Disabled' : undefined;
    let result;
    try {
      result = await this.store.checkAndSign(ns, status, submission, (namespace, epoch, digest) => {
        const timestamp = this.now();
        const key = this.keyring.active(timestamp);
        const message = { ciphersuite: CIPHERSUITE_PROTOBUF_ED25519, namespace, timestamp, epoch, digest };
        return { ...message, signature: key.sign(signedBytes(message)), publicKey: key.publicKey };
      });
    } catch (err) {
      // The write of this very signature failed: it is not returned, and signing is halted.
      if (err instanceof SigningHaltedError) throw new SigningUnavailableError(err.message);
      throw err;
    }
    switch (result.kind) {
      case 'signed':
        this.emit('signed', result.record, { becameRoot: result.becameRoot });
        return signatureResponseFromRecord(result.record);
      case 'replayed':
        return signatureResponseFromRecord(result.record);
      case 'rejected': {
        const d = result.decision;
        if (d.conflict) {
          this.emit('conflict', {
            namespace: ns,
            epoch: submission.epoch,
            signedDigest: String(d.details.signed_digest),
            submittedDigest: String(d.details.submitted_digest),
          });
        }
        if (d.code === 'signing-halted') throw new SigningUnavailableError(d.message, d.details);
        throw new SubmissionRefusedError(d.code, d.message, d.details);
      }
    }
  }

  async signature(ns: string, epoch: bigint): Promise<SignatureResponse | undefined> {
    this.namespaceConfig(ns);
    const r = await this.store.signedEpoch(ns, epoch);
    return r ? signatureResponseFromRecord(r) : undefined;
  }
}
