// The tlog witness wiring (docs/c2sp.md, "Chorus as a tlog witness"): the witness state store and the
// TlogWitness over the config's witnessed namespaces (log formats with `witnessedLog`, src/formats/tlog/),
// cosigning with the node's active key under its roster witness name.
import type { Logger } from 'pino';
import { cosigner } from '../c2sp/cosignature.js';
import type { NodeConfig } from '../config/config.js';
import type { Roster } from '../consensus/roster.js';
import type { FormatRegistry } from '../formats/registry.js';
import type { Keyring } from '../services/signing-service.js';
import { TlogWitness, type CheckpointCosigner, type WitnessedLogEntry } from '../services/tlog-witness.js';
import type { RootDb } from '../store/database.js';
import { WitnessStateStore } from '../store/witness-state-store.js';
import { ConfigError } from '../util/errors.js';

/** The logs the config's witnessed namespaces name, each with its namespace. */
export function witnessedLogs(config: NodeConfig, formats: FormatRegistry): WitnessedLogEntry[] {
  return (config.witnessedNamespaces ?? []).flatMap((ns) => {
    const log = formats.get(ns.logFormat).witnessedLog?.(ns.formatSettings);
    return log ? [{ namespace: ns.name, ...log }] : [];
  });
}

/** The roster witness name of this node's key (docs/c2sp.md, "Chorus nodes as cosigners"). */
export function ownWitnessName(roster: Roster, keyring: Keyring): string | undefined {
  for (const k of keyring.infos()) {
    const a = roster.auditorByKey(k.publicKey);
    if (a) return a.witnessName;
  }
  return undefined;
}

export interface WitnessContext {
  config: NodeConfig;
  formats: FormatRegistry;
  roster: Roster;
  keyring: Keyring;
  db: RootDb;
  now: () => bigint;
  logger: Logger;
  /** How a recorded checkpoint is cosigned; default: the active key, here, nothing stored or gossiped. */
  cosign?: CheckpointCosigner;
  onFork?: (logSignedNote: string) => Promise<void>;
}

export function buildWitness(ctx: WitnessContext): { witness: TlogWitness; state: WitnessStateStore } {
  const logs = witnessedLogs(ctx.config, ctx.formats);
  const name = ownWitnessName(ctx.roster, ctx.keyring);
  if (logs.length > 0 && name === undefined)
    throw new ConfigError(
      'roster',
      "a node that witnesses tlog namespaces needs a witness name: set the roster auditor's witness_name " +
        '(its name is not a valid note key name)',
    );
  const cosign: CheckpointCosigner =
    ctx.cosign ??
    (async (body) => {
      const nowMs = ctx.now();
      // A cosignature's timestamp is POSIX seconds and never 0 (c2sp.org/tlog-witness).
      const seconds = nowMs / 1000n > 0n ? nowMs / 1000n : 1n;
      return [cosigner(name as string, ctx.keyring.active(nowMs)).cosign(body, seconds)];
    });
  const state = new WitnessStateStore(ctx.db);
  const witness = new TlogWitness({
    logs,
    state,
    cosign,
    now: ctx.now,
    logger: ctx.logger,
    ...(ctx.onFork ? { onFork: ctx.onFork } : {}),
  });
  return { witness, state };
}
