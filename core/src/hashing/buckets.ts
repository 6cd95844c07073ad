import { md5Words } from './md5.ts';

const TWO_32 = 4294967296;

/** `word` (a little-endian reading of four digest bytes) read big-endian instead, mod 100. */
function bigEndianMod100(word: number): number {
  const swapped =
    (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24)) >>> 0;
  // 65536 ≡ 36 (mod 100): small-integer arithmetic instead of a floating-point modulus.
  return ((swapped >>> 16) * 36 + (swapped & 0xffff)) % 100;
}

/**
 * The seed-compatible rollout bucket: MD5 of the UTF-8 bytes of `bucketValue + flagKey`, read as one unsigned
 * 128-bit big-endian integer, mod 100. A user is in a rollout of p percent when the bucket is below p.
 */
export function rolloutBucket(bucketValue: string, flagKey: string): number {
  const words = md5Words(bucketValue, flagKey);
  let remainder = 0;
  // Horner's rule over the four 32-bit digits of the 128-bit number, with 2^32 ≡ 96 (mod 100).
  for (let i = 0; i < 4; i++) remainder = (remainder * 96 + bigEndianMod100(words[i]!)) % 100;
  return remainder;
}

/**
 * flagd's high-precision fractional bucket: floor(hash * totalWeight / 2^32) for an unsigned 32-bit hash and
 * totalWeight <= 2^31 - 1, computed exactly in doubles by splitting the hash into 16-bit halves.
 */
export function fractionalBucket(hash: number, totalWeight: number): number {
  const high = Math.floor(hash / 65536) * totalWeight; // < 2^47
  const low = (hash % 65536) * totalWeight; // < 2^47
  const highQuotient = Math.floor(high / 65536);
  const highRemainder = high - highQuotient * 65536;
  return highQuotient + Math.floor((highRemainder * 65536 + low) / TWO_32);
}
