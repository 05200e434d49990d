// The roster (docs/protocol.md §5): the network's membership and the namespaces it audits. JSON, validated
// with zod; errors name the field. Monitors and clients need only this file.
import { z } from 'zod';
import { formatVerifierKey, keyNameProblem, SIG_TYPE_COSIGNATURE_V1 } from '../c2sp/signed-note.js';
import { ed25519NoteVerifier, type NoteVerifier } from '../c2sp/signed-note.js';
import { controlCharIndex } from '../c2sp/text.js';
import { fromHex, toHex } from '../util/bytes.js';
import { ConfigError } from '../util/errors.js';
import { U64_MAX } from '../util/u64.js';

const hexKey = z.string().regex(/^[0-9a-fA-F]{64}$/, { error: 'must be a 32-byte Ed25519 public key in hex' });
const u64 = z.bigint().min(0n).max(U64_MAX);

const keyEntry = z.object({ public_key: hexKey, not_before: u64.optional() }).strict();

const auditorSchema = z
  .object({
    name: z.string().min(1).max(128),
    // Several keys during a rotation; `public_key` alone is accepted for one key.
    public_key: hexKey.optional(),
    keys: z.array(keyEntry).optional(),
    peer_id: z.string().min(1).optional(),
    addresses: z.array(z.string().min(1)).default([]),
    plexi_url: z.url().optional(),
    // The auditor's name as a C2SP witness (docs/c2sp.md, "Chorus nodes as cosigners").
    witness_name: z.string().min(1).max(128).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const problem = a.witness_name === undefined ? null : keyNameProblem(a.witness_name);
    if (problem) ctx.addIssue({ code: 'custom', path: ['witness_name'], message: problem });
    if (!a.public_key && !(a.keys && a.keys.length))
      ctx.addIssue({ code: 'custom', path: ['keys'], message: 'an auditor needs public_key or keys' });
    if (a.plexi_url && a.peer_id)
      ctx.addIssue({
        code: 'custom',
        path: ['plexi_url'],
        message: 'an auditor is either a Chorus peer (peer_id) or an external Plexi auditor (plexi_url), not both',
      });
  });

const namespaceSchema = z
  .object({
    name: z.string().min(1).max(128),
    configuration: z.enum(['whatsapp_v1', 'experimental']).default('whatsapp_v1'),
    domain_label: z.string().min(1).optional(),
    root: z
      .string()
      .regex(/^(0|[1-9][0-9]{0,19})\/[0-9a-fA-F]{64}$/)
      .optional(),
    log_key: hexKey.optional(),
    proof_directory: z.string().min(1).optional(),
    // The origin line of this namespace's C2SP checkpoints (docs/c2sp.md, "Checkpoints in the network").
    checkpoint_origin: z.string().min(1).max(256).optional(),
  })
  .strict()
  .superRefine((n, ctx) => {
    const problem = n.checkpoint_origin === undefined ? null : checkpointOriginProblem(n.checkpoint_origin);
    if (problem) ctx.addIssue({ code: 'custom', path: ['checkpoint_origin'], message: problem });
  });

/** A checkpoint origin is one non-empty line without control characters (c2sp.org/tlog-checkpoint). */
export function checkpointOriginProblem(origin: string): string | null {
  if (origin.length === 0) return 'checkpoint origin is empty';
  if (controlCharIndex(origin) >= 0 || origin.includes('\n')) return 'checkpoint origin contains a control character';
  return null;
}

const rosterSchema = z
  .object({
    network: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'letters, digits, ".", "_" and "-" only (1-64)' }),
    threshold: z.bigint().min(1n).max(1000n).transform(Number),
    auditors: z.array(auditorSchema).default([]),
    namespaces: z.array(namespaceSchema).default([]),
  })
  .strict()
  .superRefine((r, ctx) => {
    const names = new Set<string>();
    const keys = new Map<string, string>();
    const peers = new Map<string, string>();
    r.auditors.forEach((a, i) => {
      if (names.has(a.name))
        ctx.addIssue({ code: 'custom', path: ['auditors', i, 'name'], message: `duplicate auditor "${a.name}"` });
      names.add(a.name);
      // One peer id under two names would let one libp2p identity speak (and be scored) as two
      // organisations; it is always a copy-paste mistake or an attempt to count twice.
      if (a.peer_id !== undefined) {
        const prev = peers.get(a.peer_id);
        if (prev !== undefined && prev !== a.name)
          ctx.addIssue({
            code: 'custom',
            path: ['auditors', i, 'peer_id'],
            message: `peer id ${a.peer_id} is already listed for "${prev}"`,
          });
        peers.set(a.peer_id, a.name);
      }
      for (const k of [a.public_key, ...(a.keys ?? []).map((e) => e.public_key)]) {
        if (!k) continue;
        const prev = keys.get(k.toLowerCase());
        if (prev && prev !== a.name)
          ctx.addIssue({ code: 'custom', path: ['auditors', i], message: `key ${k} is already listed for "${prev}"` });
        keys.set(k.toLowerCase(), a.name);
      }
    });
    const ns = new Set<string>();
    r.namespaces.forEach((n, i) => {
      if (ns.has(n.name))
        ctx.addIssue({ code: 'custom', path: ['namespaces', i, 'name'], message: `duplicate namespace "${n.name}"` });
      ns.add(n.name);
    });
    const origins = new Map<string, string>();
    r.namespaces.forEach((n, i) => {
      if (n.checkpoint_origin === undefined) return;
      const prev = origins.get(n.checkpoint_origin);
      if (prev !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['namespaces', i, 'checkpoint_origin'],
          message: `checkpoint origin "${n.checkpoint_origin}" is already the origin of namespace "${prev}"`,
        });
      origins.set(n.checkpoint_origin, n.name);
    });
  });

export type RosterJson = z.input<typeof rosterSchema>;

export interface RosterAuditor {
  name: string;
  keys: { publicKey: Uint8Array; notBefore: bigint }[];
  peerId?: string;
  addresses: string[];
  plexiUrl?: string;
  /**
   * The name under which this auditor's keys sign C2SP `cosignature/v1` (docs/c2sp.md, "Chorus
   * nodes as cosigners"): `witness_name`, else the auditor's name when it is a valid note key name.
   * Undefined: the auditor cannot cosign checkpoints.
   */
  witnessName?: string;
}

export interface RosterNamespace {
  name: string;
  configuration: 'whatsapp_v1' | 'experimental';
  domainLabel?: string;
  root?: string;
  logKey?: Uint8Array;
  proofDirectory?: string;
  /** The origin line of the namespace's C2SP checkpoints (roster `checkpoint_origin`). */
  checkpointOrigin?: string;
  /** Type-0x01 vkeys of the log's checkpoint signing keys (RFC 6962 logs; AKD checkpoints carry none). */
  logVerifierKeys?: string[];
}

/** What the roster says about one checkpoint origin (docs/c2sp.md, "Checkpoints in the network"). */
export interface OriginFacts {
  namespace: string;
  /** The log's note verifiers: when non-empty, a checkpoint needs a valid signature by one of them. */
  logVerifiers: NoteVerifier[];
}

export type SignerRole = { kind: 'auditor'; auditor: RosterAuditor } | { kind: 'log'; namespace: string };

/**
 * How long a retired key may still sign after its successor's `not_before` (ms). A node picks
 * up a rotation (`chorus key rotate`) when it restarts; one restarted a little late keeps signing
 * with the old key for that while. See docs/design-decisions.md ("Key validity windows").
 */
export const KEY_RETIREMENT_GRACE_MS = 3_600_000n;

/** Whether a key may sign a statement with a given timestamp. */
export type KeyStatus = 'valid' | 'not-yet-valid' | 'retired';

/**
 * The validity window of one of an auditor's keys, a pure rule: a key is valid for timestamps
 * from its `not_before` up to (excluding) the next larger `not_before` among the auditor's keys
 * plus the grace. Statements timestamped inside the window stay valid forever: retiring a key
 * stops it from signing new statements, it does not void what it signed.
 */
export function keyStatusAt(
  keys: readonly { publicKey: Uint8Array; notBefore: bigint }[],
  key: Uint8Array,
  timestampMs: bigint,
  graceMs = KEY_RETIREMENT_GRACE_MS,
): KeyStatus | undefined {
  const hex = toHex(key);
  const own = keys.find((k) => toHex(k.publicKey) === hex);
  if (!own) return undefined;
  if (timestampMs < own.notBefore) return 'not-yet-valid';
  let next: bigint | undefined;
  for (const k of keys)
    if (k.notBefore > own.notBefore && (next === undefined || k.notBefore < next)) next = k.notBefore;
  if (next !== undefined && timestampMs >= next + graceMs) return 'retired';
  return 'valid';
}

export class Roster {
  /** The roster document this was built from (served to clients as published). */
  source: unknown;
  readonly #byKey = new Map<string, RosterAuditor>();
  readonly #namespaces = new Map<string, RosterNamespace>();

  constructor(
    readonly network: string,
    readonly threshold: number,
    readonly auditors: RosterAuditor[],
    namespaces: RosterNamespace[],
  ) {
    for (const a of auditors) for (const k of a.keys) this.#byKey.set(toHex(k.publicKey), a);
    for (const n of namespaces) this.#namespaces.set(n.name, n);
  }

  get namespaces(): RosterNamespace[] {
    return [...this.#namespaces.values()];
  }

  namespace(name: string): RosterNamespace | undefined {
    return this.#namespaces.get(name);
  }

  auditorByKey(key: Uint8Array): RosterAuditor | undefined {
    return this.#byKey.get(toHex(key));
  }

  /** Who a key speaks for in a namespace: a roster auditor, the namespace's log, or nobody. */
  signerRole(namespace: string, key: Uint8Array): SignerRole | undefined {
    const a = this.auditorByKey(key);
    if (a) return { kind: 'auditor', auditor: a };
    const ns = this.#namespaces.get(namespace);
    if (ns?.logKey && toHex(ns.logKey) === toHex(key)) return { kind: 'log', namespace };
    return undefined;
  }

  /**
   * Whether a signer's key may sign at `timestampMs`: roster auditors' keys have validity windows
   * (`keyStatusAt`); a namespace's log key has none. Undefined for a key the roster does not know.
   */
  keyStatus(namespace: string, key: Uint8Array, timestampMs: bigint): KeyStatus | undefined {
    const role = this.signerRole(namespace, key);
    if (!role) return undefined;
    return role.kind === 'auditor' ? keyStatusAt(role.auditor.keys, key, timestampMs) : 'valid';
  }

  /** Who is behind a key: the auditor's name (all its keys), `log:NS` for a log, undefined if unknown. */
  signerName(namespace: string, key: Uint8Array): string | undefined {
    const role = this.signerRole(namespace, key);
    if (!role) return undefined;
    return role.kind === 'auditor' ? role.auditor.name : `log:${namespace}`;
  }

  /** The roster's facts about a checkpoint origin; undefined for an origin no namespace names. */
  originFacts(origin: string): OriginFacts | undefined {
    for (const n of this.#namespaces.values()) {
      if (n.checkpointOrigin !== origin) continue;
      return { namespace: n.name, logVerifiers: (n.logVerifierKeys ?? []).map((k) => ed25519NoteVerifier(k)) };
    }
    return undefined;
  }

  /**
   * Every roster auditor key as a C2SP `cosignature/v1` verifier key (type 0x04) under the auditor's
   * witness name, for checking cosigned checkpoints (docs/c2sp.md, "Chorus nodes as cosigners").
   */
  witnessVerifierKeys(): { auditor: RosterAuditor; vkey: string }[] {
    const out: { auditor: RosterAuditor; vkey: string }[] = [];
    for (const a of this.auditors) {
      if (a.witnessName === undefined) continue;
      for (const k of a.keys)
        out.push({ auditor: a, vkey: formatVerifierKey(a.witnessName, SIG_TYPE_COSIGNATURE_V1, k.publicKey) });
    }
    return out;
  }

  /**
   * Validates and builds a roster. `draft` accepts a threshold above the number of auditors: a
   * roster is built one `chorus roster add` at a time, but a node or monitor refuses to run on
   * one, since no epoch could ever reach its quorum.
   */
  static fromJson(value: unknown, opts: { draft?: boolean } = {}): Roster {
    const parsed = rosterSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0] as z.core.$ZodIssue;
      throw new ConfigError(`roster.${issue.path.join('.')}`, issue.message);
    }
    const r = parsed.data;
    if (!opts.draft && r.threshold > r.auditors.length) {
      throw new ConfigError(
        'roster.threshold',
        `threshold ${r.threshold} is greater than the number of auditors (${r.auditors.length}): no epoch could ` +
          `reach a quorum`,
      );
    }
    const roster = new Roster(
      r.network,
      r.threshold,
      r.auditors.map((a) => {
        const keys = [...(a.public_key ? [{ public_key: a.public_key, not_before: 0n }] : []), ...(a.keys ?? [])].map(
          (k) => ({
            publicKey: fromHex(k.public_key, 32),
            notBefore: k.not_before ?? 0n,
          }),
        );
        const out: RosterAuditor = { name: a.name, keys, addresses: a.addresses };
        if (a.peer_id) out.peerId = a.peer_id;
        if (a.plexi_url) out.plexiUrl = a.plexi_url;
        const witnessName = a.witness_name ?? (keyNameProblem(a.name) === null ? a.name : undefined);
        if (witnessName !== undefined) out.witnessName = witnessName;
        return out;
      }),
      r.namespaces.map((n) => {
        const out: RosterNamespace = { name: n.name, configuration: n.configuration };
        if (n.domain_label) out.domainLabel = n.domain_label;
        if (n.root) out.root = n.root;
        if (n.log_key) out.logKey = fromHex(n.log_key, 32);
        if (n.proof_directory) out.proofDirectory = n.proof_directory;
        if (n.checkpoint_origin) out.checkpointOrigin = n.checkpoint_origin;
        return out;
      }),
    );
    roster.source = value;
    return roster;
  }
}
