import type pg from 'pg';
import type { Actor, EnvironmentRef, FlagPlan, StoredFlag } from '../../../core/src/index.ts';
import { appendAudit } from './audit.ts';
import { bumpRevisions } from './environments.ts';

// Flags and their per-environment configurations. The reconcile's read and write are one statement each
// (db/migrations/1764600000000_flag-writes-in-one-statement.sql), which sets the tenant scope itself; the rest
// run inside a tenant-scoped transaction (withTenant). A write commits the flag, its configurations, the
// revision bumps and its audit row together, or none of them.

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

/** What a FeatureFlag's decision reads: the tenant's active environments and the live flag holding its key. */
export interface FlagState {
  environments: EnvironmentRef[];
  stored: (StoredFlag & { id: string }) | null;
}

/** Reads a flag's state in one statement (xc_flag_state); inside a transaction or as one of its own. */
export async function readFlagState(
  client: pg.ClientBase | pg.Pool,
  tenantId: string,
  key: string,
): Promise<FlagState> {
  const result = await client.query<{ state: { environments: EnvironmentRef[]; stored: StoredRow | null } }>(
    'SELECT xc_flag_state($1, $2) AS state',
    [tenantId, key],
  );
  const { environments, stored } = result.rows[0]!.state;
  return {
    environments,
    stored: stored && {
      id: stored.id,
      generation: Number(stored.generation),
      sourceUid: stored.sourceUid,
      spec: stored.spec,
      environmentIds: stored.environmentIds,
    },
  };
}

type StoredRow = {
  id: string;
  generation: number;
  sourceUid: string | null;
  spec: unknown;
  environmentIds: string[];
};

export interface FlagWrite {
  tenantId: string;
  name: string;
  uid: string;
  generation: number;
  actor: Actor;
  /** The row this write replaces (the flag's own, or one whose key it takes over), as read; null for none. */
  stored: Pick<StoredFlag & { id: string }, 'id' | 'generation' | 'sourceUid' | 'environmentIds'> | null;
}

/** SQLSTATE of xc_write_flag's refusal: the row it was to replace changed after it was read. */
export const STALE_FLAG_STATE = 'XC001';

/**
 * Writes a flag in one statement (xc_write_flag), so in one transaction: the flag, its configuration in every
 * environment (removing those of environments it no longer has), the revision bump of each environment
 * touched, and the plan's audit row. Returns the new revisions. Refused with STALE_FLAG_STATE when the row it
 * replaces is no longer as read.
 */
export async function writeFlag(
  client: pg.ClientBase | pg.Pool,
  input: FlagWrite,
  plan: Extract<FlagPlan, { kind: 'write' }>,
): Promise<Map<string, number>> {
  const { spec } = plan;
  const enabled = spec.state === 'ENABLED';
  const wanted = plan.configs.map((config) => config.environmentId);
  const change = {
    storedId: input.stored?.id ?? null,
    storedGeneration: input.stored?.generation ?? null,
    storedSourceUid: input.stored?.sourceUid ?? null,
    flag: {
      key: plan.key,
      name: spec.displayName ?? input.name,
      description: spec.description ?? null,
      rolloutPercentage: spec.rollout?.percentage ?? null,
      isEnabled: enabled,
      spec,
      generation: input.generation,
      sourceUid: input.uid,
      resourceName: input.name,
      status: enabled ? 'active' : 'inactive',
    },
    wanted,
    dropped: (input.stored?.environmentIds ?? []).filter((id) => !wanted.includes(id)),
    configs: plan.configs,
    audit: plan.audit && {
      actor: input.actor.name,
      actorSource: input.actor.source,
      actorEmail: input.actor.email ?? null,
      action: plan.audit.action,
      resource: input.name,
      generation: input.generation,
      before: plan.audit.before ?? null,
      after: plan.audit.after ?? null,
    },
  };
  const result = await client.query<{ revisions: Record<string, string | number> }>(
    'SELECT xc_write_flag($1, $2) AS revisions',
    [input.tenantId, JSON.stringify(change)],
  );
  return new Map(Object.entries(result.rows[0]!.revisions).map(([id, revision]) => [id, Number(revision)]));
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
