import { describe, expect, it } from '@jest/globals';
import { rolloutVectors } from '../../test/fixtures.ts';
import { compile } from './flag-set.ts';
import { evaluate } from './evaluate.ts';

const percentages = Array.from({ length: 101 }, (_, p) => p);

describe('seed rollout vectors through evaluate', () => {
  it('has vectors to check', () => {
    expect(rolloutVectors.length).toBeGreaterThan(10);
  });

  it.each(rolloutVectors)(
    '$user_id on $flag_key (bucket $bucket) is in exactly when bucket < percentage',
    (vector) => {
      for (const percentage of percentages) {
        const flag = compile(
          { key: vector.flag_key, spec: { state: 'ENABLED', rollout: { percentage } } },
          'production',
        );
        const result = evaluate(flag, { user_id: vector.user_id });
        expect(result).toMatchObject({
          reason: 'SPLIT',
          value: vector.bucket < percentage,
          variant: vector.bucket < percentage ? 'on' : 'off',
        });
      }
    },
  );

  it('buckets by targetingKey when the context has no user_id', () => {
    const vector = rolloutVectors[0]!;
    const flag = compile(
      { key: vector.flag_key, spec: { state: 'ENABLED', rollout: { percentage: vector.bucket + 1 } } },
      'production',
    );
    expect(evaluate(flag, { targetingKey: vector.user_id }).value).toBe(true);
  });
});
