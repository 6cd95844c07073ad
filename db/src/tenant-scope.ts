import type pg from 'pg';

/** The Postgres roles the applications act as; row-level security applies to both. */
export type AppRole = 'xc_operator' | 'xc_evaluator';

/**
 * Runs `work` in one transaction scoped to `tenantId`: row-level security then shows and accepts only that
 * tenant's rows. Commits when `work` resolves, rolls back when it throws. Nothing partial is ever written.
 */
export async function withTenant<T>(
  client: pg.ClientBase,
  tenantId: string,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT set_config('xc.tenant_id', $1, true)", [tenantId]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that broke mid-transaction cannot roll back either; the original error is the one to report.
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
