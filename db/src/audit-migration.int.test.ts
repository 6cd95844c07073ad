import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { withAdmin, databaseUrl } from '../../tests/support/test-database.ts';
import { verifyAuditChain } from './audit-chain.ts';
import { migrate } from './migrate.ts';

// The audit chain across the migration that adds the actor's source: rows written before it keep verifying,
// rows after it are hashed with the source and e-mail, and a changed source gives itself away.

const name = `xc_audit_migration_${process.pid}`;
let owner: pg.Client;
let tenant: string;

const append = (columns: string, values: string) =>
  owner.query(
    `INSERT INTO audit_log (tenant_id, actor, action, kind, resource, generation${columns}) VALUES ($1, 'kubectl', 'update', 'FeatureFlag', 'dark-mode', 1${values})`,
    [tenant],
  );

beforeAll(async () => {
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  await migrate({ databaseUrl: databaseUrl(name), count: 2 });
  owner = new pg.Client(databaseUrl(name));
  await owner.connect();
  tenant = (
    await owner.query<{ id: string }>("INSERT INTO tenants (name, slug) VALUES ('shop', 'shop') RETURNING id")
  ).rows[0]!.id;
  for (let row = 0; row < 3; row++) await append('', '');
});

afterAll(async () => {
  await owner.end();
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
});

describe('the audit-actor-source migration', () => {
  it('keeps the rows written before it verifying, and hashes new rows with the source and e-mail', async () => {
    expect(await migrate({ databaseUrl: databaseUrl(name), count: 1 })).toEqual([
      '1764300000000_audit-actor-source',
    ]);
    expect(await verifyAuditChain(owner, tenant)).toEqual({ ok: true, rows: 3 });
    await append(', actor_source, actor_email', ", 'management-api', 'ada@example.com'");
    const rows = await owner.query<{ hash_version: number; actor_source: string | null }>(
      'SELECT hash_version, actor_source FROM audit_log WHERE tenant_id = $1 ORDER BY seq',
      [tenant],
    );
    expect(rows.rows.map((row) => [row.hash_version, row.actor_source])).toEqual([
      [1, null],
      [1, null],
      [1, null],
      [2, 'management-api'],
    ]);
    expect(await verifyAuditChain(owner, tenant)).toEqual({ ok: true, rows: 4 });
  });

  it('refuses a new row without a source, and one that claims the old hash version', async () => {
    await expect(append('', '')).rejects.toMatchObject({ code: '23514' });
    await append(', actor_source, hash_version', ", 'admission', 1");
    const last = await owner.query<{ hash_version: number }>(
      'SELECT hash_version FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1',
      [tenant],
    );
    expect(last.rows[0]!.hash_version).toBe(2);
  });

  it('gives away a changed source or e-mail', async () => {
    for (const change of ["actor_source = 'admission'", "actor_email = 'mallory@example.com'"]) {
      await owner.query('BEGIN');
      try {
        await owner.query('SET LOCAL session_replication_role = replica');
        await owner.query(`UPDATE audit_log SET ${change} WHERE tenant_id = $1 AND seq = 4`, [tenant]);
        expect(await verifyAuditChain(owner, tenant)).toMatchObject({ ok: false, brokenSeq: 4 });
      } finally {
        await owner.query('ROLLBACK');
      }
    }
  });
});
