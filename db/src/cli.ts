// `npm run migrate`: applies the schema to DATABASE_URL (over TLS as its sslmode or DATABASE_SSLMODE says, with DATABASE_CA_FILE).
import { ConfigError } from '../../core/src/index.ts';
import { migrate } from './migrate.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error(
    'DATABASE_URL is not set: it names the Postgres database to migrate, e.g. postgres://user@host:5432/db',
  );
  process.exit(2);
}
const caFile = process.env.DATABASE_CA_FILE || undefined;
const sslMode = process.env.DATABASE_SSLMODE || undefined;
const applied = await migrate({
  databaseUrl,
  caFile,
  sslMode,
  log: (message) => console.error(message),
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
