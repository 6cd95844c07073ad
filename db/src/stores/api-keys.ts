import type pg from 'pg';

// API keys: only their SHA-256 and a displayable prefix are stored. Every function here runs inside a
// tenant-scoped transaction (withTenant).

export interface StoredApiKey {
  id: string;
  name: string;
  prefix: string;
  kind: 'server' | 'client';
  rateLimitPerSecond: number | null;
  /** When the key was issued, as an ISO 8601 instant. */
  createdAt: string;
}

export async function listApiKeys(client: pg.ClientBase, environmentId: string): Promise<StoredApiKey[]> {
  const result = await client.query<
    Omit<StoredApiKey, 'createdAt' | 'rateLimitPerSecond'> & {
      created_at: Date;
      rate_limit_per_second: number | null;
    }
  >(
    `SELECT id, name, prefix, kind, rate_limit_per_second, created_at FROM api_keys
     WHERE environment_id = $1 AND is_active ORDER BY name`,
    [environmentId],
  );
  return result.rows.map(({ created_at, rate_limit_per_second, ...key }) => ({
    ...key,
    rateLimitPerSecond: rate_limit_per_second,
    createdAt: created_at.toISOString(),
  }));
}

/** What a key may do besides being valid: its kind, and its own rate limit (null: the release's default). */
export interface ApiKeySettings {
  kind: 'server' | 'client';
  rateLimitPerSecond: number | null;
}

export async function insertApiKey(
  client: pg.ClientBase,
  input: ApiKeySettings & {
    tenantId: string;
    environmentId: string;
    name: string;
    hash: Buffer;
    prefix: string;
    sourceUid: string;
  },
): Promise<void> {
  await client.query(
    `INSERT INTO api_keys (tenant_id, environment_id, name, key_hash, prefix, kind, rate_limit_per_second, source_uid)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      input.tenantId,
      input.environmentId,
      input.name,
      input.hash,
      input.prefix,
      input.kind,
      input.rateLimitPerSecond,
      input.sourceUid,
    ],
  );
}

/** A key keeps its secret and changes what it may do. */
export async function updateApiKey(
  client: pg.ClientBase,
  id: string,
  settings: ApiKeySettings,
): Promise<void> {
  await client.query(
    'UPDATE api_keys SET kind = $2, rate_limit_per_second = $3 WHERE id = $1 AND is_active',
    [id, settings.kind, settings.rateLimitPerSecond],
  );
}

export async function revokeApiKeys(client: pg.ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length > 0)
    await client.query(
      'UPDATE api_keys SET is_active = false, revoked_at = now() WHERE id = ANY($1::uuid[])',
      [ids],
    );
}
