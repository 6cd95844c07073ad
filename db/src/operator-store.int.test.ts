import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { pino } from 'pino';
import { planFlag } from '../../core/src/index.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/test-database.ts';
import { createAppPool } from './app-pool.ts';
import { DatabaseUnavailableError, KeyTakenError, postgresOperatorStore } from './operator-store.ts';
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
const flagWrite = (uid: string) => ({
  name: 'checkout',
  uid,
  generation: 1,
  actor: { name: 'test', source: 'field-manager' as const },
  storedId: null,
  storedEnvironmentIds: [],
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
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const firstWrote = new Promise<void>((resolve) => (written = resolve));
    const first = store().inTenant('race', async (tenant) => {
      await tenant.writeFlag(flagWrite('uid-first'), writePlan('checkout'));
      written();
      await held; // the second transaction now waits on the unique index until this one commits
    });
    await firstWrote;
    const second = store().inTenant('race', (tenant) =>
      tenant.writeFlag(flagWrite('uid-second'), writePlan('checkout')),
    );
    // awaited from now: the first's commit can end the second before `first` itself resolves, and a
    // rejection with no handler yet fails the test as unhandled (seen in a CI run)
    const refused = expect(second).rejects.toBeInstanceOf(KeyTakenError);
    setTimeout(release, 200);
    await first;
    await refused;
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
