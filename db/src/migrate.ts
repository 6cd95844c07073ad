import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
export const MIGRATIONS_TABLE = 'xc_migrations';

export interface MigrateOptions {
  databaseUrl: string;
  log?: (message: string) => void;
}

/**
 * Applies every pending migration. node-pg-migrate holds a Postgres advisory lock for the whole run, so two
 * replicas starting together apply each migration once; each migration runs in its own transaction.
 * Returns the names of the migrations it applied.
 */
export async function migrate({ databaseUrl, log = () => {} }: MigrateOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    checkOrder: true,
    singleTransaction: false,
    advisoryLockMode: 'wait',
    log,
  });
  return applied.map((migration) => migration.name);
}
