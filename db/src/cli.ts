// `npm run migrate`: applies the schema to DATABASE_URL.
import { migrate } from './migrate.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error(
    'DATABASE_URL is not set: it names the Postgres database to migrate, e.g. postgres://user@host:5432/db',
  );
  process.exit(2);
}
const applied = await migrate({ databaseUrl, log: (message) => console.error(message) });
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
