import { hkdfSync, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ruleLimitsOf } from '../../core/src/index.ts';
import { findApiKey, listActiveApiKeys } from '../../db/src/evaluator-reads.ts';
import { createAppPool } from '../../db/src/app-pool.ts';
import {
  createRedisConnection,
  redisTargetOf,
  type RedisTarget,
} from '../../runtime/src/redis-connection.ts';
import { withClient } from '../../db/src/with-client.ts';
import { buildApp } from './app.ts';
import { SyncedWindowCounters } from './http/request-counters.ts';
import { ApiKeyRing } from './auth/api-key-ring.ts';
import type { EvaluatorConfig } from './config.ts';
import { CorsPolicy } from './http/cors.ts';
import { createMetrics, observeServing } from './metrics.ts';
import { buildMetricsApp } from './routes/health.ts';
import { FairScheduler } from './scheduling/fair-scheduler.ts';
import { InvalidationSubscription, type MessageSubscriber } from './snapshots/invalidation-subscriber.ts';
import { PostgresSnapshotSource } from './snapshots/postgres-snapshot-source.ts';
import { CompiledFlagPool } from './snapshots/compiled-flag-pool.ts';
import { RedisSnapshotCache } from './snapshots/redis-snapshot-cache.ts';
import { TextSeal } from './snapshots/sealed-text.ts';
import { buildSnapshot } from './snapshots/snapshot.ts';
import { SnapshotRegistry } from './snapshots/snapshot-registry.ts';
import { coalesced, tenantGroupOf } from './snapshots/tenant-group.ts';
import { StreamHub } from './streams/stream-hub.ts';
import { StreamTokens } from './streams/stream-token.ts';

export interface RunningEvaluator {
  app: FastifyInstance;
  url: string;
  /** Where /metrics is served (not on `url`). */
  metricsUrl: string;
  keys: ApiKeyRing;
  snapshots: SnapshotRegistry;
  /** Stops taking traffic, drains in-flight requests, then closes Postgres and Redis. */
  stop(): Promise<void>;
}

/** The app role the evaluator acts as, whatever user it logs in with: row-level security always applies. */
const DATABASE_ROLE = 'xc_evaluator';

/** Milliseconds a snapshot build compiles before it lets other work run. */
const BUILD_SLICE_MS = 2;

function createRedis(target: RedisTarget, log: Logger, name: string): Redis {
  return createRedisConnection(target, { connectionName: name, commandTimeout: 500 }, log);
}

export interface EvaluatorOptions {
  /** Where invalidations come from when there is no REDIS_URL (local mode's in-process bus). */
  invalidations?: MessageSubscriber;
  /** The database server gives all connections one session (PGlite): see `createAppPool`. */
  sharedDatabaseSession?: boolean;
}

/**
 * Wires the evaluator, each part after what it needs: Postgres and Redis, metrics, the scheduler of heavy work,
 * the snapshots (built in the scheduler's turns), the key ring, the HTTP app; then the first load and the loops.
 */
export async function startEvaluator(
  config: EvaluatorConfig,
  log: Logger,
  options: EvaluatorOptions = {},
): Promise<RunningEvaluator> {
  const pool = createAppPool({
    databaseUrl: config.DATABASE_URL,
    caFile: config.DATABASE_CA_FILE,
    sslMode: config.DATABASE_SSLMODE,
    role: DATABASE_ROLE,
    max: 10,
    statementTimeoutMs: 5000,
    log,
    sharedSession: options.sharedDatabaseSession,
  });
  const redisTarget = redisTargetOf(config);
  const redis = redisTarget ? createRedis(redisTarget, log, 'xc-evaluator') : null;
  const redisSubscriber = redisTarget ? createRedis(redisTarget, log, 'xc-evaluator-subscriber') : null;
  const subscriber = redisSubscriber ?? options.invalidations ?? null;
  await Promise.all(
    [redis?.connect(), redisSubscriber?.connect()].map((connecting) =>
      connecting?.catch((error: unknown) =>
        log.warn({ err: error }, 'redis unavailable at start-up; serving from Postgres'),
      ),
    ),
  );

  const metrics = createMetrics();
  const scheduler = new FairScheduler({
    maxPendingPerTenant: config.HEAVY_WORK_PER_TENANT,
    tenantShare: config.HEAVY_WORK_SHARE,
    clock: () => performance.now(),
  });
  const limits = ruleLimitsOf(config);
  const compiledFlags = new CompiledFlagPool();
  const hub = new StreamHub({
    perReplica: config.STREAM_MAX_PER_REPLICA,
    perKey: config.STREAM_MAX_PER_KEY,
    perTenant: config.STREAM_MAX_PER_TENANT,
  });
  if (!config.STREAM_TOKEN_SECRET && (config.STREAM_MAX_PER_REPLICA > 0 || redisTarget))
    log.warn(
      'STREAM_TOKEN_SECRET is not set: stream URLs open, and the snapshots this replica leaves in Redis are read, only here',
    );
  // One secret per release (the chart's Secret), a key derived from it per use: stream URLs, and the state
  // replicas leave in Redis for each other.
  const releaseSecret = config.STREAM_TOKEN_SECRET
    ? Buffer.from(config.STREAM_TOKEN_SECRET)
    : randomBytes(32);
  const keyFor = (purpose: string) =>
    Buffer.from(hkdfSync('sha256', releaseSecret, '', `exclusive-change ${purpose}`, 32));
  const group = tenantGroupOf(config.TENANT_SELECTOR);
  if (group.selector) log.info({ tenantSelector: group.selector }, 'serving the tenants of one group');
  const invalidations = subscriber && new InvalidationSubscription(subscriber, log, Boolean(group.id));
  const cache =
    redis &&
    new RedisSnapshotCache(redis, config.REPLICA_ID, log, new TextSeal(keyFor('redis-state')), group.id);
  const snapshots = new SnapshotRegistry({
    source: new PostgresSnapshotSource(pool, group.serves, (environments) => {
      void invalidations
        ?.serveTenants(environments.map((environment) => environment.tenantId))
        .then((added) => added && listAgain())
        .catch(() => undefined);
    }),
    cache,
    log,
    build: (data, previous) =>
      scheduler.run(
        data.tenantId,
        buildSnapshot(data, {
          pool: compiledFlags,
          limits,
          previous,
          sliceMs: BUILD_SLICE_MS,
          clock: () => performance.now(),
          builtAt: Date.now(),
        }),
        true,
      ),
    events: {
      loaded: (snapshot, from) => {
        metrics.snapshotLoads.inc({ from });
        hub.changed(snapshot);
      },
      buildFailed: () => metrics.snapshotBuildFailures.inc(),
      removed: (environmentId) => hub.closeEnvironment(environmentId),
    },
  });
  observeServing(metrics, {
    snapshots: () => snapshots.all(),
    heavyWorkPending: () => scheduler.pending,
    streamsOpen: () => hub.open,
    compiledFlags: () => compiledFlags.size,
  });
  const keys = new ApiKeyRing(
    {
      listActive: () => withClient(pool, (client) => listActiveApiKeys(client, group.serves)),
      find: (keyHash) => {
        metrics.keyLookups.inc();
        return withClient(pool, (client) => findApiKey(client, keyHash, group.serves));
      },
    },
    { unknownLookupsPerSecond: config.UNKNOWN_KEY_LOOKUPS_PER_SECOND },
  );

  const reloadKeys = async () => {
    await keys.reload();
    void cache?.rememberKeys(keys.entries());
    // A stream lives as long as the key it was opened with: revoked, moved or made another kind, it closes.
    hub.closeInvalid((opened) => {
      const now = keys.byId(opened.apiKeyId);
      return now?.environmentId === opened.environmentId && now.kind === opened.kind;
    });
  };

  let ready = false;
  const rateLimitCounters = new SyncedWindowCounters(redis, log);
  const cors = new CorsPolicy(snapshots);
  const app = await buildApp({
    log,
    keys,
    snapshots,
    metrics,
    readiness: { ready: () => ready },
    rateLimitCounters,
    cors,
    streams:
      config.STREAM_MAX_PER_REPLICA > 0
        ? {
            hub,
            keys,
            cors,
            tokens: new StreamTokens({
              secret: keyFor('stream-tokens'),
              ttlSeconds: config.STREAM_TOKEN_TTL_SECONDS,
            }),
            inactivityDelaySec: config.STREAM_INACTIVITY_DELAY_SECONDS,
            maxLifetimeMs: config.STREAM_TOKEN_TTL_SECONDS * 1000,
            baseUrl: config.STREAM_BASE_URL?.replace(/\/$/, ''),
          }
        : null,
    evaluation: {
      metrics,
      scheduler,
      operationBudget: config.RULE_OPERATION_BUDGET ?? limits.maxCost,
      now: Date.now,
    },
    options: {
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      rateLimitPerSecond: config.RATE_LIMIT_PER_SECOND,
      docsUi: config.DOCS_UI,
      logRequests: config.LOG_REQUESTS,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
      streamHeartbeatMs: config.STREAM_HEARTBEAT_MS,
    },
  });
  const metricsApp = buildMetricsApp(metrics);

  const refresh = async () => {
    await Promise.all([reloadKeys(), snapshots.refreshAll()]);
    ready = true;
  };
  // Once more after a tenant joined this group (or a namespace was relabelled), however often asked meanwhile.
  const listAgain = coalesced(refresh, (error) =>
    log.warn({ err: error }, 'tenants not listed again; retrying with the revision poll'),
  );
  // Started while Postgres is down (a node drained during a database failover): the last good keys and
  // snapshots other replicas left in Redis, until the revision poll reaches Postgres again.
  const restoreLastGood = async (): Promise<boolean> => {
    const lastKeys = await cache?.lastKeys();
    if (!lastKeys) return false;
    keys.restore(lastKeys);
    const served = await snapshots.restoreFromCache();
    if (served > 0)
      log.warn({ environments: served }, 'Postgres unavailable: serving the last good state from Redis');
    return served > 0;
  };
  await refresh().catch(async (error: unknown) => {
    log.warn({ err: error }, 'initial load failed; retrying with the revision poll');
    if (await restoreLastGood()) ready = true;
  });
  const poll = setInterval(
    () =>
      void refresh().catch((error: unknown) =>
        log.warn({ err: error }, 'revision poll failed; serving the last good snapshots'),
      ),
    config.REVISION_POLL_INTERVAL_MS,
  );
  const heartbeat = setInterval(() => void snapshots.publishServed(), config.SERVED_HEARTBEAT_MS);
  // Invalidations published while the subscriber was away (a Redis restart, a Sentinel failover) never reach
  // it: each time it is back, compare every revision with Postgres now rather than at the next poll.
  redisSubscriber?.on('ready', () => {
    void refresh().catch((error: unknown) =>
      log.warn({ err: error }, 'catch-up after Redis came back failed; the revision poll will retry'),
    );
  });
  if (invalidations) {
    await invalidations
      .start({
        onMessage: async (message) => {
          metrics.invalidations.inc();
          if (message.keysChanged) await reloadKeys();
          await snapshots.ensure(message.tenantId, message.environmentId, message.revision);
        },
        // A namespace relabelled: its tenant may have come to this group or left it.
        onTenantsChanged: listAgain,
      })
      .catch((error: unknown) =>
        log.warn({ err: error }, 'not subscribed to invalidations; relying on the revision poll'),
      );
  }

  const url = await app.listen({ host: config.HOST, port: config.PORT });
  app.server.maxConnections = config.MAX_CONNECTIONS;
  const metricsUrl = await metricsApp.listen({ host: config.HOST, port: config.METRICS_PORT });

  return {
    app,
    url,
    metricsUrl,
    keys,
    snapshots,
    async stop() {
      ready = false;
      clearInterval(poll);
      clearInterval(heartbeat);
      rateLimitCounters.stop();
      await app.close();
      await metricsApp.close();
      redisSubscriber?.disconnect();
      redis?.disconnect();
      await pool.end();
    },
  };
}
