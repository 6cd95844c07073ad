import type pg from 'pg';

/**
 * Checks a client out of the pool for `work` and always returns it; a client whose work failed is destroyed
 * rather than reused, since its connection may be the thing that broke.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const result = await work(client);
    client.release();
    return result;
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}
