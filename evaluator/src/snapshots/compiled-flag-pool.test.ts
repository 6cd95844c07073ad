import { describe, expect, it } from '@jest/globals';
import { DEFAULT_RULE_LIMITS, resolveFlagConfig, validateFeatureFlagSpec } from '../../../core/src/index.ts';
import { CompiledFlagPool } from './compiled-flag-pool.ts';
import { buildSnapshotNow, type SnapshotData } from './snapshot.ts';

const spec = (percentage: number, overrides = {}) => {
  const validated = validateFeatureFlagSpec({ rollout: { percentage }, environments: overrides });
  if (!validated.ok) throw new Error('invalid');
  return validated.value;
};

const environment = (
  environmentId: string,
  specs: Record<string, ReturnType<typeof spec>>,
): SnapshotData => ({
  tenantId: 'tenant',
  environmentId,
  revision: 1,
  corsAllowedOrigins: [],
  flags: Object.entries(specs).map(([key, flagSpec]) => ({
    key,
    revision: 1,
    config: JSON.stringify(resolveFlagConfig({ key, spec: flagSpec }, environmentId)),
  })),
});

describe('CompiledFlagPool', () => {
  it('gives environments whose flag resolves the same one compiled flag, and others their own', () => {
    const pool = new CompiledFlagPool();
    const flags = { same: spec(25), overridden: spec(25, { staging: { rollout: { percentage: 90 } } }) };
    const build = (id: string) =>
      buildSnapshotNow(environment(id, flags), { limits: DEFAULT_RULE_LIMITS, builtAt: 0, pool });
    const production = build('production');
    const staging = build('staging');
    expect(staging.flags.get('same')).toBe(production.flags.get('same'));
    expect(staging.flags.get('overridden')).not.toBe(production.flags.get('overridden'));
    expect(pool.size).toBe(3);
    expect(pool.shared).toBe(1);
  });
});
