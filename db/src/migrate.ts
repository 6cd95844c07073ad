import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { explainingClient, postgresConnection } from './postgres-connection.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
export const MIGRATIONS_TABLE = 'xc_migrations';

export interface MigrateOptions {
  databaseUrl: string;
  /** DATABASE_CA_FILE: the CA of the server's certificate, for sslmode=verify-full and verify-ca. */
  caFile?: string | undefined;
  /** DATABASE_SSLMODE, for a URL without sslmode. */
  sslMode?: string | undefined;
  log?: (message: string) => void;
  /** Apply at most this many pending migrations (tests of a migration over older data). */
  count?: number;
}

/**
 * Applies every pending migration. node-pg-migrate holds a Postgres advisory lock for the whole run, so two
 * replicas starting together apply each migration once; each migration runs in its own transaction.
 * Returns the names of the migrations it applied.
 *
 * The connection is ours, not the runner's: the runner ends its own client without waiting, so a server
 * that closes the connection meanwhile (a restart, a dropped database) raised an unhandled 'error'.
 */
export async function migrate({
  databaseUrl,
  caFile,
  sslMode,
  log = () => {},
  count,
}: MigrateOptions): Promise<string[]> {
  const connection = postgresConnection({ url: databaseUrl, caFile, sslMode });
  const Client = explainingClient(connection);
  const client = new Client(connection.config);
  client.on('error', (error) => log(`migration connection lost: ${error.message}`));
  await client.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: MIGRATIONS_TABLE,
      checkOrder: true,
      singleTransaction: false,
      advisoryLockMode: 'wait',
      log,
      ...(count === undefined ? {} : { count }),
    });
    return applied.map((migration) => migration.name);
  } finally {
    await client.end();
  }
}
