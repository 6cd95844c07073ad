import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError } from '../../core/src/index.ts';
import { describeTlsFailure } from '../../db/src/tls-failure.ts';
import type { SentinelAddress } from './data-store-variables.ts';

/** How the apps reach Redis: a URL, or sentinels that name the current master; TLS when a CA is given. */
export interface RedisTarget {
  /** REDIS_URL: redis:// or rediss:// (TLS). */
  url?: string | undefined;
  /** REDIS_CA_FILE: the CA of the servers' (and sentinels') certificates; else the system's roots. */
  caFile?: string | undefined;
  sentinels?: SentinelAddress[] | undefined;
  sentinelMaster?: string | undefined;
  sentinelPassword?: string | undefined;
  /** The servers' password behind Sentinel. */
  password?: string | undefined;
}

/** The Redis part of an app's configuration (both apps name the variables alike). */
export interface RedisVariables {
  REDIS_URL?: string | undefined;
  REDIS_CA_FILE?: string | undefined;
  REDIS_SENTINELS?: SentinelAddress[] | undefined;
  REDIS_SENTINEL_MASTER?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
}

/** The app's Redis, or null when it runs without (no REDIS_URL and no REDIS_SENTINELS). */
export function redisTargetOf(config: RedisVariables): RedisTarget | null {
  if (!config.REDIS_URL && !config.REDIS_SENTINELS) return null;
  return {
    url: config.REDIS_URL,
    caFile: config.REDIS_CA_FILE,
    sentinels: config.REDIS_SENTINELS,
    sentinelMaster: config.REDIS_SENTINEL_MASTER,
    sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
    password: config.REDIS_PASSWORD,
  };
}

/** How one app uses a connection: everything but where it goes. */
export interface RedisUse {
  connectionName?: string;
  commandTimeout: number;
  /** ioredis's defaults otherwise: the apps fail fast instead of queueing while Redis is away. */
  base?: RedisOptions;
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`REDIS_CA_FILE: cannot read the CA file ${path}: ${(error as Error).message}`);
  }
}

/** ioredis options for `target` (the URL, when there is one, goes to the constructor beside them). */
export function redisOptions(target: RedisTarget, use: RedisUse): RedisOptions {
  const tls = target.caFile ? { ca: readCa(target.caFile) } : undefined;
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    ...use.base,
    commandTimeout: use.commandTimeout,
    ...(use.connectionName ? { connectionName: use.connectionName } : {}),
  };
  if (!target.sentinels) return { ...options, ...(tls ? { tls } : {}) };
  return {
    ...options,
    sentinels: target.sentinels,
    name: target.sentinelMaster,
    ...(target.password ? { password: target.password } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
    // Hear +switch-master from the sentinels and move at once, rather than when the old master fails.
    failoverDetector: true,
    // A demoted master answers writes with READONLY until we have moved: reconnect (to the new master).
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  };
}

/**
 * A connection to the app's Redis. A certificate failure is logged once (ERROR, naming REDIS_CA_FILE) until
 * the connection is ready again; other failures heal themselves and are logged at debug.
 */
export function createRedisConnection(target: RedisTarget, use: RedisUse, log: Logger): Redis {
  const options = redisOptions(target, use);
  const redis = target.sentinels ? new Redis(options) : new Redis(target.url!, options);
  const name = use.connectionName;
  let reported: string | null = null;
  redis.on('ready', () => (reported = null));
  redis.on('error', (error: Error) => {
    const tls = describeTlsFailure(
      error,
      'Redis',
      target.caFile ? `REDIS_CA_FILE (${target.caFile})` : null,
      'REDIS_CA_FILE',
    );
    if (!tls) return log.debug({ err: error, connection: name }, 'redis connection problem');
    if (reported === tls.message) return;
    reported = tls.message;
    log.error({ err: tls, connection: name }, tls.message);
  });
  return redis;
}
