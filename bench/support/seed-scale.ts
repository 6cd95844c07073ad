import type pg from 'pg';
import type { FeatureFlagSpecInput } from '../../core/src/index.ts';
import {
  putFlag,
  seedApiKey,
  seedEnvironment,
  type SeededEnvironment,
} from '../../tests/support/seed-rows.ts';

export interface ScaleShape {
  flags: number;
  namespaces: number;
  environmentsPerNamespace: number;
}

/**
 * Fills a database as `shape` says: namespaces (tenants) with their environments, and the flags spread evenly,
 * each configured in every environment of its namespace (half rollouts, half targeting rules). Returns an API
 * key and a flag of the first environment.
 */
export async function seedScale(
  owner: pg.Client,
  shape: ScaleShape,
): Promise<{ key: string; environments: SeededEnvironment[] }> {
  const environments: SeededEnvironment[] = [];
  let key = '';
  const perNamespace = Math.ceil(shape.flags / shape.namespaces);
  for (let n = 0; n < shape.namespaces; n++) {
    const own: SeededEnvironment[] = [];
    for (let e = 0; e < shape.environmentsPerNamespace; e++)
      own.push(await seedEnvironment(owner, `tenant-${n}`, `env-${e}`));
    if (n === 0) key = await seedApiKey(owner, own[0]!);
    for (let f = 0; f < perNamespace && n * perNamespace + f < shape.flags; f++) {
      const spec: FeatureFlagSpecInput =
        f % 2 === 0
          ? { rollout: { percentage: f % 101 } }
          : {
              variants: { a: 'A', b: 'B', c: 'C' },
              defaultVariant: 'a',
              targeting: {
                if: [
                  { in: [{ var: 'plan' }, ['gold', 'platinum']] },
                  'b',
                  { fractional: [{ var: 'targetingKey' }, ['a', 50], ['c', 50]] },
                ],
              },
            };
      for (const environment of own) await putFlag(owner, environment, `flag-${f}`, spec);
    }
    environments.push(...own);
  }
  return { key, environments };
}
