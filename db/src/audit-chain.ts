import type pg from 'pg';

export type ChainVerdict =
  | { ok: true; rows: number }
  | { ok: false; rows: number; brokenSeq: number; brokenId: number; problem: string };

/**
 * Recomputes a tenant's hash chain in Postgres (xc_verify_audit_chain, the same hash the insert trigger
 * writes) and reports the first row that does not hold. Run it inside the tenant's scope for an app role.
 */
export async function verifyAuditChain(client: pg.ClientBase, tenantId: string): Promise<ChainVerdict> {
  const broken = await client.query<{ broken_seq: string; broken_id: string; problem: string }>(
    'SELECT broken_seq, broken_id, problem FROM xc_verify_audit_chain($1)',
    [tenantId],
  );
  const count = await client.query<{ rows: number }>(
    'SELECT count(*)::int AS rows FROM audit_log WHERE tenant_id = $1',
    [tenantId],
  );
  const rows = count.rows[0]?.rows ?? 0;
  const first = broken.rows[0];
  if (!first) return { ok: true, rows };
  return {
    ok: false,
    rows,
    brokenSeq: Number(first.broken_seq),
    brokenId: Number(first.broken_id),
    problem: first.problem,
  };
}
