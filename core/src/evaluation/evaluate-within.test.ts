import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { validateFeatureFlagSpec } from '../spec/validate.ts';
import type { FeatureFlagSpecInput } from '../spec/feature-flag-spec.ts';
import { evaluate, evaluateWithin } from './evaluate.ts';
import { compile } from './flag-set.ts';

function flag(spec: FeatureFlagSpecInput, key = 'checkout') {
  const validated = validateFeatureFlagSpec(spec);
  if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
  return compile({ key, spec: validated.value }, 'production');
}

const split = flag({
  variants: { a: 'A', b: 'B', c: 'C' },
  defaultVariant: 'a',
  targeting: {
    if: [
      { in: [{ var: 'plan' }, ['gold', 'platinum']] },
      'b',
      { fractional: [{ var: 'targetingKey' }, ['a', 50], ['c', 50]] },
    ],
  },
});
const rollout = flag({ rollout: { percentage: 30 } }, 'rollout');
const options = { nowSeconds: 1_700_000_000 };

describe('evaluateWithin', () => {
  it('gives the result evaluate gives, for any context, when the allowance covers it', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('free', 'gold'), (targetingKey, plan) => {
        const context = { targetingKey, plan };
        const allowance = { left: 10_000 };
        expect(evaluateWithin(split, context, options, allowance)).toBe(evaluate(split, context, options));
      }),
    );
  });

  it('takes what the targeting spent from the allowance, and nothing for a flag without targeting', () => {
    const allowance = { left: 10_000 };
    evaluateWithin(rollout, { targetingKey: 'u' }, options, allowance);
    expect(allowance.left).toBe(10_000);
    evaluateWithin(split, { targetingKey: 'u', plan: 'free' }, options, allowance);
    const spent = 10_000 - allowance.left;
    expect(spent).toBeGreaterThan(0);
    // Measured, not estimated: a short key spends far less than the estimate, which bounds a 4 kB one.
    expect(spent).toBeLessThan(split.cost);
    evaluateWithin(split, { targetingKey: 'u', plan: 'free' }, options, allowance);
    expect(10_000 - allowance.left).toBe(2 * spent);
  });

  it('answers null, and leaves nothing of the allowance, when this context needs more than it', () => {
    const allowance = { left: 3 };
    expect(evaluateWithin(split, { targetingKey: 'x'.repeat(4000) }, options, allowance)).toBeNull();
    expect(allowance.left).toBe(0);
    // With the whole budget the same evaluation succeeds.
    expect(evaluateWithin(split, { targetingKey: 'x'.repeat(4000) }, options, { left: 1e9 })).toBe(
      evaluate(split, { targetingKey: 'x'.repeat(4000) }, options),
    );
  });

  it('still ends in the error result when the flag’s own budget is the smaller', () => {
    const result = evaluateWithin(
      split,
      { targetingKey: 'u' },
      { ...options, operationBudget: 1 },
      { left: 5 },
    );
    expect(result).toEqual(evaluate(split, { targetingKey: 'u' }, { ...options, operationBudget: 1 }));
    expect(result?.errorCode).toBe('GENERAL');
  });

  it('answers a disabled flag or an invalid context without spending', () => {
    const disabled = flag({ state: 'DISABLED', rollout: { percentage: 10 } });
    const allowance = { left: 0 };
    expect(evaluateWithin(disabled, {}, options, allowance)).toBe(evaluate(disabled, {}, options));
    expect(evaluateWithin(split, [] as never, options, allowance)?.errorCode).toBe('INVALID_CONTEXT');
  });
});
