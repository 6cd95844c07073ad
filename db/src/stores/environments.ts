import type pg from 'pg';

// Environments and their revisions. Every function here runs inside a tenant-scoped transaction (withTenant).

export interface EnvironmentRow {
  id: string;
  revision: number;
  /** The row was inserted, or an archived one (its Environment was deleted) was made active again. */
  created: boolean;
  /** What the evaluators read from the row itself (its CORS origins) changed: the revision was bumped. */
  settingsChanged: boolean;
  /** The CORS origins it had before this write ([] for a new row). */
  previousOrigins: string[];
}

/**
 * Creates or updates an environment row; makes it the tenant's only default when asked. An Environment deleted
 * and applied again re-activates its old row, and that counts as created: its flags must be written for it again.
 */
export async function upsertEnvironment(
  client: pg.ClientBase,
  input: {
    tenantId: string;
    key: string;
    displayName: string;
    isDefault: boolean;
    corsAllowedOrigins: readonly string[];
    sourceUid: string;
  },
): Promise<EnvironmentRow> {
  if (input.isDefault) {
    await client.query(
      'UPDATE environments SET is_default = false WHERE tenant_id = $1 AND key <> $2 AND is_default',
      [input.tenantId, input.key],
    );
  }
  const result = await client.query<{
    id: string;
    revision: string;
    created: boolean;
    settings_changed: boolean;
    previous_origins: string[] | null;
  }>(
    `WITH before AS (SELECT is_active, cors_allowed_origins FROM environments WHERE tenant_id = $1 AND key = $3)
     INSERT INTO environments (tenant_id, name, key, is_default, cors_allowed_origins, source_uid)
     VALUES ($1, $2, $3, $4, $6, $5)
     ON CONFLICT (tenant_id, key) DO UPDATE SET name = EXCLUDED.name, is_default = EXCLUDED.is_default, is_active = true,
       cors_allowed_origins = EXCLUDED.cors_allowed_origins,
       revision = environments.revision
         + CASE WHEN environments.cors_allowed_origins IS DISTINCT FROM EXCLUDED.cors_allowed_origins THEN 1 ELSE 0 END,
       source_uid = EXCLUDED.source_uid, updated_at = now()
     RETURNING id, revision, (xmax = 0 OR NOT coalesce((SELECT is_active FROM before), true)) AS created,
       coalesce((SELECT cors_allowed_origins FROM before), '{}') IS DISTINCT FROM cors_allowed_origins AS settings_changed,
       (SELECT cors_allowed_origins FROM before) AS previous_origins`,
    [
      input.tenantId,
      input.displayName,
      input.key,
      input.isDefault,
      input.sourceUid,
      input.corsAllowedOrigins,
    ],
  );
  const row = result.rows[0]!;
  return {
    id: row.id,
    revision: Number(row.revision),
    created: row.created,
    settingsChanged: row.settings_changed,
    previousOrigins: row.previous_origins ?? [],
  };
}

/** Archives an environment: inactive, no longer the default, its configurations gone, its revision bumped. */
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

/** Bumps each environment's revision; returns the new revision of each. */
export async function bumpRevisions(
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
