// The signing rules of docs/protocol.md §4.1–4.2, as pure functions: no I/O, no clock. The store gathers the
// facts (chain head, what is already signed at the epoch, where the digest was seen) and applies
// the decision atomically.
import { bytesEqual, toHex } from '../util/bytes.js';
import { U64_MAX } from '../util/u64.js';

export type NamespaceStatus = 'Initialization' | 'Online' | 'Disabled';

export interface ChainHead {
  epoch: bigint;
  digest: Uint8Array;
}

/** What the node knows of one namespace's chain when a submission arrives. */
export interface ChainFacts {
  status: NamespaceStatus;
  /** The root (first signed epoch); absent only while a namespace awaits its first epoch. */
  root?: ChainHead;
  /** The last epoch signed (the root when nothing else was signed). */
  head?: ChainHead;
  /** The digest this node already signed at the submitted epoch, if any. */
  signedAtEpoch?: Uint8Array;
  /** The digest this node signed at the submitted epoch - 1, if any (to check `previous`). */
  signedAtPreviousEpoch?: Uint8Array;
  /** The epoch at which the submitted digest was already signed in this namespace, if any. */
  digestSignedAt?: bigint;
  /** Why signing is halted (doppelgänger protection), if it is. */
  halted?: string;
}

export interface Submission {
  epoch: bigint;
  digest: Uint8Array;
  previous?: Uint8Array;
}

export type RejectCode =
  | 'namespace-disabled'
  | 'epoch-conflict'
  | 'previous-mismatch'
  | 'stale-epoch'
  | 'epoch-gap'
  | 'digest-reused'
  | 'epoch-overflow'
  | 'signing-halted';

export type Decision =
  | { kind: 'sign'; becomesRoot: boolean }
  | { kind: 'replay' }
  | { kind: 'reject'; code: RejectCode; message: string; details: Record<string, unknown>; conflict: boolean };

function reject(code: RejectCode, message: string, details: Record<string, unknown> = {}, conflict = false): Decision {
  return { kind: 'reject', code, message, details, conflict };
}

export function decideSubmission(facts: ChainFacts, s: Submission): Decision {
  if (facts.status === 'Disabled') {
    return reject('namespace-disabled', 'the namespace is disabled: this node signs nothing for it');
  }

  // §4.1 "Never sign two digests for one counter": the same digest again is a replay of the
  // stored signature; any other digest is refused and recorded.
  if (facts.signedAtEpoch) {
    if (!bytesEqual(facts.signedAtEpoch, s.digest)) {
      return reject(
        'epoch-conflict',
        `epoch ${s.epoch} is already signed with digest ${toHex(facts.signedAtEpoch)}; refusing digest ` +
          `${toHex(s.digest)}`,
        { epoch: s.epoch, signed_digest: toHex(facts.signedAtEpoch), submitted_digest: toHex(s.digest) },
        true,
      );
    }
    if (s.previous && facts.signedAtPreviousEpoch && !bytesEqual(s.previous, facts.signedAtPreviousEpoch)) {
      return reject(
        'previous-mismatch',
        `previous ${toHex(s.previous)} does not match the digest signed at epoch ${s.epoch - 1n} ` +
          `(${toHex(facts.signedAtPreviousEpoch)})`,
        {
          epoch: s.epoch,
          expected_previous: toHex(facts.signedAtPreviousEpoch),
          submitted_previous: toHex(s.previous),
        },
      );
    }
    return { kind: 'replay' };
  }

  // Doppelgänger protection: while halted, nothing new is signed (replays above are harmless).
  if (facts.halted !== undefined) {
    return reject('signing-halted', `signing is halted: ${facts.halted}`);
  }

  // A namespace in Initialization without a root takes its first epoch, whatever it is, as root.
  if (!facts.head) {
    if (facts.digestSignedAt !== undefined) {
      return reject('digest-reused', `digest ${toHex(s.digest)} was already signed at epoch ${facts.digestSignedAt}`, {
        digest: toHex(s.digest),
        signed_epoch: facts.digestSignedAt,
      });
    }
    return { kind: 'sign', becomesRoot: true };
  }

  // §4.2 "Consecutive and unique": epoch n only after n-1, previous equal to n-1's digest.
  const head = facts.head;
  if (head.epoch === U64_MAX) {
    return reject('epoch-overflow', 'the chain reached epoch 2^64-1: there is no next epoch', {
      head_epoch: head.epoch,
    });
  }
  const expected = head.epoch + 1n;
  if (s.epoch < expected) {
    return reject('stale-epoch', `epoch ${s.epoch} is not signed here and is below the next epoch ${expected}`, {
      epoch: s.epoch,
      expected_epoch: expected,
    });
  }
  if (s.epoch > expected) {
    return reject('epoch-gap', `epoch ${s.epoch} skips ahead: the next epoch must be ${expected}`, {
      epoch: s.epoch,
      expected_epoch: expected,
    });
  }
  if (s.previous && !bytesEqual(s.previous, head.digest)) {
    return reject(
      'previous-mismatch',
      `previous ${toHex(s.previous)} does not match the digest signed at epoch ${head.epoch} (${toHex(head.digest)})`,
      { epoch: s.epoch, expected_previous: toHex(head.digest), submitted_previous: toHex(s.previous) },
    );
  }
  if (facts.digestSignedAt !== undefined) {
    return reject('digest-reused', `digest ${toHex(s.digest)} was already signed at epoch ${facts.digestSignedAt}`, {
      digest: toHex(s.digest),
      signed_epoch: facts.digestSignedAt,
    });
  }
  return { kind: 'sign', becomesRoot: false };
}
