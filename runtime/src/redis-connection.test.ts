import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../core/src/index.ts';
import { redisOptions, redisTargetOf } from './redis-connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'xc-redis-ca-'));
const ca = join(dir, 'ca.pem');
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
writeFileSync(ca, PEM);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const use = { connectionName: 'xc-test', commandTimeout: 500 };

describe('redisOptions', () => {
  it('runs without Redis when neither REDIS_URL nor REDIS_SENTINELS is set', () => {
    expect(redisTargetOf({})).toBeNull();
  });

  it('keeps the apps failing fast, and trusts the given CA for rediss://', () => {
    const options = redisOptions(redisTargetOf({ REDIS_URL: 'rediss://r:6380', REDIS_CA_FILE: ca })!, use);
    expect(options).toMatchObject({
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 500,
      connectionName: 'xc-test',
      tls: { ca: PEM },
    });
    expect(options).not.toHaveProperty('sentinels');
  });

  it('asks the sentinels for the master, over TLS to both when a CA is given, following failovers', () => {
    const target = redisTargetOf({
      REDIS_SENTINELS: [
        { host: 's-0', port: 26379 },
        { host: 's-1', port: 26379 },
      ],
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_PASSWORD: 'server-secret',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_CA_FILE: ca,
    })!;
    const options = redisOptions(target, use);
    expect(options).toMatchObject({
      sentinels: [
        { host: 's-0', port: 26379 },
        { host: 's-1', port: 26379 },
      ],
      name: 'mymaster',
      password: 'server-secret',
      sentinelPassword: 'sentinel-secret',
      tls: { ca: PEM },
      sentinelTLS: { ca: PEM },
      enableTLSForSentinelMode: true,
      failoverDetector: true,
    });
    const reconnect = options.reconnectOnError!;
    expect(reconnect(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(reconnect(new Error('ERR unknown command'))).toBe(false);
  });

  it('speaks plain text to sentinels without a CA', () => {
    const options = redisOptions(
      redisTargetOf({ REDIS_SENTINELS: [{ host: 's', port: 1 }], REDIS_SENTINEL_MASTER: 'm' })!,
      use,
    );
    expect(options).not.toHaveProperty('tls');
    expect(options).not.toHaveProperty('sentinelTLS');
  });

  it('refuses an unreadable CA file as a configuration error naming REDIS_CA_FILE', () => {
    const target = redisTargetOf({ REDIS_URL: 'rediss://r', REDIS_CA_FILE: join(dir, 'gone.pem') })!;
    expect(() => redisOptions(target, use)).toThrow(ConfigError);
    expect(() => redisOptions(target, use)).toThrow('REDIS_CA_FILE: cannot read the CA file');
  });
});
