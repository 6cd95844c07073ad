import { migrate } from '../../db/src/migrate.ts';
import { databaseUrl, TEMPLATE_DATABASE, withAdmin } from '../support/test-database.ts';

/**
 * Builds the migrated template database once per run when Postgres is available (`npm test` starts it).
 * Unit-only runs (`npm run test:unit`) have no DATABASE_ADMIN_URL and need no template.
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.DATABASE_ADMIN_URL) return;
  await withAdmin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  });
  await migrate({ databaseUrl: databaseUrl(TEMPLATE_DATABASE) });
}
