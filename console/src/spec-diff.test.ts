import { describe, expect, it } from '@jest/globals';
import { specDiff } from './spec-diff.ts';

describe('specDiff', () => {
  it('names each changed field by its path, added and removed ones too, and nothing unchanged', () => {
    expect(
      specDiff(
        { state: 'ENABLED', rollout: { percentage: 50 }, environments: { staging: { state: 'DISABLED' } } },
        { state: 'ENABLED', rollout: { percentage: 0 }, description: 'new', environments: {} },
      ),
    ).toEqual([
      { path: 'description', before: undefined, after: 'new' },
      { path: 'environments.staging', before: { state: 'DISABLED' }, after: undefined },
      { path: 'rollout.percentage', before: 50, after: 0 },
    ]);
  });

  it('compares arrays whole, and a created or deleted resource as one change of the whole spec', () => {
    expect(specDiff({ values: [1, 2] }, { values: [2, 1] })).toEqual([
      { path: 'values', before: [1, 2], after: [2, 1] },
    ]);
    expect(specDiff(null, { state: 'ENABLED' })).toEqual([
      { path: '(spec)', before: null, after: { state: 'ENABLED' } },
    ]);
    expect(specDiff({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
