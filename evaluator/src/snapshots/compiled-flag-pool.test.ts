import { describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_RULE_LIMITS, resolveFlagConfig, validateFeatureFlagSpec } from '../../../core/src/index.ts';
import { CompiledFlagPool } from './compiled-flag-pool.ts';
import { buildSnapshotNow, dataOf, type SnapshotData } from './snapshot.ts';

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

  it('lets go of flags no snapshot holds any more', async () => {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const pool = new CompiledFlagPool();
    const flags = { a: spec(10), b: spec(20) };
    const held = [
      buildSnapshotNow(environment('production', flags), { limits: DEFAULT_RULE_LIMITS, builtAt: 0, pool }),
    ];
    expect(pool.size).toBe(2);
    held.length = 0;
    // A WeakRef's target outlives the job that last reached it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collect();
    expect(pool.size).toBe(0);
  });

  it('finds a reloaded environment’s unchanged flags again, from its cached copy too', () => {
    const pool = new CompiledFlagPool();
    const flags = { a: spec(10), b: spec(20) };
    const options = { limits: DEFAULT_RULE_LIMITS, builtAt: 0, pool };
    const first = buildSnapshotNow(environment('production', flags), options);
    const copy = dataOf(first);
    expect(copy.flags.map((flag) => flag.revision)).toEqual([first.revision, first.revision]);
    const again = buildSnapshotNow(copy, { ...options, previous: first });
    expect(again.flags.get('a')).toBe(first.flags.get('a'));
    expect(again.flags.get('b')).toBe(first.flags.get('b'));
    expect(pool.shared).toBe(2);
  });
});
