import type pg from 'pg';
import type { FlagStatus, StoredFlagRow } from '../../../core/src/index.ts';

// The management API's reads of flags kept in Postgres: archived ones (their FeatureFlag is gone) and the rows
// beside live ones. Every function here runs inside a tenant-scoped transaction (withTenant).

type Row = {
  id: string;
  source_uid: string | null;
  key: string;
  name: string;
  description: string | null;
  is_enabled: boolean;
  rollout_percentage: number | null;
  status: FlagStatus;
  spec: unknown;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS =
  'id, source_uid, key, name, description, is_enabled, rollout_percentage, status, spec, created_at, updated_at';

const toStored = (row: Row): StoredFlagRow => ({
  id: row.id,
  sourceUid: row.source_uid,
  key: row.key,
  name: row.name,
  description: row.description,
  isEnabled: row.is_enabled,
  rolloutPercentage: row.rollout_percentage,
  status: row.status,
  spec: row.spec,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** One page of the tenant's archived flags, newest first, whose key or name holds `search` (any case). */
export async function listArchivedFlags(
  client: pg.ClientBase,
  tenantId: string,
  page: { offset: number; limit: number; search?: string },
): Promise<{ rows: StoredFlagRow[]; total: number }> {
  const search = page.search ? `%${page.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const where =
    "tenant_id = $1 AND status = 'archived' AND ($2::text IS NULL OR key ILIKE $2 OR name ILIKE $2)";
  const rows = await client.query<Row>(
    `SELECT ${COLUMNS} FROM flags WHERE ${where} ORDER BY updated_at DESC, key LIMIT $3 OFFSET $4`,
    [tenantId, search, page.limit, page.offset],
  );
  const total = await client.query<{ total: number }>(
    `SELECT count(*)::int AS total FROM flags WHERE ${where}`,
    [tenantId, search],
  );
  return { rows: rows.rows.map(toStored), total: total.rows[0]!.total };
}

/** The most recently archived row of `key`, or null. */
export async function readArchivedFlag(
  client: pg.ClientBase,
  tenantId: string,
  key: string,
): Promise<StoredFlagRow | null> {
  const result = await client.query<Row>(
    `SELECT ${COLUMNS} FROM flags WHERE tenant_id = $1 AND key = $2 AND status = 'archived' ORDER BY updated_at DESC LIMIT 1`,
    [tenantId, key],
  );
  return result.rows[0] ? toStored(result.rows[0]) : null;
}
