import type pg from 'pg';

/** The Postgres roles the applications act as; row-level security applies to both. */
export type AppRole = 'xc_operator' | 'xc_evaluator';

const transactionRoles = new WeakMap<pg.ClientBase, AppRole>();
/** Clients inside a transaction of ours: a nested one joins it rather than committing it early. */
const inside = new WeakSet<pg.ClientBase>();

/**
 * Makes every transaction on `client` take `role` itself (SET LOCAL ROLE) instead of relying on the session's
 * role. For servers where every connection shares one session (PGlite behind pglite-socket): there a SET ROLE
 * by one app's connection would change the role of the other app's connections too.
 */
export function scopeRoleToTransactions(client: pg.ClientBase, role: AppRole): void {
  transactionRoles.set(client, role);
}

/**
 * Runs `work` in one transaction: commits when it resolves, rolls back when it throws. Nothing partial is ever
 * written, and on a shared-session server no other connection's statement interleaves with it. Called inside
 * another transaction on the same client, it joins that one: only the outermost commits or rolls back.
 */
export async function inTransaction<T>(
  client: pg.ClientBase,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  if (inside.has(client)) return work(client);
  await client.query('BEGIN');
  inside.add(client);
  try {
    const role = transactionRoles.get(client);
    if (role) await client.query(`SET LOCAL ROLE ${role}`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that broke mid-transaction cannot roll back either; the original error is the one to report.
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    inside.delete(client);
  }
}

/**
 * Runs `work` in one transaction scoped to `tenantId`: row-level security then shows and accepts only that
 * tenant's rows. Inside a transaction already, it scopes that one (the setting lasts until it ends).
 */
export function withTenant<T>(
  client: pg.ClientBase,
  tenantId: string,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  return inTransaction(client, async (scoped) => {
    await scoped.query("SELECT set_config('xc.tenant_id', $1, true)", [tenantId]);
    return work(scoped);
  });
}
