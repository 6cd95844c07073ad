import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../db/src/migrate.ts';

/** The migrated database every integration suite clones (Unleash's way: a copy takes milliseconds). */
export const TEMPLATE_DATABASE = 'xc_test_template';

export function adminUrl(): string {
  const url = process.env.DATABASE_ADMIN_URL;
  if (!url) {
    throw new Error(
      'DATABASE_ADMIN_URL is not set: run integration tests with `npm test`, which starts Postgres and Redis',
    );
  }
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>, url = adminUrl()): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, already-migrated database of its own for one suite. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `xc_test_${randomUUID().replaceAll('-', '')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`));
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/**
 * A database of a given name, dropped if it existed, migrated from scratch (no template), with an owner
 * connection to fill it: for benchmarks and suites that run outside Jest.
 */
export async function freshDatabase(
  name: string,
): Promise<{ url: string; owner: pg.Client; drop(): Promise<void> }> {
  await withAdmin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
  const url = databaseUrl(name);
  await migrate({ databaseUrl: url });
  const owner = new pg.Client({ connectionString: url });
  await owner.connect();
  return {
    url,
    owner,
    async drop() {
      await owner.end();
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
