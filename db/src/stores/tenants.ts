import type pg from 'pg';
import { inTransaction } from '../tenant-scope.ts';

// Tenants: one per namespace, created on first sight. The operator's role may see every tenant row (policy
// operator_tenants), so these run before any tenant scope exists; called inside a transaction, they join it.

export async function ensureTenant(client: pg.ClientBase, namespace: string): Promise<string> {
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

/** The active tenant of a namespace, or null. */
export async function findTenant(client: pg.ClientBase, slug: string): Promise<string | null> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1 AND is_active', [slug]),
  );
  return result.rows[0]?.id ?? null;
}

/** The namespace of an active tenant, by its id, or null. */
export async function findTenantNamespace(client: pg.ClientBase, id: string): Promise<string | null> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<{ slug: string }>('SELECT slug FROM tenants WHERE id = $1 AND is_active', [id]),
  );
  return result.rows[0]?.slug ?? null;
}

/** Every active tenant: its id and namespace, by namespace. */
export async function listTenants(client: pg.ClientBase): Promise<{ id: string; namespace: string }[]> {
  const result = await inTransaction(client, (scoped) =>
    scoped.query<{ id: string; namespace: string }>(
      'SELECT id, slug AS namespace FROM tenants WHERE is_active ORDER BY slug',
    ),
  );
  return result.rows;
}
