// The tlog witness wiring (docs/c2sp.md, "Chorus as a tlog witness"): the witness state store and the
// TlogWitness over the config's witnessed namespaces (log formats with `witnessedLog`, src/formats/tlog/),
// cosigning with the node's active key under its roster witness name.
import type { Logger } from 'pino';
import type { NodeConfig } from '../config/config.js';
import type { Roster } from '../consensus/roster.js';
import type { FormatRegistry } from '../formats/registry.js';
import type { Keyring } from '../services/signing-service.js';
import type { CheckpointService } from '../services/checkpoint-service.js';
import { reportLogFork } from '../services/log-fork.js';
import { TlogWitness, type WitnessedLogEntry } from '../services/tlog-witness.js';
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

/**
 * Each witnessed log must be in the roster as its namespace's `checkpoint_origin` with the same log keys
 * (`log_vkeys`): peers and monitors check the log's signatures with the roster alone.
 */
export function checkWitnessedLogs(roster: Roster, logs: readonly WitnessedLogEntry[]): void {
  for (const l of logs) {
    const ns = roster.namespace(l.namespace);
    const where = `roster namespace "${l.namespace}"`;
    if (ns?.checkpointOrigin !== l.origin)
      throw new ConfigError(
        'roster',
        `${where} must have checkpoint_origin ${JSON.stringify(l.origin)}, the origin this node witnesses`,
      );
    const same = (a: readonly string[], b: readonly string[]) => [...a].sort().join('\n') === [...b].sort().join('\n');
    if (!same(ns.logVerifierKeys ?? [], l.logVerifierKeys))
      throw new ConfigError('roster', `${where} must list the log keys (log_vkeys) of the node's config`);
  }
}

export interface WitnessContext {
  config: NodeConfig;
  formats: FormatRegistry;
  roster: Roster;
  keyring: Keyring;
  db: RootDb;
  /** Cosigns (stored, gossiped, served at the monitoring path) and turns forks into proofs. */
  checkpoints: CheckpointService;
  now: () => bigint;
  logger: Logger;
}

export function buildWitness(ctx: WitnessContext): { witness: TlogWitness; state: WitnessStateStore } {
  const logs = witnessedLogs(ctx.config, ctx.formats);
  checkWitnessedLogs(ctx.roster, logs);
  if (logs.length > 0 && ownWitnessName(ctx.roster, ctx.keyring) === undefined)
    throw new ConfigError(
      'roster',
      "a node that witnesses tlog namespaces needs a witness name: set the roster auditor's witness_name " +
        '(its name is not a valid note key name)',
    );
  const state = new WitnessStateStore(ctx.db);
  const witness = new TlogWitness({
    logs,
    state,
    cosign: async (body, logSignatures) => [(await ctx.checkpoints.cosignAndPublish(body, logSignatures)).cosignature],
    now: ctx.now,
    logger: ctx.logger,
    onFork: async (note, namespace) => {
      const proofs = await reportLogFork(ctx.checkpoints, note, namespace);
      ctx.logger.info({ event: 'log-fork-proofs', namespace, proofs: proofs.map((p) => p.id) }, 'log fork evidence');
    },
  });
  return { witness, state };
}
