import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { ConfigError } from '../../core/src/index.ts';
import { DataStoreTlsError, describeTlsFailure } from './tls-failure.ts';

/** Where a Postgres connection goes: DATABASE_URL, and the CA its server certificate must be signed by. */
export interface PostgresTarget {
  /** postgres://… with an optional `sslmode` (disable, require, verify-ca, verify-full) and `sslrootcert`. */
  url: string;
  /** A PEM file of the CA (DATABASE_CA_FILE); else the URL's `sslrootcert`; else the system's roots. */
  caFile?: string | undefined;
  /** DATABASE_SSLMODE: the sslmode when the URL (a Secret's, e.g. CloudNativePG's) has none. */
  sslMode?: string | undefined;
}

const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
type SslMode = (typeof SSL_MODES)[number];

/** The URL parameters we read ourselves: pg would otherwise replace our `ssl` object with its own reading. */
const SSL_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl', 'uselibpqcompat'];

interface CaSource {
  /** How an error names it: `DATABASE_CA_FILE (/etc/ca.pem)`. */
  label: string;
  pem: string;
}

export interface PostgresConnection {
  /** Options for pg.Client and pg.Pool (no connectionString: its sslmode would override `ssl`). */
  config: pg.ClientConfig;
  /** Turns a failed connect into one that says which setting to fix. */
  explain(error: unknown): unknown;
}

function readCa(path: string, variable: string): CaSource {
  try {
    return { label: `${variable} (${path})`, pem: readFileSync(path, 'utf8') };
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read the CA file ${path}: ${(error as Error).message}`);
  }
}

/**
 * libpq's sslmode semantics over node-postgres: `require` encrypts without checking the certificate (unless a
 * CA is given, then it checks the chain as libpq does), `verify-ca` checks the chain, `verify-full` the chain
 * and the host name. No sslmode: no TLS, unless a CA file is given, which then means verify-full.
 */
function sslOptions(mode: SslMode, ca: CaSource | null): ConnectionOptions | false {
  if (mode === 'disable') return false;
  const trust = ca ? { ca: ca.pem } : {};
  if (mode === 'verify-full') return trust;
  if (mode === 'verify-ca' || ca) return { ...trust, checkServerIdentity: () => undefined };
  return { rejectUnauthorized: false };
}

/** Builds the connection options for DATABASE_URL; a bad sslmode or an unreadable CA is a ConfigError. */
export function postgresConnection(target: PostgresTarget): PostgresConnection {
  const url = URL.parse(target.url);
  if (!url) throw new ConfigError('DATABASE_URL: must be a postgres:// URL');
  const params = url.searchParams;
  const urlMode = params.get('sslmode');
  if (urlMode && target.sslMode && urlMode !== target.sslMode)
    throw new ConfigError(
      `DATABASE_SSLMODE: is ${target.sslMode} but DATABASE_URL says sslmode=${urlMode}; set one of them`,
    );
  const rawMode = urlMode ?? target.sslMode ?? null;
  const rootCert = params.get('sslrootcert');
  if (params.has('sslcert') || params.has('sslkey'))
    throw new ConfigError('DATABASE_URL: client certificates (sslcert, sslkey) are not supported');
  let ca: CaSource | null = null;
  if (target.caFile) ca = readCa(target.caFile, 'DATABASE_CA_FILE');
  else if (rootCert) ca = readCa(rootCert, 'sslrootcert in DATABASE_URL');
  const mode = (rawMode ?? (ca ? 'verify-full' : 'disable')) as SslMode;
  const modeFrom = urlMode ? 'DATABASE_URL' : target.sslMode ? 'DATABASE_SSLMODE' : 'DATABASE_CA_FILE';
  if (!SSL_MODES.includes(mode))
    throw new ConfigError(`${modeFrom}: sslmode=${rawMode} is not supported; use ${SSL_MODES.join(', ')}`);
  // a CA given is a certificate to check: plain text beside it is a mistake, not a choice (require with a
  // CA checks the chain, as libpq does)
  if (ca && mode === 'disable')
    throw new ConfigError(
      `${modeFrom}: sslmode=disable with a CA (${ca.label}) would not use TLS at all; use verify-full, or drop the CA`,
    );
  if (mode === 'verify-ca' && !ca)
    throw new ConfigError(
      'DATABASE_CA_FILE: is required with sslmode=verify-ca (the CA the server certificate is signed by)',
    );
  for (const name of SSL_PARAMETERS) params.delete(name);
  // the ssl parameters are gone from the URL, so the parsed `ssl` is unset and ours below is the only one
  const parsed = parse(url.toString());
  const config: pg.ClientConfig = {
    ...(parsed as pg.ClientConfig),
    port: parsed.port ? Number(parsed.port) : undefined,
    ssl: sslOptions(mode, ca),
  };
  return { config, explain: (error) => explainTlsError(error, mode, modeFrom, ca) };
}

function explainTlsError(error: unknown, mode: SslMode, modeFrom: string, ca: CaSource | null): unknown {
  const described = describeTlsFailure(error, 'Postgres', ca?.label ?? null, 'DATABASE_CA_FILE');
  if (described) return described;
  if (error instanceof Error && error.message === 'The server does not support SSL connections')
    return new DataStoreTlsError(`Postgres does not accept TLS, but ${modeFrom} asks for sslmode=${mode}`, {
      cause: error,
    });
  return error;
}

type ConnectCallback = ((err: Error) => void) | ((err: null, c: pg.Client) => void);

/** pg.Client whose failed connects say which setting to fix (pg.Pool creates its clients from it). */
export function explainingClient(connection: PostgresConnection): typeof pg.Client {
  return class ExplainingClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
      if (!callback)
        return super.connect().catch((error: unknown) => {
          throw connection.explain(error);
        });
      super.connect((error: Error | null) => {
        if (error) (callback as (err: Error) => void)(connection.explain(error) as Error);
        else (callback as (err: null, c: pg.Client) => void)(null, this);
      });
    }
  };
}
