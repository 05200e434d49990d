import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideSubmission, type ChainFacts } from '../../src/consensus/chain-rules.js';
import { U64_MAX } from '../../src/util/u64.js';

const d = (b: number) => new Uint8Array(32).fill(b);
const online = (epoch: bigint, digest: Uint8Array): ChainFacts => ({
  status: 'Online',
  root: { epoch: 0n, digest: d(0) },
  head: { epoch, digest },
});

describe('decideSubmission (design §4.1-4.2)', () => {
  it('signs the next consecutive epoch with a fresh digest', () => {
    expect(decideSubmission(online(5n, d(5)), { epoch: 6n, digest: d(6) })).toEqual({
      kind: 'sign',
      becomesRoot: false,
    });
    expect(decideSubmission(online(5n, d(5)), { epoch: 6n, digest: d(6), previous: d(5) })).toEqual({
      kind: 'sign',
      becomesRoot: false,
    });
  });

  it('takes any first epoch as root while the namespace has none', () => {
    expect(decideSubmission({ status: 'Initialization' }, { epoch: 123n, digest: d(1) })).toEqual({
      kind: 'sign',
      becomesRoot: true,
    });
  });

  it('replays the same epoch and digest', () => {
    expect(decideSubmission({ ...online(6n, d(6)), signedAtEpoch: d(6) }, { epoch: 6n, digest: d(6) })).toEqual({
      kind: 'replay',
    });
  });

  it('refuses a second digest for a signed epoch and marks it as a conflict naming both digests', () => {
    const r = decideSubmission({ ...online(6n, d(6)), signedAtEpoch: d(6) }, { epoch: 6n, digest: d(7) });
    expect(r.kind).toBe('reject');
    if (r.kind !== 'reject') return;
    expect(r.code).toBe('epoch-conflict');
    expect(r.conflict).toBe(true);
    expect(r.details).toMatchObject({ signed_digest: '06'.repeat(32), submitted_digest: '07'.repeat(32) });
  });

  it.each([
    ['gap', 8n, 'epoch-gap'],
    ['stale', 3n, 'stale-epoch'],
  ])('refuses a %s naming the expected epoch', (_n, epoch, code) => {
    const r = decideSubmission(online(5n, d(5)), { epoch, digest: d(9) });
    expect(r).toMatchObject({ kind: 'reject', code, details: { expected_epoch: 6n } });
  });

  it('refuses a previous that is not the head digest', () => {
    expect(decideSubmission(online(5n, d(5)), { epoch: 6n, digest: d(6), previous: d(4) })).toMatchObject({
      kind: 'reject',
      code: 'previous-mismatch',
    });
  });

  it('refuses a digest already signed at an earlier epoch', () => {
    expect(decideSubmission({ ...online(5n, d(5)), digestSignedAt: 2n }, { epoch: 6n, digest: d(2) })).toMatchObject({
      kind: 'reject',
      code: 'digest-reused',
      details: { signed_epoch: 2n },
    });
  });

  it('refuses everything in a disabled namespace and past 2^64-1', () => {
    expect(decideSubmission({ ...online(5n, d(5)), status: 'Disabled' }, { epoch: 6n, digest: d(6) })).toMatchObject({
      code: 'namespace-disabled',
    });
    expect(decideSubmission(online(U64_MAX, d(5)), { epoch: U64_MAX, digest: d(6) })).toMatchObject({
      code: 'epoch-overflow',
    });
  });

  it('never signs an epoch other than head+1 once a head exists (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64_MAX - 1n }), fc.bigInt({ min: 0n, max: U64_MAX }), (head, epoch) => {
        const r = decideSubmission(online(head, d(1)), { epoch, digest: d(2) });
        return r.kind !== 'sign' || epoch === head + 1n;
      }),
    );
  });
});
