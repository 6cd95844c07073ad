import type pg from 'pg';
import {
  resolveFlagConfig,
  validateFeatureFlagSpec,
  formatIssues,
  type FeatureFlagSpecInput,
} from '../../core/src/index.ts';
import { seedApiKey, type SeededEnvironment } from '../../tests/support/seed-rows.ts';

export interface ScaleShape {
  flags: number;
  namespaces: number;
  environmentsPerNamespace: number;
}

const TARGETING_RULE: FeatureFlagSpecInput['targeting'] = {
  if: [
    { in: [{ var: 'plan' }, ['gold', 'platinum']] },
    'b',
    { fractional: [{ var: 'targetingKey' }, ['a', 50], ['c', 50]] },
  ],
};

/**
 * The spec of a namespace's `f`th flag: half rollouts, half targeting rules with a fractional split, as an
 * install mostly has them: the same in every environment. One in ten differs in every environment but the
 * first (a rollout percentage, or a rule, per environment), one in ten in one other environment only. The
 * first environment is what one of 100 flags in one environment has always seeded (bench:evaluator).
 */
export function scaleFlagSpec(f: number, environmentKeys: readonly string[]): FeatureFlagSpecInput {
  const base: FeatureFlagSpecInput =
    f % 2 === 0
      ? { rollout: { percentage: f % 101 } }
      : { variants: { a: 'A', b: 'B', c: 'C' }, defaultVariant: 'a', targeting: TARGETING_RULE };
  const others = environmentKeys.slice(1);
  const overridden = f % 10 === 8 ? others : f % 10 === 9 ? others.slice(0, 1) : [];
  if (overridden.length === 0) return base;
  const override = (e: number) =>
    f % 2 === 0
      ? { rollout: { percentage: (f + 7 * (e + 1)) % 101 } }
      : { targeting: { if: [{ '==': [{ var: 'region' }, `region-${e}`] }, 'c', null] } };
  return { ...base, environments: Object.fromEntries(overridden.map((key, e) => [key, override(e)])) };
}

/**
 * A namespace's flag key, in SQL (`t` its tenant, `s.key` the key `flag-3`): `flag-3` in the first namespace
 * (what the benches evaluate), `ns-7-flag-3` in the eighth, so no two namespaces hold the same configuration,
 * as tenants do not share flags.
 */
const KEY_IN_NAMESPACE = `CASE split_part(t.slug, '-', 2) WHEN '0' THEN s.key ELSE 'ns-' || split_part(t.slug, '-', 2) || '-' || s.key END`;

/**
 * Fills a database as `shape` says, in a few statements (generate_series and unnest, not a round trip per row,
 * so a million configurations take seconds): namespaces (tenants) with their environments (`env-0`, `env-1`,
 * ...), and the flags spread evenly, each configured in every environment of its namespace (scaleFlagSpec).
 * Every namespace holds the same flags but for their keys (KEY_IN_NAMESPACE), so the configurations are resolved
 * once, here, and given each namespace's keys in SQL.
 * Returns an API key of the first environment, and the environments.
 */
export async function seedScale(
  owner: pg.Client,
  shape: ScaleShape,
): Promise<{ key: string; environments: SeededEnvironment[] }> {
  const perNamespace = Math.ceil(shape.flags / shape.namespaces);
  const environmentKeys = Array.from({ length: shape.environmentsPerNamespace }, (_, e) => `env-${e}`);
  const flagKeys: string[] = [];
  const specs: string[] = [];
  const configRows: { flag: string[]; environment: string[]; config: string[] } = {
    flag: [],
    environment: [],
    config: [],
  };
  for (let f = 0; f < perNamespace; f++) {
    const key = `flag-${f}`;
    const validated = validateFeatureFlagSpec(scaleFlagSpec(f, environmentKeys));
    if (!validated.ok) throw new Error(`invalid spec for ${key}: ${formatIssues(validated.issues)}`);
    flagKeys.push(key);
    specs.push(JSON.stringify(validated.value));
    for (const environmentKey of environmentKeys) {
      configRows.flag.push(key);
      configRows.environment.push(environmentKey);
      configRows.config.push(
        JSON.stringify(resolveFlagConfig({ key, spec: validated.value }, environmentKey)),
      );
    }
  }
  await owner.query('BEGIN');
  try {
    await owner.query(
      `INSERT INTO tenants (name, slug) SELECT 'tenant-' || n, 'tenant-' || n FROM generate_series(0, $1 - 1) n`,
      [shape.namespaces],
    );
    // Revision 1: every configuration below is written at it.
    await owner.query(
      `INSERT INTO environments (tenant_id, name, key, revision)
       SELECT t.id, e.key, e.key, 1 FROM tenants t CROSS JOIN unnest($1::text[]) AS e(key)`,
      [environmentKeys],
    );
    // A namespace's flags are the first of its share that the total leaves it (the last may hold fewer).
    const tenantFlags = `FROM tenants t CROSS JOIN unnest($1::text[]) WITH ORDINALITY AS s(key, ordinal)
       WHERE split_part(t.slug, '-', 2)::int * $2 + s.ordinal <= $3`;
    await owner.query(
      `INSERT INTO flags (tenant_id, key, name, resource_name, is_enabled, rollout_percentage, spec, generation)
       SELECT t.id, ${KEY_IN_NAMESPACE}, ${KEY_IN_NAMESPACE}, ${KEY_IN_NAMESPACE}, true, ((($4::jsonb[])[s.ordinal])->'rollout'->>'percentage')::int, ($4::jsonb[])[s.ordinal], 1
       ${tenantFlags}`,
      [flagKeys, perNamespace, shape.flags, specs],
    );
    await owner.query(
      `INSERT INTO flag_configs (flag_id, environment_id, tenant_id, config, revision)
       SELECT f.id, e.id, t.id, jsonb_set(c.config, '{key}', to_jsonb(f.key)), 1
       FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS c(key, environment_key, config)
       CROSS JOIN tenants t
       JOIN flags f ON f.tenant_id = t.id AND f.key = ${KEY_IN_NAMESPACE.replaceAll('s.key', 'c.key')}
       JOIN environments e ON e.tenant_id = t.id AND e.key = c.environment_key`,
      [configRows.flag, configRows.environment, configRows.config],
    );
    await owner.query('COMMIT');
  } catch (error) {
    await owner.query('ROLLBACK');
    throw error;
  }
  await owner.query('ANALYZE tenants, environments, flags, flag_configs');
  const rows = await owner.query<{ tenant_id: string; id: string; key: string }>(
    `SELECT e.tenant_id, e.id, e.key FROM environments e JOIN tenants t ON t.id = e.tenant_id
     ORDER BY split_part(t.slug, '-', 2)::int, split_part(e.key, '-', 2)::int`,
  );
  const environments = rows.rows.map((row) => ({
    tenantId: row.tenant_id,
    environmentId: row.id,
    environmentKey: row.key,
  }));
  const key = await seedApiKey(owner, environments[0]!);
  return { key, environments };
}
