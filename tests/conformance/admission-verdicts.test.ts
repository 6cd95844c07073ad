import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { planFlag, validateEnvironmentSpec } from '../../core/src/index.ts';
import { VERDICTS } from './admission-verdicts.ts';

// What the table admits, the operator then writes: no admitted FeatureFlag or Environment ends InvalidSpec.
describe('the verdict table, beside the operator', () => {
  const admitted = VERDICTS.filter(
    (row) => row.refused === undefined && row.manifest.includes('kind: FeatureFlag'),
  );

  it('has admitted FeatureFlags to check', () => {
    expect(admitted.length).toBeGreaterThan(10);
  });

  it.each(admitted.map((row) => [row.name, row] as const))('%s is written, not InvalidSpec', (_name, row) => {
    const resource = parse(row.manifest.replaceAll('NAMESPACE', 'shop').replaceAll('NAME', 'flag'), {
      version: '1.1',
    }) as { metadata: { name: string }; spec: unknown };
    const plan = planFlag(
      { uid: 'uid', name: resource.metadata.name, generation: 1, spec: resource.spec },
      [{ id: 'e1', key: 'production' }],
      null,
    );
    expect(plan.kind).toBe('write');
  });

  const environments = VERDICTS.filter(
    (row) => row.refused === undefined && row.manifest.includes('kind: Environment'),
  );
  it.each(environments.map((row) => [row.name, row] as const))(
    '%s is valid, not InvalidSpec',
    (_name, row) => {
      const resource = parse(row.manifest.replaceAll('NAMESPACE', 'shop').replaceAll('NAME', 'production'), {
        version: '1.1',
      }) as { spec: unknown };
      expect(validateEnvironmentSpec(resource.spec)).toMatchObject({ ok: true });
    },
  );
});
