import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatIssues, validateEnvironmentSpec, validateFeatureFlagSpec } from './validate.ts';

function fieldsOf(input: unknown): string[] {
  const result = validateFeatureFlagSpec(input);
  return result.ok ? [] : result.issues.map((issue) => issue.field).sort();
}

describe('validateFeatureFlagSpec', () => {
  it('accepts the design example and fills defaults', () => {
    const result = validateFeatureFlagSpec({
      key: 'dark_mode',
      description: 'Dark theme for the storefront',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      rollout: { percentage: 25, variant: 'on', bucketBy: 'user_id' },
      environments: { production: { rollout: { percentage: 5 } } },
    });
    expect(result).toMatchObject({ ok: true, value: { state: 'ENABLED' } });
  });

  it('accepts a boolean flag with implied variants', () => {
    expect(validateFeatureFlagSpec({ rollout: { percentage: 10 } }).ok).toBe(true);
  });

  it.each([
    ['an unknown default variant', { variants: { a: 1 }, defaultVariant: 'b' }, ['spec.defaultVariant']],
    [
      'an unknown rollout variant',
      { variants: { a: 1, b: 2 }, rollout: { percentage: 5, variant: 'c' } },
      ['spec.rollout.variant'],
    ],
    ['percentage 101', { rollout: { percentage: 101 } }, ['spec.rollout.percentage']],
    ['a fractional percentage', { rollout: { percentage: 2.5 } }, ['spec.rollout.percentage']],
    ['mixed variant types', { variants: { a: 1, b: 'two' } }, ['spec.variants']],
    ['a wrong field type', { state: 'MAYBE', description: 7 }, ['spec.description', 'spec.state']],
    ['a bad key', { key: '-starts-with-dash' }, ['spec.key']],
    ['an unknown field', { rolout: { percentage: 5 } }, ['spec.rolout']],
    [
      'a bad override variant',
      { variants: { a: 1 }, environments: { prod: { defaultVariant: 'z' } } },
      ['spec.environments.prod.defaultVariant'],
    ],
    ['an array variant value', { variants: { a: [1] } }, ['spec.variants.a']],
  ])('refuses %s, naming the field', (_name, input, fields) => {
    expect(fieldsOf(input)).toEqual(fields);
  });

  it('never throws, whatever JSON it is given', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }),
        fc.record(
          { variants: fc.jsonValue(), rollout: fc.jsonValue(), environments: fc.jsonValue() },
          { requiredKeys: [] },
        ),
        (anything, shaped) => {
          expect(() => validateFeatureFlagSpec(anything)).not.toThrow();
          expect(() => validateFeatureFlagSpec(shaped)).not.toThrow();
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('names every bad field at once, readably', () => {
    const result = validateFeatureFlagSpec({
      variants: { a: 1 },
      defaultVariant: 'b',
      rollout: { percentage: -1, variant: 'a' },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(formatIssues(result.issues)).toBe(
        'spec.rollout.percentage: must be between 0 and 100; spec.defaultVariant: "b" is not one of spec.variants',
      );
    }
  });
});

describe('validateEnvironmentSpec', () => {
  it('accepts keys and fills defaults', () => {
    expect(validateEnvironmentSpec({ apiKeys: [{ name: 'checkout-service' }] })).toEqual({
      ok: true,
      value: { default: false, apiKeys: [{ name: 'checkout-service' }] },
    });
  });

  it('takes client keys and exact origins, and names a malformed origin', () => {
    const spec = {
      apiKeys: [{ name: 'web', kind: 'client' }],
      cors: { allowedOrigins: ['https://shop.example.com', 'http://localhost:3000', '*'] },
    };
    expect(validateEnvironmentSpec(spec)).toMatchObject({ ok: true, value: spec });
    for (const origin of [
      'https://shop.example.com/',
      'https://Shop.example.com',
      'shop.example.com',
      'ftp://x',
    ])
      expect(validateEnvironmentSpec({ cors: { allowedOrigins: [origin] } })).toMatchObject({
        ok: false,
        issues: [{ field: 'spec.cors.allowedOrigins[0]', message: expect.stringContaining('an origin') }],
      });
    expect(validateEnvironmentSpec({ apiKeys: [{ name: 'web', kind: 'browser' }] })).toMatchObject({
      ok: false,
      issues: [{ field: 'spec.apiKeys[0].kind', message: 'must be "server" or "client"' }],
    });
  });

  it('refuses duplicate and malformed key names', () => {
    const result = validateEnvironmentSpec({ apiKeys: [{ name: 'a' }, { name: 'a' }, { name: 'Bad_Name' }] });
    expect(result.ok ? [] : result.issues.map((issue) => issue.field).sort()).toEqual([
      'spec.apiKeys',
      'spec.apiKeys[2].name',
    ]);
  });
});
