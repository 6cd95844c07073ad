import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import pg from 'pg';
import {
  createTestDatabase,
  databaseUrl,
  withAdmin,
  type TestDatabase,
} from '../../tests/support/test-database.ts';
import { verifyAuditChain } from './audit-chain.ts';
import { migrate, MIGRATIONS_DIR } from './migrate.ts';
import { withTenant, type AppRole } from './tenant-scope.ts';

let db: TestDatabase;
let owner: pg.Client;
let tenantA: string;
let tenantB: string;

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  return client;
}

/** A connection acting as an application role, the way the apps' login users (members of the role) do. */
async function asRole<T>(
  role: AppRole,
  tenantId: string,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  const client = await connect();
  try {
    await client.query(`SET ROLE ${role}`);
    return await withTenant(client, tenantId, work);
  } finally {
    await client.end();
  }
}

async function seedTenant(slug: string): Promise<string> {
  const tenant = await owner.query<{ id: string }>(
    'INSERT INTO tenants (name, slug) VALUES ($1, $1) RETURNING id',
    [slug],
  );
  const id = tenant.rows[0]!.id;
  const env = await owner.query<{ id: string }>(
    "INSERT INTO environments (tenant_id, name, key) VALUES ($1, 'Production', 'production') RETURNING id",
    [id],
  );
  const flag = await owner.query<{ id: string }>(
    "INSERT INTO flags (tenant_id, key, name, resource_name, is_enabled, spec, generation) VALUES ($1, 'dark-mode', 'dark-mode', 'dark-mode', true, '{}', 1) RETURNING id",
    [id],
  );
  await owner.query(
    'INSERT INTO flag_configs (flag_id, environment_id, tenant_id, config, revision) VALUES ($1, $2, $3, $4, 1)',
    [flag.rows[0]!.id, env.rows[0]!.id, id, { key: 'dark-mode' }],
  );
  await owner.query(
    "INSERT INTO api_keys (tenant_id, environment_id, name, key_hash, prefix) VALUES ($1, $2, 'svc', sha256($3::bytea), 'xc_live_ab')",
    [id, env.rows[0]!.id, slug],
  );
  return id;
}

function appendAudit(client: pg.ClientBase, tenantId: string, generation: number) {
  return client.query(
    "INSERT INTO audit_log (tenant_id, actor, actor_source, action, kind, resource, generation, before, after) VALUES ($1, 'kubectl', 'field-manager', 'update', 'FeatureFlag', 'dark-mode', $2, $3, $4)",
    [tenantId, generation, { rollout: generation - 1 }, { rollout: generation }],
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  owner = await connect();
  tenantA = await seedTenant('shop');
  tenantB = await seedTenant('bank');
  await appendAudit(owner, tenantA, 1);
  await appendAudit(owner, tenantB, 1);
});

afterAll(async () => {
  await owner.end();
  await db.drop();
});

describe('migrations', () => {
  it('apply to an empty database, concurrently, and a second run applies nothing', async () => {
    const name = `${db.name}_fresh`;
    await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
    try {
      const [first, second] = await Promise.all([
        migrate({ databaseUrl: databaseUrl(name) }),
        migrate({ databaseUrl: databaseUrl(name) }),
      ]);
      // every migration in the folder, each applied by exactly one of the two runs
      const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.sql'));
      expect(files.length).toBeGreaterThanOrEqual(5);
      expect([...first, ...second].sort()).toEqual(files.map((file) => file.replace(/\.sql$/, '')).sort());
      expect(await migrate({ databaseUrl: databaseUrl(name) })).toEqual([]);
    } finally {
      await withAdmin((client) => client.query(`DROP DATABASE ${name} WITH (FORCE)`));
    }
  });
});

describe('audit_log is append-only', () => {
  it('lets the operator role append, and refuses its UPDATE, DELETE and TRUNCATE', async () => {
    await asRole('xc_operator', tenantA, (client) => appendAudit(client, tenantA, 1));
    for (const statement of [
      "UPDATE audit_log SET actor = 'mallory'",
      'DELETE FROM audit_log',
      'TRUNCATE audit_log',
    ]) {
      await expect(asRole('xc_operator', tenantA, (client) => client.query(statement))).rejects.toMatchObject(
        { code: '42501' },
      );
    }
  });

  it('refuses UPDATE and DELETE even to the table owner, through its trigger', async () => {
    await expect(owner.query("UPDATE audit_log SET actor = 'mallory'")).rejects.toThrow(
      'audit_log is append-only',
    );
    await expect(owner.query('DELETE FROM audit_log')).rejects.toThrow('audit_log is append-only');
  });

  it('refuses every write to the evaluator role', async () => {
    await expect(
      asRole('xc_evaluator', tenantA, (client) => appendAudit(client, tenantA, 9)),
    ).rejects.toMatchObject({ code: '42501' });
  });
});

describe('row-level security', () => {
  const readable: [AppRole, string][] = [
    ['xc_evaluator', 'environments'],
    ['xc_evaluator', 'flags'],
    ['xc_evaluator', 'flag_configs'],
    ['xc_evaluator', 'api_keys'],
    ['xc_operator', 'flags'],
    ['xc_operator', 'audit_log'],
  ];

  it.each(readable)("shows %s only its own tenant's %s", async (role, table) => {
    const seen = await asRole(role, tenantA, (client) =>
      client.query<{ tenant_id: string }>(`SELECT tenant_id FROM ${table}`),
    );
    expect(seen.rows.length).toBeGreaterThan(0);
    expect(new Set(seen.rows.map((row) => row.tenant_id))).toEqual(new Set([tenantA]));
  });

  it('shows nothing when no tenant is set', async () => {
    const client = await connect();
    try {
      await client.query('SET ROLE xc_evaluator');
      expect((await client.query('SELECT * FROM flags')).rows).toEqual([]);
      expect((await client.query('SELECT * FROM tenants')).rows).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it("refuses the operator writing into another tenant's rows", async () => {
    await expect(
      asRole('xc_operator', tenantA, (client) =>
        client.query(
          "INSERT INTO flags (tenant_id, key, name, resource_name, is_enabled, spec, generation) VALUES ($1, 'x', 'x', 'x', true, '{}', 1)",
          [tenantB],
        ),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    const updated = await asRole('xc_operator', tenantA, (client) =>
      client.query('UPDATE flags SET generation = 99 WHERE tenant_id = $1', [tenantB]),
    );
    expect(updated.rowCount).toBe(0);
  });
});

describe('the audit hash chain', () => {
  let tenant: string;
  beforeAll(async () => {
    tenant = await seedTenant('chain');
    for (let generation = 1; generation <= 4; generation++)
      await asRole('xc_operator', tenant, (client) => appendAudit(client, tenant, generation));
  });

  it('holds for rows appended through the app role, and the app role can verify it', async () => {
    expect(await asRole('xc_operator', tenant, (client) => verifyAuditChain(client, tenant))).toEqual({
      ok: true,
      rows: 4,
    });
  });

  it('stays whole under concurrent appends', async () => {
    const other = await seedTenant('busy');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        asRole('xc_operator', other, (client) => appendAudit(client, other, i + 1)),
      ),
    );
    expect(await verifyAuditChain(owner, other)).toEqual({ ok: true, rows: 20 });
  });

  /** A superuser can switch the append-only trigger off; the chain still gives the change away. */
  async function tamper(statement: string): Promise<void> {
    await owner.query('BEGIN');
    await owner.query('SET LOCAL session_replication_role = replica');
    await owner.query(statement, [tenant]);
    await owner.query('ROLLBACK');
  }

  async function verdictAfter(statement: string) {
    await owner.query('BEGIN');
    try {
      await owner.query('SET LOCAL session_replication_role = replica');
      await owner.query(statement, [tenant]);
      return await verifyAuditChain(owner, tenant);
    } finally {
      await owner.query('ROLLBACK');
    }
  }

  it('detects an edited row', async () => {
    expect(
      await verdictAfter(`UPDATE audit_log SET after = '{"rollout": 100}' WHERE tenant_id = $1 AND seq = 2`),
    ).toMatchObject({
      ok: false,
      brokenSeq: 2,
      problem: "hash does not match the row's content",
    });
  });

  it('detects an edited row whose hash was recomputed to match', async () => {
    const rehash = `UPDATE audit_log SET actor = 'mallory', hash = xc_audit_hash_v2(prev_hash, tenant_id, seq, 'mallory', actor_source, actor_email, action, kind, resource, generation, before, after, created_at)
                    WHERE tenant_id = $1 AND seq = 2`;
    expect(await verdictAfter(rehash)).toMatchObject({
      ok: false,
      brokenSeq: 3,
      problem: "prev_hash does not match the previous row's hash",
    });
  });

  it('detects a deleted row', async () => {
    expect(await verdictAfter('DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 3')).toMatchObject({
      ok: false,
      brokenSeq: 4,
    });
  });

  it('is intact again once the tampering is rolled back', async () => {
    await tamper('DELETE FROM audit_log WHERE tenant_id = $1');
    expect(await verifyAuditChain(owner, tenant)).toEqual({ ok: true, rows: 4 });
  });
});
