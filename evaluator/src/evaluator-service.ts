import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { findApiKey, listActiveApiKeys } from '../../db/src/evaluator-reads.ts';
import { createAppPool } from '../../db/src/app-pool.ts';
import { withClient } from '../../db/src/with-client.ts';
import { buildApp } from './app.ts';
import { SyncedWindowCounters } from './http/request-counters.ts';
import { ApiKeyRing } from './auth/api-key-ring.ts';
import type { EvaluatorConfig } from './config.ts';
import { createMetrics } from './metrics.ts';
import { subscribeToInvalidations, type MessageSubscriber } from './snapshots/invalidation-subscriber.ts';
import { PostgresSnapshotSource } from './snapshots/postgres-snapshot-source.ts';
import { RedisSnapshotCache } from './snapshots/redis-snapshot-cache.ts';
import { SnapshotRegistry } from './snapshots/snapshot-registry.ts';

export interface RunningEvaluator {
  app: FastifyInstance;
  url: string;
  keys: ApiKeyRing;
  snapshots: SnapshotRegistry;
  /** Stops taking traffic, drains in-flight requests, then closes Postgres and Redis. */
  stop(): Promise<void>;
}

/** The app role the evaluator acts as, whatever user it logs in with: row-level security always applies. */
const DATABASE_ROLE = 'xc_evaluator';

function createRedis(url: string, log: Logger, name: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectionName: name,
  });
  redis.on('error', (error) => log.debug({ err: error, connection: name }, 'redis connection problem'));
  return redis;
}

export interface EvaluatorOptions {
  /** Where invalidations come from when there is no REDIS_URL (local mode's in-process bus). */
  invalidations?: MessageSubscriber;
  /** The database server gives all connections one session (PGlite): see `createAppPool`. */
  sharedDatabaseSession?: boolean;
}

/** Wires the evaluator: Postgres read model, Redis cache and invalidations, the in-memory key ring and snapshots. */
export async function startEvaluator(
  config: EvaluatorConfig,
  log: Logger,
  options: EvaluatorOptions = {},
): Promise<RunningEvaluator> {
  const pool = createAppPool({
    databaseUrl: config.DATABASE_URL,
    role: DATABASE_ROLE,
    max: 10,
    statementTimeoutMs: 5000,
    log,
    sharedSession: options.sharedDatabaseSession,
  });
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, log, 'xc-evaluator') : null;
  const redisSubscriber = config.REDIS_URL
    ? createRedis(config.REDIS_URL, log, 'xc-evaluator-subscriber')
    : null;
  const subscriber = redisSubscriber ?? options.invalidations ?? null;
  await Promise.all(
    [redis?.connect(), redisSubscriber?.connect()].map((connecting) =>
      connecting?.catch((error: unknown) =>
        log.warn({ err: error }, 'redis unavailable at start-up; serving from Postgres'),
      ),
    ),
  );

  let ready = false;
  const snapshots: SnapshotRegistry = new SnapshotRegistry({
    source: new PostgresSnapshotSource(pool),
    cache: redis && new RedisSnapshotCache(redis, config.REPLICA_ID, log),
    log,
    events: { loaded: (_snapshot, from) => metrics.snapshotLoads.inc({ from }) },
  });
  const metrics = createMetrics(() => snapshots.all());
  const keys = new ApiKeyRing(
    {
      listActive: () => withClient(pool, listActiveApiKeys),
      find: (keyHash) => {
        metrics.keyLookups.inc();
        return withClient(pool, (client) => findApiKey(client, keyHash));
      },
    },
    { unknownLookupsPerSecond: config.UNKNOWN_KEY_LOOKUPS_PER_SECOND },
  );

  const refresh = async () => {
    await Promise.all([keys.reload(), snapshots.refreshAll()]);
    ready = true;
  };
  await refresh().catch((error: unknown) =>
    log.warn({ err: error }, 'initial load failed; retrying with the revision poll'),
  );
  const poll = setInterval(
    () =>
      void refresh().catch((error: unknown) =>
        log.warn({ err: error }, 'revision poll failed; serving the last good snapshots'),
      ),
    config.REVISION_POLL_INTERVAL_MS,
  );
  const heartbeat = setInterval(() => void snapshots.publishServed(), config.SERVED_HEARTBEAT_MS);
  if (subscriber) {
    await subscribeToInvalidations(subscriber, log, async (message) => {
      metrics.invalidations.inc();
      if (message.keysChanged) await keys.reload();
      await snapshots.ensure(message.tenantId, message.environmentId, message.revision);
    }).catch((error: unknown) =>
      log.warn({ err: error }, 'not subscribed to invalidations; relying on the revision poll'),
    );
  }

  const rateLimitCounters = new SyncedWindowCounters(redis, log);
  const app = await buildApp({
    log,
    keys,
    snapshots,
    metrics,
    readiness: { ready: () => ready },
    rateLimitCounters,
    options: {
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      docsUi: config.DOCS_UI,
      logRequests: config.LOG_REQUESTS,
    },
  });
  const url = await app.listen({ host: config.HOST, port: config.PORT });

  return {
    app,
    url,
    keys,
    snapshots,
    async stop() {
      ready = false;
      clearInterval(poll);
      clearInterval(heartbeat);
      rateLimitCounters.stop();
      await app.close();
      redisSubscriber?.disconnect();
      redis?.disconnect();
      await pool.end();
    },
  };
}
