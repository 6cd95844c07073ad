import type pg from 'pg';
import { inTransaction } from './tenant-scope.ts';
import type { EnvironmentRef, FlagPlan, StoredFlag } from '../../core/src/index.ts';

/**
 * The SQL the operator runs. Every function takes a client already inside a tenant-scoped transaction
 * (`withTenant`), so each reconcile step commits whole or not at all.
 */

export interface AuditEntry {
  tenantId: string;
  actor: string;
  action: string;
  kind: 'FeatureFlag' | 'Environment';
  resource: string;
  generation: number | null;
  before: unknown;
  after: unknown;
}

export async function appendAudit(client: pg.ClientBase, entry: AuditEntry): Promise<void> {
  await client.query(
    'INSERT INTO audit_log (tenant_id, actor, action, kind, resource, generation, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [
      entry.tenantId,
      entry.actor,
      entry.action,
      entry.kind,
      entry.resource,
      entry.generation,
      entry.before === null ? null : JSON.stringify(entry.before),
      entry.after === null ? null : JSON.stringify(entry.after),
    ],
  );
}

/** The tenant of a namespace, created on first sight. Allowed outside a tenant scope (policy operator_tenants). */
export function ensureTenant(client: pg.ClientBase, namespace: string): Promise<string> {
  return inTransaction(client, async (scoped) => {
    const inserted = await scoped.query<{ id: string }>(
      'INSERT INTO tenants (name, slug) VALUES ($1, $1) ON CONFLICT (slug) DO NOTHING RETURNING id',
      [namespace],
    );
    if (inserted.rows[0]) return inserted.rows[0].id;
    const existing = await scoped.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [
      namespace,
    ]);
    return existing.rows[0]!.id;
  });
}

export async function listEnvironments(client: pg.ClientBase, tenantId: string): Promise<EnvironmentRef[]> {
  const result = await client.query<EnvironmentRef>(
    'SELECT id, key FROM environments WHERE tenant_id = $1 AND is_active ORDER BY key',
    [tenantId],
  );
  return result.rows;
}

export interface EnvironmentRow {
  id: string;
  revision: number;
  /** The row was inserted, or an archived one (its Environment was deleted) was made active again. */
  created: boolean;
}

/**
 * Creates or updates an environment row; makes it the tenant's only default when asked. An Environment deleted
 * and applied again re-activates its old row, and that counts as created: its flags must be written for it again.
 */
export async function upsertEnvironment(
  client: pg.ClientBase,
  input: { tenantId: string; key: string; displayName: string; isDefault: boolean; sourceUid: string },
): Promise<EnvironmentRow> {
  if (input.isDefault) {
    await client.query(
      'UPDATE environments SET is_default = false WHERE tenant_id = $1 AND key <> $2 AND is_default',
      [input.tenantId, input.key],
    );
  }
  const result = await client.query<{ id: string; revision: string; created: boolean }>(
    `WITH before AS (SELECT is_active FROM environments WHERE tenant_id = $1 AND key = $3)
     INSERT INTO environments (tenant_id, name, key, is_default, source_uid) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, key) DO UPDATE SET name = EXCLUDED.name, is_default = EXCLUDED.is_default, is_active = true,
       source_uid = EXCLUDED.source_uid, updated_at = now()
     RETURNING id, revision, (xmax = 0 OR NOT coalesce((SELECT is_active FROM before), true)) AS created`,
    [input.tenantId, input.displayName, input.key, input.isDefault, input.sourceUid],
  );
  const row = result.rows[0]!;
  return { id: row.id, revision: Number(row.revision), created: row.created };
}

export async function deactivateEnvironment(
  client: pg.ClientBase,
  tenantId: string,
  key: string,
): Promise<{ id: string; revision: number } | null> {
  const result = await client.query<{ id: string; revision: string }>(
    `UPDATE environments SET is_active = false, is_default = false, revision = revision + 1, updated_at = now()
     WHERE tenant_id = $1 AND key = $2 AND is_active RETURNING id, revision`,
    [tenantId, key],
  );
  const row = result.rows[0];
  if (!row) return null;
  await client.query('DELETE FROM flag_configs WHERE environment_id = $1', [row.id]);
  return { id: row.id, revision: Number(row.revision) };
}

export async function readFlag(
  client: pg.ClientBase,
  tenantId: string,
  key: string,
): Promise<(StoredFlag & { id: string }) | null> {
  const result = await client.query<{
    id: string;
    generation: string;
    source_uid: string | null;
    spec: unknown;
    environment_ids: string[];
  }>(
    `SELECT f.id, f.generation, f.source_uid, f.spec,
            coalesce(array_agg(fc.environment_id) FILTER (WHERE fc.environment_id IS NOT NULL), '{}') AS environment_ids
     FROM flags f LEFT JOIN flag_configs fc ON fc.flag_id = f.id
     WHERE f.tenant_id = $1 AND f.key = $2 AND f.status <> 'archived'
     GROUP BY f.id`,
    [tenantId, key],
  );
  const row = result.rows[0];
  return row
    ? {
        id: row.id,
        generation: Number(row.generation),
        sourceUid: row.source_uid,
        spec: row.spec,
        environmentIds: row.environment_ids,
      }
    : null;
}

async function bumpRevisions(
  client: pg.ClientBase,
  environmentIds: readonly string[],
): Promise<Map<string, number>> {
  if (environmentIds.length === 0) return new Map();
  const result = await client.query<{ id: string; revision: string }>(
    'UPDATE environments SET revision = revision + 1, updated_at = now() WHERE id = ANY($1::uuid[]) RETURNING id, revision',
    [environmentIds],
  );
  return new Map(result.rows.map((row) => [row.id, Number(row.revision)]));
}

/**
 * Writes a flag, its configuration in every environment (removing those of environments it no longer has),
 * the revision bump of each environment touched, and the plan's audit row. Returns the new revisions.
 */
export async function writeFlag(
  client: pg.ClientBase,
  input: {
    tenantId: string;
    name: string;
    uid: string;
    generation: number;
    actor: string;
    storedId: string | null;
    storedEnvironmentIds: readonly string[];
  },
  plan: Extract<FlagPlan, { kind: 'write' }>,
): Promise<Map<string, number>> {
  const { spec } = plan;
  const values = [
    input.tenantId,
    plan.key,
    input.name,
    spec.description ?? null,
    spec.rollout?.percentage ?? null,
    spec.state === 'ENABLED',
    JSON.stringify(spec),
    input.generation,
    input.uid,
  ];
  const flag = input.storedId
    ? await client.query<{ id: string }>(
        `UPDATE flags SET key = $2, name = $3, description = $4, rollout_percentage = $5, is_enabled = $6, spec = $7, generation = $8,
           source_uid = $9, status = 'active', updated_at = now() WHERE tenant_id = $1 AND id = $10 RETURNING id`,
        [...values, input.storedId],
      )
    : await client.query<{ id: string }>(
        `INSERT INTO flags (tenant_id, key, name, description, rollout_percentage, is_enabled, spec, generation, source_uid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
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
  input: { tenantId: string; uid: string; name: string; actor: string },
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

export interface StoredApiKey {
  id: string;
  name: string;
  prefix: string;
}

export async function listApiKeys(client: pg.ClientBase, environmentId: string): Promise<StoredApiKey[]> {
  const result = await client.query<StoredApiKey>(
    'SELECT id, name, prefix FROM api_keys WHERE environment_id = $1 AND is_active ORDER BY name',
    [environmentId],
  );
  return result.rows;
}

export async function insertApiKey(
  client: pg.ClientBase,
  input: {
    tenantId: string;
    environmentId: string;
    name: string;
    hash: Buffer;
    prefix: string;
    sourceUid: string;
  },
): Promise<void> {
  await client.query(
    'INSERT INTO api_keys (tenant_id, environment_id, name, key_hash, prefix, source_uid) VALUES ($1, $2, $3, $4, $5, $6)',
    [input.tenantId, input.environmentId, input.name, input.hash, input.prefix, input.sourceUid],
  );
}

export async function revokeApiKeys(client: pg.ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length > 0)
    await client.query(
      'UPDATE api_keys SET is_active = false, revoked_at = now() WHERE id = ANY($1::uuid[])',
      [ids],
    );
}

/** Management API reads (inside a tenant scope like the writes). */
export async function findTenant(client: pg.ClientBase, slug: string): Promise<string | null> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1 AND is_active', [slug]),
  );
  return result.rows[0]?.id ?? null;
}

export interface FlagSummary {
  key: string;
  name: string;
  status: string;
  generation: number;
  enabled: boolean;
  rolloutPercentage: number | null;
  updatedAt: string;
}

export async function listFlagSummaries(client: pg.ClientBase, tenantId: string): Promise<FlagSummary[]> {
  const result = await client.query<{
    key: string;
    name: string;
    status: string;
    generation: string;
    is_enabled: boolean;
    rollout_percentage: number | null;
    updated_at: Date;
  }>(
    "SELECT key, name, status, generation, is_enabled, rollout_percentage, updated_at FROM flags WHERE tenant_id = $1 AND status <> 'archived' ORDER BY key",
    [tenantId],
  );
  return result.rows.map((row) => ({
    key: row.key,
    name: row.name,
    status: row.status,
    generation: Number(row.generation),
    enabled: row.is_enabled,
    rolloutPercentage: row.rollout_percentage,
    updatedAt: row.updated_at.toISOString(),
  }));
}

export interface AuditRecord {
  seq: number;
  actor: string;
  action: string;
  kind: string;
  resource: string;
  generation: number | null;
  before: unknown;
  after: unknown;
  createdAt: string;
  hash: string;
}

/** One page of a tenant's audit log in chain order, after sequence number `after`. */
export async function readAuditPage(
  client: pg.ClientBase,
  tenantId: string,
  after: number,
  limit: number,
): Promise<AuditRecord[]> {
  const result = await client.query<{
    seq: string;
    actor: string;
    action: string;
    kind: string;
    resource: string;
    generation: string | null;
    before: unknown;
    after: unknown;
    created_at: Date;
    hash: string;
  }>(
    'SELECT seq, actor, action, kind, resource, generation, before, after, created_at, hash FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [tenantId, after, limit],
  );
  return result.rows.map((row) => ({
    seq: Number(row.seq),
    actor: row.actor,
    action: row.action,
    kind: row.kind,
    resource: row.resource,
    generation: row.generation === null ? null : Number(row.generation),
    before: row.before,
    after: row.after,
    createdAt: row.created_at.toISOString(),
    hash: row.hash,
  }));
}
