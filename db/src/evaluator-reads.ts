import type pg from 'pg';
import { inTransaction, withTenant } from './tenant-scope.ts';

/**
 * The SQL the evaluator runs, all of it: it reads, never writes. Every read is one transaction, which keeps it
 * whole on a shared-session server (see `scopeRoleToTransactions`) and costs a round trip only off the hot path.
 */

export interface EnvironmentRevision {
  environmentId: string;
  tenantId: string;
  revision: number;
}

export interface ApiKeyIdentity {
  keyHash: Buffer;
  apiKeyId: string;
  tenantId: string;
  environmentId: string;
  /** A client key evaluates only flags marked clientSide and never reads the compiled configurations. */
  kind: 'server' | 'client';
  /** Requests per second across the evaluators; null: the release's default. */
  rateLimitPerSecond: number | null;
}

/** One flag of an environment: its configuration's JSON text, unless it is unchanged since the asked revision. */
export interface FlagConfigEntry {
  key: string;
  /** The environment revision that last wrote this configuration. */
  revision: number;
  config?: string;
}

export interface EnvironmentConfigs {
  revision: number;
  /** The web origins allowed to call the evaluation routes with this environment's keys. */
  corsAllowedOrigins: string[];
  /** Every flag, in key order. */
  flags: FlagConfigEntry[];
}

export async function listActiveEnvironments(client: pg.ClientBase): Promise<EnvironmentRevision[]> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<{ environment_id: string; tenant_id: string; revision: string }>(
      'SELECT environment_id, tenant_id, revision FROM xc_active_environments()',
    ),
  );
  return result.rows.map((row) => ({
    environmentId: row.environment_id,
    tenantId: row.tenant_id,
    revision: Number(row.revision),
  }));
}

type KeyRow = {
  key_hash: Buffer;
  api_key_id: string;
  tenant_id: string;
  environment_id: string;
  kind: string;
  rate_limit_per_second: number | null;
};
const toIdentity = (row: KeyRow): ApiKeyIdentity => ({
  keyHash: row.key_hash,
  apiKeyId: row.api_key_id,
  tenantId: row.tenant_id,
  environmentId: row.environment_id,
  kind: row.kind === 'client' ? 'client' : 'server',
  rateLimitPerSecond: row.rate_limit_per_second,
});
const KEY_COLUMNS = 'key_hash, api_key_id, tenant_id, environment_id, kind, rate_limit_per_second';

export async function listActiveApiKeys(client: pg.ClientBase): Promise<ApiKeyIdentity[]> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM xc_active_api_keys()`),
  );
  return result.rows.map(toIdentity);
}

export async function findApiKey(client: pg.ClientBase, keyHash: Buffer): Promise<ApiKeyIdentity | null> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM xc_find_api_key($1)`, [keyHash]),
  );
  return result.rows[0] ? toIdentity(result.rows[0]) : null;
}

/**
 * One environment's flags and the revision they belong to, read in one statement so the two always agree: a row
 * per flag (one with no flag for an environment without flags), each configuration as text, so no single JSON
 * document of the whole environment is parsed at once. Configurations written at or before `since` come
 * without their text: the caller has them (its snapshot at `since`). Null when the environment does not exist
 * (or is not the tenant's).
 */
export async function loadEnvironmentConfigs(
  client: pg.ClientBase,
  tenantId: string,
  environmentId: string,
  since = -1,
): Promise<EnvironmentConfigs | null> {
  return withTenant(client, tenantId, async (scoped) => {
    const result = await scoped.query<{
      revision: string;
      cors_allowed_origins: string[];
      key: string | null;
      config_revision: string | null;
      config: string | null;
    }>(
      `SELECT e.revision, e.cors_allowed_origins, fc.config->>'key' AS key, fc.revision AS config_revision,
              CASE WHEN fc.revision > $2 THEN fc.config::text END AS config
       FROM environments e LEFT JOIN flag_configs fc ON fc.environment_id = e.id
       WHERE e.id = $1 AND e.is_active
       ORDER BY key`,
      [environmentId, since],
    );
    const first = result.rows[0];
    if (!first) return null;
    const flags = result.rows.flatMap((row): FlagConfigEntry[] =>
      row.key === null
        ? []
        : [
            {
              key: row.key,
              revision: Number(row.config_revision),
              ...(row.config === null ? {} : { config: row.config }),
            },
          ],
    );
    return { revision: Number(first.revision), corsAllowedOrigins: first.cors_allowed_origins, flags };
  });
}
