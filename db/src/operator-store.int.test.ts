import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { pino } from 'pino';
import { planFlag } from '../../core/src/index.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/test-database.ts';
import { createAppPool } from './app-pool.ts';
import {
  DatabaseUnavailableError,
  KeyTakenError,
  postgresOperatorStore,
  StaleFlagError,
} from './operator-store.ts';
import type { FlagWrite } from './stores/flags.ts';
import { ensureTenant } from './stores/tenants.ts';
import { withTenant } from './tenant-scope.ts';

let db: TestDatabase;
let pool: pg.Pool;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createAppPool({ databaseUrl: db.url, role: 'xc_operator', max: 4, statementTimeoutMs: 10_000, log });
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

const count = async (sql: string, values: unknown[]) => {
  const owner = new pg.Client(db.url);
  await owner.connect();
  try {
    return Number((await owner.query<{ count: string }>(sql, values)).rows[0]!.count);
  } finally {
    await owner.end();
  }
};

const writePlan = (key: string) => {
  const plan = planFlag(
    { uid: `uid-${key}`, name: key, generation: 1, spec: { variants: { on: true }, defaultVariant: 'on' } },
    [],
    null,
  );
  if (plan.kind !== 'write') throw new Error('expected a write');
  return plan;
};
const flagWrite = (uid: string, stored: FlagWrite['stored'] = null) => ({
  name: 'checkout',
  uid,
  generation: 1,
  actor: { name: 'test', source: 'field-manager' as const },
  stored,
});

describe('transactions', () => {
  it('a helper that opens a transaction, called inside one, joins it: a later failure rolls both back', async () => {
    const client = await pool.connect();
    try {
      const outer = await ensureTenant(client, 'outer-tenant');
      await expect(
        withTenant(client, outer, async (scoped) => {
          // before the fix, ensureTenant's COMMIT ended this transaction here and the rest ran unprotected
          await ensureTenant(scoped, 'joined-tenant');
          await scoped.query(
            "INSERT INTO flags (tenant_id, key, name, resource_name, is_enabled, spec, generation) VALUES ($1, 'half', 'half', 'half', true, '{}', 1)",
            [outer],
          );
          throw new Error('the work fails after both writes');
        }),
      ).rejects.toThrow('the work fails');
      expect((await client.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
    } finally {
      client.release();
    }
    expect(await count('SELECT count(*) FROM tenants WHERE slug = $1', ['joined-tenant'])).toBe(0);
    expect(await count("SELECT count(*) FROM flags WHERE key = 'half'", [])).toBe(0);
  });
});

describe('postgresOperatorStore', () => {
  const store = () => postgresOperatorStore(pool);

  it('reports the second of two concurrent claims on one key as KeyTakenError, not as unavailable', async () => {
    const flags = await store().flags('race');
    // another writer's uncommitted row holds the key: the write waits on the unique index until it commits
    const other = new pg.Client(db.url);
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        "INSERT INTO flags (tenant_id, key, name, resource_name, is_enabled, spec, generation) VALUES ($1, 'checkout', 'checkout', 'other', true, '{}', 1)",
        [flags.tenantId],
      );
      const second = flags.write(flagWrite('uid-second'), writePlan('checkout'));
      // awaited from now: the commit can end the write before the test awaits it, and a rejection with no
      // handler yet fails the test as unhandled (seen in a CI run)
      const refused = expect(second).rejects.toBeInstanceOf(KeyTakenError);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await other.query('COMMIT');
      await refused;
    } finally {
      await other.end();
    }
  });

  it('writes a flag, its configurations, the revision bumps and one audit row in one statement', async () => {
    const environment = await store().inTenant('one-statement', (tenant) =>
      tenant.upsertEnvironment({
        key: 'production',
        displayName: 'production',
        isDefault: true,
        corsAllowedOrigins: [],
        sourceUid: 'uid-one-statement',
      }),
    );
    const flags = await store().flags('one-statement');
    const empty = await flags.read('checkout');
    expect(empty).toEqual({ environments: [{ id: environment.id, key: 'production' }], stored: null });
    const plan = planFlag(
      {
        uid: 'uid-a',
        name: 'checkout',
        generation: 1,
        spec: { variants: { on: true }, defaultVariant: 'on' },
      },
      empty.environments,
      null,
    );
    if (plan.kind !== 'write') throw new Error('expected a write');
    const revisions = await flags.write(flagWrite('uid-a'), plan);
    expect(revisions).toEqual(new Map([[environment.id, environment.revision + 1]]));
    const { stored } = await flags.read('checkout');
    expect(stored).toMatchObject({ generation: 1, sourceUid: 'uid-a', environmentIds: [environment.id] });
    expect(await count('SELECT count(*) FROM flag_configs WHERE flag_id = $1', [stored!.id])).toBe(1);
    expect(
      await count("SELECT count(*) FROM audit_log WHERE resource = 'checkout' AND tenant_id = $1", [
        flags.tenantId,
      ]),
    ).toBe(1);

    // a write from a stale read (the row moved on meanwhile) is refused whole
    const moved = { ...stored!, generation: 0 };
    await expect(flags.write(flagWrite('uid-a', moved), plan)).rejects.toBeInstanceOf(StaleFlagError);
    expect(
      await count("SELECT count(*) FROM audit_log WHERE resource = 'checkout' AND tenant_id = $1", [
        flags.tenantId,
      ]),
    ).toBe(1);
    expect((await flags.read('checkout')).stored).toEqual(stored);
  });

  it('lets a refusal by the database through as it is', async () => {
    await expect(
      store().inTenant('refusals', async (tenant) => {
        const environment = await tenant.upsertEnvironment({
          key: 'production',
          displayName: 'production',
          isDefault: true,
          corsAllowedOrigins: [],
          sourceUid: 'uid-env',
        });
        // a key hash must be a SHA-256: 32 bytes
        await tenant.insertApiKey({
          environmentId: environment.id,
          name: 'svc',
          kind: 'server',
          rateLimitPerSecond: null,
          hash: Buffer.alloc(16),
          prefix: 'xc_live_ab',
          sourceUid: 'uid-env',
        });
      }),
    ).rejects.toMatchObject({ code: '23514' });
    expect(await count('SELECT count(*) FROM environments WHERE source_uid = $1', ['uid-env'])).toBe(0);
  });

  it('reports a database it cannot reach as DatabaseUnavailableError', async () => {
    const url = new URL(db.url);
    url.port = '1'; // nothing listens there
    const unreachable = createAppPool({
      databaseUrl: url.toString(),
      role: 'xc_operator',
      max: 1,
      statementTimeoutMs: 1000,
      log,
    });
    try {
      await expect(
        postgresOperatorStore(unreachable).inTenant('any', async () => null),
      ).rejects.toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      await unreachable.end();
    }
  });
});
