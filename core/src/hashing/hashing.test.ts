import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { fractionalBucket, rolloutBucket } from './buckets.ts';
import { md5Words } from './md5.ts';
import { murmur3 } from './murmur3.ts';

function md5Hex(text: string): string {
  const words = md5Words(text);
  return Buffer.from(new Uint8Array(words.buffer, words.byteOffset, 16)).toString('hex');
}

describe('md5Words', () => {
  it.each([
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['The quick brown fox jumps over the lazy dog', '9e107d9d372bb6826bd81d3542a419d6'],
  ])('digests %j as RFC 1321 says', (text, hex) => {
    expect(md5Hex(text)).toBe(hex);
  });

  it('agrees with node:crypto on any string, across block boundaries and non-ASCII text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        expect(md5Hex(text)).toBe(createHash('md5').update(text, 'utf8').digest('hex'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('rolloutBucket', () => {
  it('is the 128-bit big-endian digest mod 100, checked with BigInt', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (user, flag) => {
        const digest = createHash('md5')
          .update(user + flag, 'utf8')
          .digest('hex');
        expect(rolloutBucket(user, flag)).toBe(Number(BigInt(`0x${digest}`) % 100n));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('murmur3', () => {
  it.each([
    ['', 0],
    ['hello', 0x248bfa47],
    ['The quick brown fox jumps over the lazy dog', 0x2e4ff723],
  ])('hashes %j to the reference value', (text, expected) => {
    expect(murmur3(text)).toBe(expected);
  });
});

describe('fractionalBucket', () => {
  it('equals (hash * totalWeight) >> 32 computed with BigInt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 2147483647 }),
        (hash, weight) => {
          expect(fractionalBucket(hash, weight)).toBe(Number((BigInt(hash) * BigInt(weight)) >> 32n));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
