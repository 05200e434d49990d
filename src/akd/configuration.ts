// akd's two tree configurations (akd_core/src/configuration/{whatsapp_v1,experimental}.rs), byte
// for byte: the readable reference used by the generator's checks and the tests. The verifier's hot
// path (trie-hash.ts) computes the same values on 32-bit words.
import { ConfigError } from '../util/errors.js';
import { blake3 } from './blake3.js';
import { labelToBytes, rootLabel, type NodeLabel } from './node-label.js';

export type AkdConfigurationName = 'whatsapp_v1' | 'experimental';
export const AKD_CONFIGURATION_NAMES: readonly AkdConfigurationName[] = ['whatsapp_v1', 'experimental'];

/** Longest experimental domain label this implementation takes (1024 - 136 bytes). */
export const MAX_DOMAIN_LABEL_BYTES = 888;

/** akd's `ExampleLabel`, the domain label of its fixtures (and of the shared test vectors). */
export const DEFAULT_DOMAIN_LABEL = 'ExampleLabel';

/** How a namespace names its configuration. `domainLabel` only means something for experimental. */
export interface AkdConfiguration {
  name: AkdConfigurationName;
  domainLabel?: string;
}

/** akd `EMPTY_VALUE`: a single zero byte. */
const EMPTY_VALUE = new Uint8Array([0]);

/** The operations of akd's `Configuration` trait that the tree and the auditor use. */
export interface AkdHashing {
  readonly name: AkdConfigurationName;
  /** The domain label bytes (empty for whatsapp_v1, which has none). */
  readonly domainLabel: Uint8Array;
  hash(item: Uint8Array): Uint8Array;
  /** Value of the root of an empty tree. */
  emptyRootValue(): Uint8Array;
  /** Value standing in for a missing child. */
  emptyNodeHash(): Uint8Array;
  /** Label standing in for a missing child. */
  emptyLabel(): NodeLabel;
  /** A leaf's commitment bound to the epoch it was last written (hash_leaf_with_commitment). */
  hashLeafWithCommitment(commitment: Uint8Array, epoch: bigint): Uint8Array;
  /** `NodeLabel::value`: compute_node_label_value(label.to_bytes()). */
  labelValue(label: NodeLabel): Uint8Array;
  /** compute_parent_hash_from_children(left value, left label value, right value, right label value). */
  parentHash(
    leftValue: Uint8Array,
    leftLabelValue: Uint8Array,
    rightValue: Uint8Array,
    rightLabelValue: Uint8Array,
  ): Uint8Array;
  /** The published root digest from the root node's value. */
  rootHashFromValue(rootValue: Uint8Array): Uint8Array;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function epochBytes(epoch: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, epoch));
  return out;
}

class WhatsAppV1 implements AkdHashing {
  readonly name = 'whatsapp_v1' as const;
  readonly domainLabel = new Uint8Array(0);
  hash(item: Uint8Array): Uint8Array {
    return blake3(item);
  }
  emptyRootValue(): Uint8Array {
    return this.hash(EMPTY_VALUE);
  }
  emptyNodeHash(): Uint8Array {
    return this.hash(concat(this.hash(EMPTY_VALUE), this.labelValue(this.emptyLabel())));
  }
  emptyLabel(): NodeLabel {
    return { val: new Uint8Array(32).fill(1), len: 0 };
  }
  hashLeafWithCommitment(commitment: Uint8Array, epoch: bigint): Uint8Array {
    return this.hash(concat(commitment, epochBytes(epoch)));
  }
  labelValue(label: NodeLabel): Uint8Array {
    return this.hash(labelToBytes(label));
  }
  parentHash(lv: Uint8Array, ll: Uint8Array, rv: Uint8Array, rl: Uint8Array): Uint8Array {
    return this.hash(concat(this.hash(concat(lv, ll)), this.hash(concat(rv, rl))));
  }
  rootHashFromValue(rootValue: Uint8Array): Uint8Array {
    return this.hash(concat(rootValue, this.labelValue(rootLabel())));
  }
}

class Experimental implements AkdHashing {
  readonly name = 'experimental' as const;
  readonly domainLabel: Uint8Array;
  constructor(domainLabel: Uint8Array) {
    this.domainLabel = domainLabel;
  }
  /** Hash(domain label || item). */
  hash(item: Uint8Array): Uint8Array {
    return blake3(concat(this.domainLabel, item));
  }
  emptyRootValue(): Uint8Array {
    return new Uint8Array(32);
  }
  emptyNodeHash(): Uint8Array {
    return new Uint8Array(32);
  }
  emptyLabel(): NodeLabel {
    const val = new Uint8Array(32);
    val[0] = 1;
    return { val, len: 0 };
  }
  hashLeafWithCommitment(commitment: Uint8Array, epoch: bigint): Uint8Array {
    return this.hash(concat(commitment, epochBytes(epoch)));
  }
  labelValue(label: NodeLabel): Uint8Array {
    return labelToBytes(label);
  }
  parentHash(lv: Uint8Array, ll: Uint8Array, rv: Uint8Array, rl: Uint8Array): Uint8Array {
    return this.hash(concat(lv, ll, rv, rl));
  }
  rootHashFromValue(rootValue: Uint8Array): Uint8Array {
    return rootValue.slice();
  }
}

/** Check a configuration's shape (for configs and CLI flags) and return its hashing operations. */
export function resolveConfiguration(configuration: AkdConfiguration | AkdConfigurationName): AkdHashing {
  const c: AkdConfiguration = typeof configuration === 'string' ? { name: configuration } : configuration;
  switch (c.name) {
    case 'whatsapp_v1':
      return new WhatsAppV1();
    case 'experimental': {
      const label = new TextEncoder().encode(c.domainLabel ?? DEFAULT_DOMAIN_LABEL);
      // A parent's message (label + 136 bytes) must fit one BLAKE3 chunk in the fast paths.
      if (label.length > MAX_DOMAIN_LABEL_BYTES) {
        throw new ConfigError('domain_label', `at most ${MAX_DOMAIN_LABEL_BYTES} bytes, got ${label.length}`);
      }
      return new Experimental(label);
    }
    default:
      throw new ConfigError(
        'configuration',
        `unknown AKD configuration "${String((c as { name: unknown }).name)}" (whatsapp_v1 or experimental)`,
      );
  }
}

export function isAkdConfigurationName(name: string): name is AkdConfigurationName {
  return (AKD_CONFIGURATION_NAMES as readonly string[]).includes(name);
}

/** Root digest of akd's empty tree (`Azks::new`, epoch 0) under a configuration. */
export function emptyTreeRoot(hashing: AkdHashing): Uint8Array {
  return hashing.rootHashFromValue(hashing.emptyRootValue());
}
