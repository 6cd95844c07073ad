import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { validateFeatureFlagSpec } from '../spec/validate.ts';
import type { FeatureFlagSpecInput } from '../spec/feature-flag-spec.ts';
import { evaluate } from './evaluate.ts';
import { compile, evaluateKey, prepareFlagSet } from './flag-set.ts';
import { resolveFlagConfig } from './resolve-config.ts';

function validSpec(spec: FeatureFlagSpecInput) {
  const validated = validateFeatureFlagSpec(spec);
  if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
  return validated.value;
}

function flag(spec: FeatureFlagSpecInput, key = 'checkout', environment = 'production') {
  return compile({ key, spec: validSpec(spec) }, environment);
}

describe('evaluate', () => {
  const colours = { variants: { red: 'r', blue: 'b', green: 'g' }, defaultVariant: 'red' };

  it('serves the default variant with STATIC when nothing else decides', () => {
    expect(evaluate(flag(colours), {})).toEqual({
      key: 'checkout',
      value: 'r',
      variant: 'red',
      reason: 'STATIC',
      metadata: {},
    });
  });

  it('answers DISABLED with no value and no variant', () => {
    expect(evaluate(flag({ ...colours, state: 'DISABLED' }), { user_id: 'u' })).toEqual({
      key: 'checkout',
      reason: 'DISABLED',
      metadata: {},
    });
  });

  it('lets targeting win over the rollout, and a null rule result fall through to it', () => {
    const f = flag({
      ...colours,
      rollout: { percentage: 100, variant: 'green' },
      targeting: { if: [{ '==': [{ var: 'plan' }, 'gold'] }, 'blue', null] },
    });
    expect(evaluate(f, { user_id: 'u', plan: 'gold' })).toMatchObject({
      variant: 'blue',
      reason: 'TARGETING_MATCH',
    });
    expect(evaluate(f, { user_id: 'u', plan: 'free' })).toMatchObject({ variant: 'green', reason: 'SPLIT' });
  });

  it('answers DEFAULT with the default variant when the rollout has nothing to bucket by', () => {
    expect(evaluate(flag({ rollout: { percentage: 50 } }), { plan: 'gold' })).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DEFAULT',
    });
  });

  it('defers to the code default (no value) when defaultVariant is null', () => {
    const result = evaluate(flag({ variants: { a: 1, b: 2 }, defaultVariant: null }), {});
    expect(result).toEqual({ key: 'checkout', reason: 'DEFAULT', metadata: {} });
  });

  it('applies environment overrides: state, defaultVariant, merged rollout, replaced targeting', () => {
    const spec: FeatureFlagSpecInput = {
      ...colours,
      rollout: { percentage: 0, variant: 'green', bucketBy: 'account' },
      targeting: { if: [true, 'blue'] },
      environments: {
        staging: { defaultVariant: 'blue', rollout: { percentage: 100 }, targeting: null },
        dev: { state: 'DISABLED' },
      },
    };
    const staging = resolveFlagConfig({ key: 'k', spec: validSpec(spec) }, 'staging');
    expect(staging).toMatchObject({
      defaultVariant: 'blue',
      rollout: { percentage: 100, variant: 'green', bucketBy: 'account' },
      targeting: null,
    });
    expect(evaluate(flag(spec, 'k', 'staging'), { account: 'a1' })).toMatchObject({
      variant: 'green',
      reason: 'SPLIT',
    });
    expect(evaluate(flag(spec, 'k', 'dev'), {})).toMatchObject({ reason: 'DISABLED' });
    expect(evaluate(flag(spec, 'k', 'production'), {})).toMatchObject({
      variant: 'blue',
      reason: 'TARGETING_MATCH',
    });
  });

  it('inlines $ref rules and reports an unknown one as PARSE_ERROR', () => {
    const ok = flag({
      ...colours,
      evaluators: { gold: { '==': [{ var: 'plan' }, 'gold'] } },
      targeting: { if: [{ $ref: 'gold' }, 'blue'] },
    });
    expect(evaluate(ok, { plan: 'gold' })).toMatchObject({ variant: 'blue' });
    const broken = flag({ ...colours, targeting: { if: [{ $ref: 'missing' }, 'blue'] } });
    expect(evaluate(broken, {})).toMatchObject({ reason: 'ERROR', errorCode: 'PARSE_ERROR' });
  });

  it('reports a rule naming an unknown operator as PARSE_ERROR', () => {
    expect(evaluate(flag({ ...colours, targeting: { no_such_op: [1] } }), {})).toMatchObject({
      errorCode: 'PARSE_ERROR',
    });
  });

  it('reports a rule choosing a variant that does not exist as GENERAL', () => {
    expect(evaluate(flag({ ...colours, targeting: { var: 'pick' } }), { pick: 'purple' })).toMatchObject({
      reason: 'ERROR',
      errorCode: 'GENERAL',
    });
  });

  it('exposes $flagd.flagKey and the timestamp it is given to rules', () => {
    const f = flag({
      ...colours,
      targeting: {
        if: [
          {
            and: [
              { '==': [{ var: '$flagd.flagKey' }, 'checkout'] },
              { '>': [{ var: '$flagd.timestamp' }, 100] },
            ],
          },
          'blue',
          'green',
        ],
      },
    });
    expect(evaluate(f, {}, { nowSeconds: 200 })).toMatchObject({ variant: 'blue' });
    expect(evaluate(f, {}, { nowSeconds: 50 })).toMatchObject({ variant: 'green' });
  });

  it('answers FLAG_NOT_FOUND for an unknown key in a flag set', () => {
    const set = prepareFlagSet([flag(colours).config]);
    expect(evaluateKey(set, 'nope', {})).toMatchObject({
      key: 'nope',
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(evaluateKey(set, 'checkout', {})).toMatchObject({ value: 'r' });
  });
});

describe('evaluate with hostile contexts', () => {
  const targeted = flag({
    variants: { a: 'A', b: 'B' },
    defaultVariant: 'a',
    rollout: { percentage: 50, variant: 'b' },
    targeting: {
      if: [
        { sem_ver: [{ var: 'version' }, '>=', '2.0.0'] },
        'b',
        { if: [{ starts_with: [{ var: 'email' }, 'x'] }, 'a', null] },
      ],
    },
  });

  it.each([
    ['wrong types', { user_id: { nested: true }, version: 42, email: ['x'] }],
    ['a huge string', { user_id: 'u'.repeat(5_000_000), email: 'x'.repeat(1_000_000) }],
    ['deep nesting', { user_id: 'u', deep: JSON.parse('['.repeat(5000) + ']'.repeat(5000)) }],
    ['a null context', null],
    ['an array context', []],
  ])('returns a result for %s', (_name, context) => {
    const result = evaluate(targeted, context as never);
    expect(result.key).toBe('checkout');
    expect(typeof result.reason).toBe('string');
  });

  it('never throws for any JSON context', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        fc.dictionary(fc.constantFrom('user_id', 'targetingKey', 'version', 'email'), fc.jsonValue()),
        (anything, known) => {
          const context =
            typeof anything === 'object' && anything !== null && !Array.isArray(anything)
              ? { ...anything, ...known }
              : anything;
          expect(() => evaluate(targeted, context as never)).not.toThrow();
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('rollout properties', () => {
  it('raising the percentage never removes a user', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (user, p1, p2) => {
          const [low, high] = p1 <= p2 ? [p1, p2] : [p2, p1];
          const inAt = (percentage: number) =>
            evaluate(flag({ rollout: { percentage } }, 'dark-mode'), { user_id: user }).value === true;
          if (inAt(low)) expect(inAt(high)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it.each([1, 10, 25, 50, 90])('puts %d%% of 100,000 random ids in, within one point', (percentage) => {
    const f = flag({ rollout: { percentage } }, 'dark-mode');
    const ids = fc.sample(fc.uuid(), { numRuns: 100_000, seed: percentage });
    const inCount = ids.filter((id) => evaluate(f, { user_id: id }).value === true).length;
    expect(Math.abs((inCount / ids.length) * 100 - percentage)).toBeLessThanOrEqual(1);
  });
});
