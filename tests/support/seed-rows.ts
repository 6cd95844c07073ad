import type pg from 'pg';
import type { Redis } from 'ioredis';
import {
  INVALIDATE_CHANNEL,
  resolveFlagConfig,
  validateFeatureFlagSpec,
  DEFAULT_RULE_LIMITS,
  formatIssues,
  ruleIssues,
  type FeatureFlagSpecInput,
  type InvalidationMessage,
} from '../../core/src/index.ts';
import { generateApiKey } from '../../db/src/api-key-material.ts';

/**
 * Writes rows the way the operator does (one transaction per change: flag, configs, revision bump, audit row),
 * so evaluator suites can run without a Kubernetes control plane. Uses an owner connection.
 */
export interface SeededEnvironment {
  tenantId: string;
  environmentId: string;
  environmentKey: string;
}

export async function seedEnvironment(
  client: pg.ClientBase,
  tenantSlug: string,
  environmentKey = 'production',
): Promise<SeededEnvironment> {
  const tenant = await client.query<{ id: string }>(
    'INSERT INTO tenants (name, slug) VALUES ($1, $1) ON CONFLICT (slug) DO UPDATE SET updated_at = now() RETURNING id',
    [tenantSlug],
  );
  const tenantId = tenant.rows[0]!.id;
  const environment = await client.query<{ id: string }>(
    'INSERT INTO environments (tenant_id, name, key) VALUES ($1, $2, $2) RETURNING id',
    [tenantId, environmentKey],
  );
  return { tenantId, environmentId: environment.rows[0]!.id, environmentKey };
}

export async function seedApiKey(
  client: pg.ClientBase,
  environment: SeededEnvironment,
  name = 'service',
  kind: 'server' | 'client' = 'server',
): Promise<string> {
  const material = generateApiKey();
  await client.query(
    'INSERT INTO api_keys (tenant_id, environment_id, name, key_hash, prefix, kind) VALUES ($1, $2, $3, $4, $5, $6)',
    [environment.tenantId, environment.environmentId, name, material.hash, material.prefix, kind],
  );
  return material.key;
}

/** Sets the environment's CORS origins as the operator does (a new revision); returns the revision. */
export async function setCorsOrigins(
  client: pg.ClientBase,
  environment: SeededEnvironment,
  origins: readonly string[],
): Promise<number> {
  const result = await client.query<{ revision: string }>(
    'UPDATE environments SET cors_allowed_origins = $2, revision = revision + 1 WHERE id = $1 RETURNING revision',
    [environment.environmentId, origins],
  );
  return Number(result.rows[0]!.revision);
}

export async function revokeApiKeys(client: pg.ClientBase, environment: SeededEnvironment): Promise<void> {
  await client.query('UPDATE api_keys SET is_active = false, revoked_at = now() WHERE environment_id = $1', [
    environment.environmentId,
  ]);
}

/** Creates or changes a flag in one transaction and returns the environment's new revision. */
export async function putFlag(
  client: pg.ClientBase,
  environment: SeededEnvironment,
  key: string,
  input: FeatureFlagSpecInput,
  options: { checkRules?: boolean } = {},
): Promise<number> {
  const validated = validateFeatureFlagSpec(input);
  if (!validated.ok) throw new Error(`invalid spec for ${key}: ${formatIssues(validated.issues)}`);
  const spec = validated.value;
  // What the operator would refuse is not written here either, unless a suite needs what the evaluator makes
  // of a configuration no operator would write.
  const refused = options.checkRules === false ? [] : ruleIssues(spec, DEFAULT_RULE_LIMITS);
  if (refused.length > 0) throw new Error(`rules of ${key} over the limits: ${formatIssues(refused)}`);
  const config = resolveFlagConfig({ key, spec }, environment.environmentKey);
  await client.query('BEGIN');
  try {
    const flag = await client.query<{ id: string; generation: string }>(
      `INSERT INTO flags (tenant_id, key, name, resource_name, is_enabled, rollout_percentage, spec, generation)
       VALUES ($1, $2, $2, $2, $3, $4, $5, 1)
       ON CONFLICT (tenant_id, key) WHERE status <> 'archived'
       DO UPDATE SET spec = EXCLUDED.spec, is_enabled = EXCLUDED.is_enabled, rollout_percentage = EXCLUDED.rollout_percentage,
                     generation = flags.generation + 1, updated_at = now()
       RETURNING id, generation`,
      [environment.tenantId, key, spec.state === 'ENABLED', spec.rollout?.percentage ?? null, spec],
    );
    const revision = await client.query<{ revision: string }>(
      'UPDATE environments SET revision = revision + 1 WHERE id = $1 RETURNING revision',
      [environment.environmentId],
    );
    await client.query(
      `INSERT INTO flag_configs (flag_id, environment_id, tenant_id, config, revision) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (flag_id, environment_id) DO UPDATE SET config = EXCLUDED.config, revision = EXCLUDED.revision, updated_at = now()`,
      [flag.rows[0]!.id, environment.environmentId, environment.tenantId, config, revision.rows[0]!.revision],
    );
    await client.query(
      "INSERT INTO audit_log (tenant_id, actor, actor_source, action, kind, resource, generation, after) VALUES ($1, 'test', 'field-manager', 'apply', 'FeatureFlag', $2, $3, $4)",
      [environment.tenantId, key, flag.rows[0]!.generation, spec],
    );
    await client.query('COMMIT');
    return Number(revision.rows[0]!.revision);
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

export async function announce(redis: Redis, message: InvalidationMessage): Promise<void> {
  await redis.publish(INVALIDATE_CHANNEL, JSON.stringify(message));
}
