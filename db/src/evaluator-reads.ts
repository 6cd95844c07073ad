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

/**
 * Whether the evaluator serves a tenant, by its namespace's labels (an evaluator group's TENANT_SELECTOR);
 * without one, every tenant.
 */
/** Whether a tenant is served, by its namespace's labels: null while the operator has not recorded them. */
export type TenantFilter = (labels: Readonly<Record<string, string>> | null) => boolean;

export async function listActiveEnvironments(
  client: pg.ClientBase,
  serves?: TenantFilter,
): Promise<EnvironmentRevision[]> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<{
      environment_id: string;
      tenant_id: string;
      revision: string;
      tenant_labels: Record<string, string> | null;
    }>('SELECT environment_id, tenant_id, revision, tenant_labels FROM xc_active_environments()'),
  );
  const rows = serves ? result.rows.filter((row) => serves(row.tenant_labels)) : result.rows;
  return rows.map((row) => ({
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
  tenant_labels: Record<string, string> | null;
};
const toIdentity = (row: KeyRow): ApiKeyIdentity => ({
  keyHash: row.key_hash,
  apiKeyId: row.api_key_id,
  tenantId: row.tenant_id,
  environmentId: row.environment_id,
  kind: row.kind === 'client' ? 'client' : 'server',
  rateLimitPerSecond: row.rate_limit_per_second,
});
const KEY_COLUMNS =
  'key_hash, api_key_id, tenant_id, environment_id, kind, rate_limit_per_second, tenant_labels';

export async function listActiveApiKeys(
  client: pg.ClientBase,
  serves?: TenantFilter,
): Promise<ApiKeyIdentity[]> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM xc_active_api_keys()`),
  );
  return (serves ? result.rows.filter((row) => serves(row.tenant_labels)) : result.rows).map(toIdentity);
}

/** The active key with this hash; null too when it is of a tenant this evaluator does not serve. */
export async function findApiKey(
  client: pg.ClientBase,
  keyHash: Buffer,
  serves?: TenantFilter,
): Promise<ApiKeyIdentity | null> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM xc_find_api_key($1)`, [keyHash]),
  );
  const row = result.rows[0];
  return row && (!serves || serves(row.tenant_labels)) ? toIdentity(row) : null;
}

/** An environment to load, and the revision of the snapshot the caller has of it (-1: none). */
export interface EnvironmentRequest {
  environmentId: string;
  since?: number;
}

/**
 * Environments of one tenant with their flags and the revisions they belong to, read in one statement (one
 * round trip for a tenant's every environment at start-up) so each environment's flags and revision always
 * agree: a row per flag (one with no flag for an environment without flags), each configuration as text, so
 * no single JSON document of a whole environment is parsed at once. Configurations written at or before an
 * environment's `since` come without their text: the caller has them (its snapshot at `since`). An
 * environment that does not exist (or is not the tenant's) is not in the result.
 */
export async function loadEnvironmentsConfigs(
  client: pg.ClientBase,
  tenantId: string,
  requests: readonly EnvironmentRequest[],
): Promise<Map<string, EnvironmentConfigs>> {
  return withTenant(client, tenantId, async (scoped) => {
    // A row per environment, then one per flag that carries only the flag's columns (a million rows at start-up:
    // no environment id or origins parsed on each); `ordinal` is the request's place. One statement: the rows
    // and revisions are of one moment.
    const result = await scoped.query<{
      ordinal: number;
      revision: string | null;
      cors_allowed_origins: string[] | null;
      key: string | null;
      config_revision: string | null;
      config: string | null;
    }>(
      `WITH e AS (
         SELECT r.ordinal, r.since, e.id, e.revision, e.cors_allowed_origins
         FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS r(environment_id, since, ordinal)
         JOIN environments e ON e.id = r.environment_id AND e.is_active
       )
       SELECT ordinal::int, revision, cors_allowed_origins, NULL::text AS key, NULL::bigint AS config_revision,
              NULL::text AS config
       FROM e
       UNION ALL
       SELECT e.ordinal::int, NULL, NULL, fc.config->>'key', fc.revision,
              CASE WHEN fc.revision > e.since THEN fc.config::text END
       FROM e JOIN flag_configs fc ON fc.environment_id = e.id
       ORDER BY 1, 4 NULLS FIRST`,
      [requests.map((request) => request.environmentId), requests.map((request) => request.since ?? -1)],
    );
    const loaded = new Map<string, EnvironmentConfigs>();
    let environment: EnvironmentConfigs | undefined;
    for (const row of result.rows) {
      if (row.key === null) {
        environment = {
          revision: Number(row.revision),
          corsAllowedOrigins: row.cors_allowed_origins ?? [],
          flags: [],
        };
        loaded.set(requests[row.ordinal - 1]!.environmentId, environment);
      } else
        environment!.flags.push({
          key: row.key,
          revision: Number(row.config_revision),
          ...(row.config === null ? {} : { config: row.config }),
        });
    }
    return loaded;
  });
}

/** One environment's flags (loadEnvironmentsConfigs); null when it does not exist or is not the tenant's. */
export async function loadEnvironmentConfigs(
  client: pg.ClientBase,
  tenantId: string,
  environmentId: string,
  since = -1,
): Promise<EnvironmentConfigs | null> {
  const loaded = await loadEnvironmentsConfigs(client, tenantId, [{ environmentId, since }]);
  return loaded.get(environmentId) ?? null;
}
