import type pg from 'pg';

// API keys: only their SHA-256 and a displayable prefix are stored. Every function here runs inside a
// tenant-scoped transaction (withTenant).

export interface StoredApiKey {
  id: string;
  name: string;
  prefix: string;
  kind: 'server' | 'client';
  /** When the key was issued, as an ISO 8601 instant. */
  createdAt: string;
}

export async function listApiKeys(client: pg.ClientBase, environmentId: string): Promise<StoredApiKey[]> {
  const result = await client.query<Omit<StoredApiKey, 'createdAt'> & { created_at: Date }>(
    'SELECT id, name, prefix, kind, created_at FROM api_keys WHERE environment_id = $1 AND is_active ORDER BY name',
    [environmentId],
  );
  return result.rows.map(({ created_at, ...key }) => ({ ...key, createdAt: created_at.toISOString() }));
}

export async function insertApiKey(
  client: pg.ClientBase,
  input: {
    tenantId: string;
    environmentId: string;
    name: string;
    hash: Buffer;
    prefix: string;
    kind: 'server' | 'client';
    sourceUid: string;
  },
): Promise<void> {
  await client.query(
    'INSERT INTO api_keys (tenant_id, environment_id, name, key_hash, prefix, kind, source_uid) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [input.tenantId, input.environmentId, input.name, input.hash, input.prefix, input.kind, input.sourceUid],
  );
}

/** A key keeps its secret and changes what it may do. */
export async function setApiKeyKind(
  client: pg.ClientBase,
  id: string,
  kind: 'server' | 'client',
): Promise<void> {
  await client.query('UPDATE api_keys SET kind = $2 WHERE id = $1 AND is_active', [id, kind]);
}

export async function revokeApiKeys(client: pg.ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length > 0)
    await client.query(
      'UPDATE api_keys SET is_active = false, revoked_at = now() WHERE id = ANY($1::uuid[])',
      [ids],
    );
}
