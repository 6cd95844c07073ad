import pg from 'pg';
import type { Logger } from 'pino';
import { explainingClient, postgresConnection } from './postgres-connection.ts';
import { scopeRoleToTransactions, type AppRole } from './tenant-scope.ts';

export interface AppPoolOptions {
  databaseUrl: string;
  /** DATABASE_CA_FILE: the CA of the server's certificate, for sslmode=verify-full and verify-ca. */
  caFile?: string | undefined;
  /** DATABASE_SSLMODE, for a URL without sslmode. */
  sslMode?: string | undefined;
  /** The role every connection acts as, whatever user logs in: row-level security always applies. */
  role: AppRole;
  max: number;
  statementTimeoutMs: number;
  log: Logger;
  /**
   * The server gives every connection one shared session (PGlite behind pglite-socket): the role is then taken
   * inside each transaction, and every read runs in one.
   */
  sharedSession?: boolean;
}

/** A pg pool for one of the apps: its role set on every connection, and broken connections logged, not fatal. */
export function createAppPool(options: AppPoolOptions): pg.Pool {
  const { log } = options;
  const connection = postgresConnection({
    url: options.databaseUrl,
    caFile: options.caFile,
    sslMode: options.sslMode,
  });
  const pool = new pg.Pool({
    ...connection.config,
    Client: explainingClient(connection),
    max: options.max,
    connectionTimeoutMillis: 3000,
    statement_timeout: options.statementTimeoutMs,
  });
  pool.on('connect', (client) => {
    // A checked-out client whose connection dies emits 'error'; unheard, that would end the process.
    client.on('error', (error) => log.warn({ err: error }, 'Postgres connection lost'));
    if (options.sharedSession) {
      scopeRoleToTransactions(client, options.role);
      return;
    }
    // Queued before any query the caller sends on this client.
    client
      .query(`SET ROLE ${options.role}`)
      .catch((error: unknown) =>
        log.error({ err: error, role: options.role }, 'cannot act as the application role'),
      );
  });
  pool.on('error', (error) => log.warn({ err: error }, 'idle Postgres connection failed'));
  return pool;
}
