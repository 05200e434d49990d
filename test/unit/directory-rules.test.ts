// The directory source's pure rules: the head search over a present/absent boundary, and what one
// epoch's listing allows.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyEpochKeys, judgeEpoch } from '../../src/services/directory-listing.js';
import { akdProofNames } from '../../src/formats/akd/index.js';
import { HeadSearchError, findHead } from '../../src/services/head-search.js';
import { U64_MAX } from '../../src/util/u64.js';

const h = (b: string) => b.repeat(64);

describe('head search', () => {
  const log = (first: bigint, head: bigint) => {
    const probes: bigint[] = [];
    const probe = async (e: bigint) => {
      probes.push(e);
      return e >= first && e <= head;
    };
    return { probes, probe };
  };

  it('finds the head from any hint with about 2·log2(distance) probes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 1n, max: 1n << 40n }),
        fc.bigInt({ min: 1n, max: 1n << 41n }),
        async (head, hint) => {
          const { probes, probe } = log(1n, head);
          expect(await findHead(probe, hint)).toBe(head);
          expect(probes.length).toBeLessThanOrEqual(4 * 42 + 4);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('an empty log has no head; a log at the top of the u64 range stops there', async () => {
    expect(await findHead(log(1n, 0n).probe, 1000n)).toBeUndefined();
    expect(await findHead(log(1n, U64_MAX).probe, U64_MAX - 5n)).toBe(U64_MAX);
  });

  it('is bounded whatever the answers', async () => {
    await expect(findHead(async () => true, 1n, 10)).rejects.toBeInstanceOf(HeadSearchError);
  });
});

describe("one epoch's listing", () => {
  const ok = `7/${h('a')}/${h('b')}`;
  it('one canonical blob may be signed', () => {
    const v = judgeEpoch(classifyEpochKeys(7n, [ok, ok], akdProofNames));
    expect(v.kind).toBe('one');
  });
  it('nothing is "not yet", never evidence', () => {
    expect(judgeEpoch(classifyEpochKeys(7n, [], akdProofNames)).kind).toBe('absent');
  });
  it('two different blobs are a fork naming both', () => {
    const other = `7/${h('a')}/${h('c')}`;
    expect(judgeEpoch(classifyEpochKeys(7n, [ok, other], akdProofNames))).toEqual({ kind: 'fork', names: [ok, other] });
  });
  it('upper-case hex, a padded epoch, epoch 0, u64 overflow and junk are malformed keys', () => {
    for (const [epoch, key] of [
      [7n, `7/${h('A')}/${h('b')}`],
      [7n, `07/${h('a')}/${h('b')}`],
      [0n, `0/${h('a')}/${h('b')}`],
      [U64_MAX + 1n, `${U64_MAX + 1n}/${h('a')}/${h('b')}`],
      [7n, '7/readme.txt'],
    ] as const) {
      const v = judgeEpoch(classifyEpochKeys(epoch, [key], akdProofNames));
      expect(v, key).toEqual({ kind: 'malformed', keys: [key] });
    }
    // Junk next to a blob: fail closed, do not sign.
    expect(judgeEpoch(classifyEpochKeys(7n, [ok, '7/junk'], akdProofNames)).kind).toBe('malformed');
  });
});
