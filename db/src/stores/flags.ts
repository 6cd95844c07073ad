import type pg from 'pg';
import type { Actor, FlagPlan, StoredFlag } from '../../../core/src/index.ts';
import { appendAudit } from './audit.ts';
import { bumpRevisions } from './environments.ts';

// Flags and their per-environment configurations. Every function here runs inside a tenant-scoped
// transaction (withTenant): a write commits the flag, its configurations, the revision bumps and its audit
// row together, or none of them.

export interface FlagSummary {
  key: string;
  name: string;
  /** The FeatureFlag's metadata.name. */
  resourceName: string;
  status: string;
  generation: number;
  enabled: boolean;
  rolloutPercentage: number | null;
  updatedAt: string;
}

type FlagRow = {
  id: string;
  generation: string;
  source_uid: string | null;
  spec: unknown;
  environment_ids: string[];
};

const toStored = (row: FlagRow): StoredFlag & { id: string } => ({
  id: row.id,
  generation: Number(row.generation),
  sourceUid: row.source_uid,
  spec: row.spec,
  environmentIds: row.environment_ids,
});

/** The live (not archived) flag holding `key`, with the environments that have a configuration of it. */
export async function readFlag(
  client: pg.ClientBase,
  tenantId: string,
  key: string,
): Promise<(StoredFlag & { id: string }) | null> {
  const result = await client.query<FlagRow>(
    `SELECT f.id, f.generation, f.source_uid, f.spec,
            coalesce(array_agg(fc.environment_id) FILTER (WHERE fc.environment_id IS NOT NULL), '{}') AS environment_ids
     FROM flags f LEFT JOIN flag_configs fc ON fc.flag_id = f.id
     WHERE f.tenant_id = $1 AND f.key = $2 AND f.status <> 'archived'
     GROUP BY f.id`,
    [tenantId, key],
  );
  return result.rows[0] ? toStored(result.rows[0]) : null;
}

export interface FlagWrite {
  tenantId: string;
  name: string;
  uid: string;
  generation: number;
  actor: Actor;
  /** The row this write replaces (the flag's own, or one whose key it takes over), if any. */
  storedId: string | null;
  storedEnvironmentIds: readonly string[];
}

/**
 * Writes a flag, its configuration in every environment (removing those of environments it no longer has),
 * the revision bump of each environment touched, and the plan's audit row. Returns the new revisions.
 */
export async function writeFlag(
  client: pg.ClientBase,
  input: FlagWrite,
  plan: Extract<FlagPlan, { kind: 'write' }>,
): Promise<Map<string, number>> {
  const { spec } = plan;
  const enabled = spec.state === 'ENABLED';
  const values = [
    input.tenantId,
    plan.key,
    spec.displayName ?? input.name,
    spec.description ?? null,
    spec.rollout?.percentage ?? null,
    enabled,
    JSON.stringify(spec),
    input.generation,
    input.uid,
    input.name,
    enabled ? 'active' : 'inactive',
  ];
  const flag = input.storedId
    ? await client.query<{ id: string }>(
        `UPDATE flags SET key = $2, name = $3, description = $4, rollout_percentage = $5, is_enabled = $6, spec = $7, generation = $8,
           source_uid = $9, resource_name = $10, status = $11, updated_at = now() WHERE tenant_id = $1 AND id = $12 RETURNING id`,
        [...values, input.storedId],
      )
    : await client.query<{ id: string }>(
        `INSERT INTO flags (tenant_id, key, name, description, rollout_percentage, is_enabled, spec, generation, source_uid, resource_name, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
        values,
      );
  const flagId = flag.rows[0]!.id;
  const wanted = plan.configs.map((config) => config.environmentId);
  const dropped = input.storedEnvironmentIds.filter((id) => !wanted.includes(id));
  const revisions = await bumpRevisions(client, [...wanted, ...dropped]);
  if (dropped.length > 0)
    await client.query('DELETE FROM flag_configs WHERE flag_id = $1 AND environment_id = ANY($2::uuid[])', [
      flagId,
      dropped,
    ]);
  for (const { environmentId, config } of plan.configs) {
    await client.query(
      `INSERT INTO flag_configs (flag_id, environment_id, tenant_id, config, revision) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (flag_id, environment_id) DO UPDATE SET config = EXCLUDED.config, revision = EXCLUDED.revision, updated_at = now()`,
      [flagId, environmentId, input.tenantId, JSON.stringify(config), revisions.get(environmentId)],
    );
  }
  if (plan.audit) {
    await appendAudit(client, {
      tenantId: input.tenantId,
      actor: input.actor,
      action: plan.audit.action,
      kind: 'FeatureFlag',
      resource: input.name,
      generation: input.generation,
      before: plan.audit.before,
      after: plan.audit.after,
    });
  }
  return revisions;
}

/** Archives a deleted flag: the row stays (the audit trail names it), its configurations go. */
export async function archiveFlag(
  client: pg.ClientBase,
  input: { tenantId: string; uid: string; name: string; actor: Actor },
): Promise<Map<string, number>> {
  const flag = await client.query<{ id: string; generation: string; spec: unknown }>(
    `UPDATE flags SET status = 'archived', updated_at = now() WHERE tenant_id = $1 AND source_uid = $2 AND status <> 'archived' RETURNING id, generation, spec`,
    [input.tenantId, input.uid],
  );
  const row = flag.rows[0];
  if (!row) return new Map();
  const configs = await client.query<{ environment_id: string }>(
    'DELETE FROM flag_configs WHERE flag_id = $1 RETURNING environment_id',
    [row.id],
  );
  const revisions = await bumpRevisions(
    client,
    configs.rows.map((config) => config.environment_id),
  );
  await appendAudit(client, {
    tenantId: input.tenantId,
    actor: input.actor,
    action: 'archive',
    kind: 'FeatureFlag',
    resource: input.name,
    generation: Number(row.generation),
    before: row.spec,
    after: null,
  });
  return revisions;
}

type SummaryRow = {
  key: string;
  name: string;
  resource_name: string;
  status: string;
  generation: string;
  is_enabled: boolean;
  rollout_percentage: number | null;
  updated_at: Date;
};

const toSummary = (row: SummaryRow): FlagSummary => ({
  key: row.key,
  name: row.name,
  resourceName: row.resource_name,
  status: row.status,
  generation: Number(row.generation),
  enabled: row.is_enabled,
  rolloutPercentage: row.rollout_percentage,
  updatedAt: row.updated_at.toISOString(),
});

/** The tenant's live flags, for the management API. */
export async function listFlagSummaries(client: pg.ClientBase, tenantId: string): Promise<FlagSummary[]> {
  const result = await client.query<SummaryRow>(
    "SELECT key, name, resource_name, status, generation, is_enabled, rollout_percentage, updated_at FROM flags WHERE tenant_id = $1 AND status <> 'archived' ORDER BY key",
    [tenantId],
  );
  return result.rows.map(toSummary);
}
