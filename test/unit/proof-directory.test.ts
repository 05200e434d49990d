import { describe, expect, it } from 'vitest';
import { parseListObjectsV2, ProofDirectoryError } from '../../src/services/proof-directory.js';

const listing = (key: string) =>
  `<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>${key}</Key></Contents></ListBucketResult>`;

describe('S3 ListObjectsV2 answers', () => {
  it('read keys with entities and character references, and IsTruncated', () => {
    expect(parseListObjectsV2(listing('a &amp; b &lt;&gt; &#65;&#x42; &#x10FFFF;'))).toEqual({
      keys: ['a & b <> AB \u{10ffff}'],
      truncated: true,
    });
    expect(parseListObjectsV2('<s3:ListBucketResult><s3:Key>1/a/b</s3:Key></s3:ListBucketResult>')).toEqual({
      keys: ['1/a/b'],
      truncated: false,
    });
    expect(() => parseListObjectsV2('<html></html>')).toThrow(ProofDirectoryError);
  });

  // Found by the decoder fuzzing: a reference beyond U+10FFFF made String.fromCodePoint throw a RangeError.
  it.each(['&#1114112;', '&#x110000;', '&#99999999999999999999;'])(
    'refuse the character reference %s with a typed error',
    (ref) => {
      expect(() => parseListObjectsV2(listing(`1/${ref}`))).toThrow(ProofDirectoryError);
      expect(() => parseListObjectsV2(listing(`1/${ref}`))).toThrow(/not a Unicode code point/);
    },
  );
});
