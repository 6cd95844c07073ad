import { KubeConfig } from '@kubernetes/client-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import { ENVIRONMENTS, FEATURE_FLAGS } from '../../core/src/index.ts';
import { migrate } from '../../db/src/migrate.ts';
import type { OperatorConfig } from './config.ts';
import { InvalidationPublisher } from './invalidation-publisher.ts';
import { ApiKeySecrets } from './kube/api-key-secrets.ts';
import { parseResourceKey, resourceKey } from './kube/custom-resource.ts';
import { EventRecorder } from './kube/event-recorder.ts';
import { ResourceClient } from './kube/resource-client.ts';
import { ResourceWatcher } from './kube/resource-watcher.ts';
import { createOperatorMetrics } from './metrics.ts';
import { WorkQueue } from './queue/work-queue.ts';
import { reconcileEnvironment } from './reconcile/environment-reconciler.ts';
import { reconcileFeatureFlag } from './reconcile/feature-flag-reconciler.ts';
import type { ReconcileDeps } from './reconcile/reconcile-deps.ts';

export interface RunningOperator {
  url: string;
  queue: WorkQueue;
  publisher: InvalidationPublisher;
  ready(): boolean;
  stop(): Promise<void>;
}

/** The app role the operator acts as, whatever user it logs in with: row-level security always applies. */
const DATABASE_ROLE = 'xc_operator';

export interface OperatorOptions {
  kubeConfig?: KubeConfig;
}

/** Wires the operator: migrations, Postgres, Redis, informers, the work queue, the reconcilers, health and metrics. */
export async function startOperator(
  config: OperatorConfig,
  log: Logger,
  options: OperatorOptions = {},
): Promise<RunningOperator> {
  if (config.MIGRATE_ON_START)
    await migrate({ databaseUrl: config.DATABASE_URL, log: (message) => log.debug(message) });
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.RECONCILE_CONCURRENCY + 2,
    connectionTimeoutMillis: 3000,
    statement_timeout: 10_000,
  });
  pool.on(
    'connect',
    (client) =>
      void client
        .query(`SET ROLE ${DATABASE_ROLE}`)
        .catch((error: unknown) => log.error({ err: error }, 'cannot act as the operator role')),
  );
  pool.on('error', (error) => log.warn({ err: error }, 'idle Postgres connection failed'));
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        commandTimeout: 1000,
      })
    : null;
  redis?.on('error', (error) => log.debug({ err: error }, 'redis connection problem'));
  await redis
    ?.connect()
    .catch((error: unknown) =>
      log.warn({ err: error }, 'redis unavailable at start-up; invalidations resume when it returns'),
    );

  const kubeConfig = options.kubeConfig ?? new KubeConfig();
  if (!options.kubeConfig) kubeConfig.loadFromDefault();
  const client = new ResourceClient(kubeConfig);
  const publisher = new InvalidationPublisher(redis, log);

  const metrics = createOperatorMetrics(() => queue.depth);
  const queue: WorkQueue = new WorkQueue(
    async (key) => {
      const { kind, namespace, name } = parseResourceKey(key);
      const end = metrics.duration.startTimer({ kind });
      try {
        if (kind === FEATURE_FLAGS.kind) await reconcileFeatureFlag(deps, namespace, name);
        else if (kind === ENVIRONMENTS.kind) await reconcileEnvironment(deps, namespace, name);
        metrics.reconciles.inc({ kind, result: 'success' });
      } catch (error) {
        metrics.reconciles.inc({ kind, result: 'error' });
        throw error;
      } finally {
        end();
      }
    },
    {
      concurrency: config.RECONCILE_CONCURRENCY,
      onError: (key, error, attempt) =>
        log.warn({ err: error, key, attempt }, 'reconcile failed; retrying with backoff'),
    },
  );
  const enqueueFrom =
    (kind: string) => (_event: string, resource: { metadata: { namespace: string; name: string } }) =>
      queue.add(resourceKey(kind, resource.metadata.namespace, resource.metadata.name));
  const flags = new ResourceWatcher(
    kubeConfig,
    client,
    FEATURE_FLAGS.plural,
    log,
    enqueueFrom(FEATURE_FLAGS.kind),
  );
  const environments = new ResourceWatcher(
    kubeConfig,
    client,
    ENVIRONMENTS.plural,
    log,
    enqueueFrom(ENVIRONMENTS.kind),
  );
  const deps: ReconcileDeps = {
    pool,
    client,
    events: new EventRecorder(kubeConfig, config.POD_NAME, log),
    publisher,
    secrets: new ApiKeySecrets(kubeConfig),
    flags,
    environments,
    enqueue: (key) => queue.add(key),
    log,
  };

  let ready = false;
  const resyncAll = () => {
    for (const resource of environments.list())
      queue.add(resourceKey(ENVIRONMENTS.kind, resource.metadata.namespace, resource.metadata.name));
    for (const resource of flags.list())
      queue.add(resourceKey(FEATURE_FLAGS.kind, resource.metadata.namespace, resource.metadata.name));
  };
  await Promise.all([environments.start(), flags.start()]);
  ready = true;
  const resync = setInterval(resyncAll, config.RESYNC_INTERVAL_MS);

  const app: FastifyInstance = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    ready ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  const url = await app.listen({ host: config.HOST, port: config.PORT });

  return {
    url,
    queue,
    publisher,
    ready: () => ready,
    async stop() {
      ready = false;
      clearInterval(resync);
      await Promise.all([flags.stop(), environments.stop()]);
      queue.stop();
      await queue.whenIdle();
      await app.close();
      redis?.disconnect();
      await pool.end();
    },
  };
}
