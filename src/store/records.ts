// Stored record types and their JSON codecs. u64 values are decimal strings on disk, bigint in
// memory; bytes are hex. Every decoder checks shapes so a damaged value fails loudly.
import { fromHex, toHex } from '../util/bytes.js';
import { ChorusError } from '../util/errors.js';
import { parseU64 } from '../util/u64.js';
import type { ChainHead, NamespaceStatus } from '../consensus/chain-rules.js';

export class CorruptRecordError extends ChorusError {
  constructor(what: string, detail: string) {
    super('corrupt-record', `stored ${what} is damaged: ${detail}`);
  }
}

/** One epoch this node signed: everything needed to serve the identical SignatureResponse. */
export interface SignedEpoch {
  namespace: string;
  epoch: bigint;
  digest: Uint8Array;
  previous?: Uint8Array;
  timestamp: bigint;
  ciphersuite: number;
  signature: Uint8Array;
  publicKey: Uint8Array;
}

export interface SignedEpochJson {
  namespace: string;
  epoch: string;
  digest: string;
  previous?: string;
  timestamp: string;
  ciphersuite: number;
  signature: string;
  public_key: string;
}

export function signedEpochToJson(s: SignedEpoch): SignedEpochJson {
  const out: SignedEpochJson = {
    namespace: s.namespace,
    epoch: s.epoch.toString(),
    digest: toHex(s.digest),
    timestamp: s.timestamp.toString(),
    ciphersuite: s.ciphersuite,
    signature: toHex(s.signature),
    public_key: toHex(s.publicKey),
  };
  if (s.previous) out.previous = toHex(s.previous);
  return out;
}

function wrap<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new CorruptRecordError(what, (err as Error).message);
  }
}

export function signedEpochFromJson(j: SignedEpochJson): SignedEpoch {
  return wrap('signature', () => {
    const s: SignedEpoch = {
      namespace: j.namespace,
      epoch: parseU64(j.epoch, 'epoch'),
      digest: fromHex(j.digest, 32, 'digest'),
      timestamp: parseU64(j.timestamp, 'timestamp'),
      ciphersuite: j.ciphersuite,
      signature: fromHex(j.signature, 64, 'signature'),
      publicKey: fromHex(j.public_key, 32, 'public_key'),
    };
    if (j.previous !== undefined) s.previous = fromHex(j.previous, 32, 'previous');
    return s;
  });
}

/** The chain state of one namespace as stored (the configuration only adds `Disabled`). */
export interface NamespaceState {
  name: string;
  status: NamespaceStatus;
  root?: ChainHead;
  head?: ChainHead;
  signedCount: bigint;
}

interface HeadJson {
  epoch: string;
  digest: string;
}
export interface NamespaceStateJson {
  name: string;
  status: NamespaceStatus;
  root?: HeadJson;
  head?: HeadJson;
  signed_count: string;
}

const headToJson = (h: ChainHead): HeadJson => ({ epoch: h.epoch.toString(), digest: toHex(h.digest) });
const headFromJson = (h: HeadJson): ChainHead => ({
  epoch: parseU64(h.epoch, 'epoch'),
  digest: fromHex(h.digest, 32, 'digest'),
});

export function namespaceStateToJson(s: NamespaceState): NamespaceStateJson {
  const out: NamespaceStateJson = { name: s.name, status: s.status, signed_count: s.signedCount.toString() };
  if (s.root) out.root = headToJson(s.root);
  if (s.head) out.head = headToJson(s.head);
  return out;
}

export function namespaceStateFromJson(j: NamespaceStateJson): NamespaceState {
  return wrap('namespace state', () => {
    const s: NamespaceState = { name: j.name, status: j.status, signedCount: parseU64(j.signed_count, 'signed_count') };
    if (j.root) s.root = headFromJson(j.root);
    if (j.head) s.head = headFromJson(j.head);
    return s;
  });
}

/** A submission refused because it conflicts with a signed epoch: kept as evidence. */
export interface ConflictRecord {
  namespace: string;
  epoch: bigint;
  signedDigest: Uint8Array;
  submittedDigest: Uint8Array;
  firstSeen: bigint;
  lastSeen: bigint;
  count: bigint;
}

export interface ConflictRecordJson {
  namespace: string;
  epoch: string;
  signed_digest: string;
  submitted_digest: string;
  first_seen: string;
  last_seen: string;
  count: string;
}

export function conflictToJson(c: ConflictRecord): ConflictRecordJson {
  return {
    namespace: c.namespace,
    epoch: c.epoch.toString(),
    signed_digest: toHex(c.signedDigest),
    submitted_digest: toHex(c.submittedDigest),
    first_seen: c.firstSeen.toString(),
    last_seen: c.lastSeen.toString(),
    count: c.count.toString(),
  };
}

export function conflictFromJson(j: ConflictRecordJson): ConflictRecord {
  return wrap('conflict', () => ({
    namespace: j.namespace,
    epoch: parseU64(j.epoch, 'epoch'),
    signedDigest: fromHex(j.signed_digest, 32),
    submittedDigest: fromHex(j.submitted_digest, 32),
    firstSeen: parseU64(j.first_seen),
    lastSeen: parseU64(j.last_seen),
    count: parseU64(j.count),
  }));
}
