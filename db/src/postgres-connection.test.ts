import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../core/src/index.ts';
import { postgresConnection } from './postgres-connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'xc-pg-ca-'));
const ca = join(dir, 'ca.pem');
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
writeFileSync(ca, PEM);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const url = 'postgres://app:p%40ss@db.example:5433/flags';

/** What the TLS options mean, whatever functions they hold. */
function meaning(ssl: unknown) {
  if (ssl === false) return 'plain';
  const options = ssl as { ca?: string; rejectUnauthorized?: boolean; checkServerIdentity?: unknown };
  if (options.rejectUnauthorized === false) return 'encrypted, unverified';
  const trust = options.ca === PEM ? 'the given CA' : "the system's roots";
  return options.checkServerIdentity
    ? `chain checked against ${trust}`
    : `chain and host name checked against ${trust}`;
}

describe('postgresConnection', () => {
  it.each([
    ['', undefined, 'plain'],
    ['', ca, 'chain and host name checked against the given CA'],
    ['?sslmode=disable', undefined, 'plain'],
    ['?sslmode=require', undefined, 'encrypted, unverified'],
    ['?sslmode=require', ca, 'chain checked against the given CA'],
    ['?sslmode=verify-ca', ca, 'chain checked against the given CA'],
    ['?sslmode=verify-full', undefined, "chain and host name checked against the system's roots"],
    ['?sslmode=verify-full', ca, 'chain and host name checked against the given CA'],
    [`?sslmode=verify-full&sslrootcert=${ca}`, undefined, 'chain and host name checked against the given CA'],
  ])('reads %s with DATABASE_CA_FILE=%s as %s', (query, caFile, expected) => {
    const { config } = postgresConnection({ url: url + query, caFile });
    expect(meaning(config.ssl)).toBe(expected);
    expect(config).toMatchObject({
      host: 'db.example',
      port: 5433,
      user: 'app',
      password: 'p@ss',
      database: 'flags',
    });
    expect(config).not.toHaveProperty('connectionString');
  });

  it.each([
    ['?sslmode=prefer', undefined, 'DATABASE_URL: sslmode=prefer is not supported'],
    ['?sslmode=disable', ca, 'DATABASE_URL: sslmode=disable with a CA'],
    ['?sslmode=verify-ca', undefined, 'DATABASE_CA_FILE: is required with sslmode=verify-ca'],
    ['?sslmode=verify-full', join(dir, 'missing.pem'), 'DATABASE_CA_FILE: cannot read the CA file'],
    [
      `?sslmode=verify-full&sslrootcert=${join(dir, 'nope.pem')}`,
      undefined,
      'sslrootcert in DATABASE_URL: cannot read',
    ],
    ['?sslcert=/c.pem&sslkey=/k.pem', undefined, 'DATABASE_URL: client certificates'],
  ])('refuses %s (CA %s) as a configuration error: %s', (query, caFile, message) => {
    const build = () => postgresConnection({ url: url + query, caFile });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(message);
  });

  it("reads CloudNativePG's `uri` (postgresql://, an encoded password) with DATABASE_SSLMODE=verify-full", () => {
    const { config } = postgresConnection({
      url: 'postgresql://app:s3cr%2Ft@flags-db-rw.exclusive-change:5432/flags',
      caFile: ca,
      sslMode: 'verify-full',
    });
    expect(config).toMatchObject({
      host: 'flags-db-rw.exclusive-change',
      user: 'app',
      password: 's3cr/t',
      database: 'flags',
    });
    expect(meaning(config.ssl)).toBe('chain and host name checked against the given CA');
  });

  it('takes DATABASE_SSLMODE for a URL without sslmode, and refuses one that contradicts the URL', () => {
    expect(meaning(postgresConnection({ url, caFile: ca, sslMode: 'verify-ca' }).config.ssl)).toBe(
      'chain checked against the given CA',
    );
    expect(() => postgresConnection({ url: `${url}?sslmode=require`, sslMode: 'verify-full' })).toThrow(
      'DATABASE_SSLMODE: is verify-full but DATABASE_URL says sslmode=require',
    );
  });

  it('explains a certificate from an unknown CA, naming the variable and the file', () => {
    const { explain } = postgresConnection({ url: `${url}?sslmode=verify-full`, caFile: ca });
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(String(explain(untrusted))).toContain(
      `Postgres refused the TLS certificate: it is not signed by the CA in DATABASE_CA_FILE (${ca})`,
    );
    const other = new Error('connection refused');
    expect(explain(other)).toBe(other);
  });
});
