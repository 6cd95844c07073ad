import pg from 'pg';

/**
 * The number of audit rows and whether every tenant's hash chain holds, read in one transaction (an embedded
 * PGlite server has one session: statements outside one could interleave with the app's).
 */
export async function auditVerdict(databaseUrl: string): Promise<{ rows: number; intact: boolean }> {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  try {
    await client.query('BEGIN');
    const rows = await client.query<{ count: string }>('SELECT count(*) FROM audit_log');
    const broken = await client.query(
      'SELECT * FROM tenants t, LATERAL xc_verify_audit_chain(t.id) AS verdict',
    );
    await client.query('COMMIT');
    return { rows: Number(rows.rows[0]!.count), intact: broken.rowCount === 0 };
  } finally {
    await client.end();
  }
}
