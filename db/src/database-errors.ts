import pg from 'pg';

// What a Postgres failure means for whoever retries: the database could not be reached or could not serve
// (retry later, and say so), or the work itself failed (a bug, or data the database refused: retrying changes
// nothing). Only the first is "unavailable".

/** SQLSTATEs that say the database cannot serve now, not that the request is wrong. */
const UNAVAILABLE = [
  /^08/, // connection exception
  /^57P0[1-3]$/, // admin shutdown, crash shutdown, cannot connect now
  /^53300$/, // too many connections
  /^57014$/, // statement timeout
  /^40001$/, // serialization failure: worth a retry
  /^40P01$/, // deadlock: worth a retry
];

/** node-postgres's own errors for a connection that broke, was closed or never came (they carry no SQLSTATE). */
const CONNECTION_LOST =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

export function isUnavailable(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return UNAVAILABLE.some((pattern) => pattern.test(error.code ?? ''));
  // Duck-typed: a socket's error is made by Node's own realm, where `instanceof Error` can be false (Jest's VM).
  if (typeof error !== 'object' || error === null) return false;
  // a socket's failure: ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND…
  if ('syscall' in error) return true;
  const { message } = error as { message?: unknown };
  return typeof message === 'string' && CONNECTION_LOST.test(message);
}

/** The constraint a unique violation (23505) names, or null for any other error. */
export function uniqueViolation(error: unknown): string | null {
  if (!(error instanceof pg.DatabaseError) || error.code !== '23505') return null;
  return error.constraint ?? '';
}
