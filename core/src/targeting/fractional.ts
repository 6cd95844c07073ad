import { fractionalBucket } from '../hashing/buckets.ts';
import { murmur3 } from '../hashing/murmur3.ts';

const MAX_TOTAL_WEIGHT = 2147483647;

type VariantName = string | number | boolean | null;
type FlagdData = { $flagd?: { flagKey?: unknown }; targetingKey?: unknown };

/**
 * flagd's fractional operator (the high-precision v2 algorithm): `[bucketBy?, [variant, weight?], ...]`.
 * A string first argument is the bucketing value; otherwise flagKey + targetingKey. Returns the chosen
 * variant, or null when it cannot decide (no targeting key, malformed buckets, all weights zero).
 */
export function fractional(args: unknown, data: FlagdData): VariantName {
  if (!Array.isArray(args) || args.length === 0) return null;
  let bucketBy: string;
  let start = 0;
  if (typeof args[0] === 'string') {
    bucketBy = args[0];
    start = 1;
  } else {
    const targetingKey = data.targetingKey;
    if (typeof targetingKey !== 'string' || targetingKey === '') return null;
    bucketBy = `${String(data.$flagd?.flagKey ?? '')}${targetingKey}`;
    if (!Array.isArray(args[0])) start = 1; // a bucketing expression that did not yield a string
  }

  let totalWeight = 0;
  for (let i = start; i < args.length; i++) {
    const weight = weightOf(args[i]);
    if (weight === null) return null;
    totalWeight += weight;
  }
  if (totalWeight === 0 || totalWeight > MAX_TOTAL_WEIGHT) return null;

  const bucket = fractionalBucket(murmur3(bucketBy), totalWeight);
  let rangeEnd = 0;
  for (let i = start; i < args.length; i++) {
    const entry = args[i] as unknown[];
    rangeEnd += weightOf(entry)!;
    if (bucket < rangeEnd) return variantOf(entry[0]);
  }
  return null;
}

function weightOf(entry: unknown): number | null {
  if (!Array.isArray(entry) || entry.length === 0 || entry.length > 2) return null;
  if (!isVariantName(entry[0])) return null;
  if (entry.length === 1) return 1;
  const weight = entry[1];
  if (typeof weight !== 'number' || !Number.isInteger(weight)) return null;
  return Math.max(0, weight); // negative weights come from rollout arithmetic; flagd clamps them
}

function isVariantName(value: unknown): boolean {
  return (
    value == null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

function variantOf(value: unknown): VariantName {
  return value === undefined ? null : (value as VariantName);
}
