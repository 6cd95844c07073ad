import type { KubeConfig } from '@kubernetes/client-node';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ENVIRONMENTS, FEATURE_FLAGS, ruleLimitsOf, SERVED_LIVENESS_MS } from '../../core/src/index.ts';
import { createAppPool } from '../../db/src/app-pool.ts';
import {
  createRedisConnection,
  redisTargetOf,
  type RedisTarget,
} from '../../runtime/src/redis-connection.ts';
import { migrate } from '../../db/src/migrate.ts';
import { postgresOperatorStore } from '../../db/src/operator-store.ts';
import type { Cluster, ResourceCache, ResourceWriter } from './cluster/cluster.ts';
import type { OperatorConfig } from './config.ts';
import { InvalidationPublisher, type MessagePublisher } from './invalidation-publisher.ts';
import { parseResourceKey, resourceKey, type CustomResource } from './kube/custom-resource.ts';
import { loadKubeConfig, reuseConnections } from './kube/kube-config.ts';
import { isNotFound } from './kube/kube-errors.ts';
import { NamespaceLabelRecorder } from './kube/namespace-label-recorder.ts';
import { namespaceLabelStore } from '../../db/src/stores/namespace-labels.ts';
import { kubernetesCluster } from './kube/kubernetes-cluster.ts';
import { createOperatorMetrics, type OperatorMetrics } from './metrics.ts';
import { buildOperatorApp } from './operator-app.ts';
import { PropagationTracker } from './propagation/propagation-tracker.ts';
import { readServedRevisions } from './propagation/served-revisions.ts';
import { WorkQueue } from './queue/work-queue.ts';
import { reconcilerFor } from './reconcile/reconcile-dispatch.ts';
import { writeConditions } from './reconcile/reconcile-deps.ts';
import { ResourceChanges } from './cluster/resource-changes.ts';

export interface RunningOperator {
  url: string;
  queue: WorkQueue;
  publisher: InvalidationPublisher;
  ready(): boolean;
  /** Whether this replica reconciles (always, without leader election). */
  leading(): boolean;
  stop(): Promise<void>;
}

/** The app role the operator acts as, whatever user it logs in with: row-level security always applies. */
const DATABASE_ROLE = 'xc_operator';

export interface OperatorOptions {
  kubeConfig?: KubeConfig;
  /** Where the resources live; the default is the API server of `kubeConfig` (or the loaded kubeconfig). */
  cluster?: Cluster;
  /** Where invalidations go when there is no REDIS_URL (local mode's in-process bus). */
  invalidations?: MessagePublisher;
  /** Called when the lease is lost; the default exits the process. */
  onLeadershipLost?: () => void;
  /** The database server gives all connections one session (PGlite): see `createAppPool`. */
  sharedDatabaseSession?: boolean;
}

async function connectRedis(target: RedisTarget | null, log: Logger): Promise<Redis | null> {
  if (!target) return null;
  const redis = createRedisConnection(target, { connectionName: 'xc-operator', commandTimeout: 1000 }, log);
  await redis
    .connect()
    .catch((error: unknown) =>
      log.warn({ err: error }, 'redis unavailable at start-up; invalidations resume when it returns'),
    );
  return redis;
}

/** Reports Propagated once every live evaluator serves a generation; only with Redis, where they say so. */
function propagationTracker(
  redis: Redis,
  flags: ResourceCache,
  writer: ResourceWriter,
  metrics: OperatorMetrics,
  log: Logger,
) {
  const tracker = new PropagationTracker({
    readServed: (environmentIds) => readServedRevisions(redis, environmentIds),
    report: async (tracked, evaluators) => {
      const resource = flags.get(tracked.namespace, tracked.name);
      if (!resource || resource.metadata.generation !== tracked.generation) return true;
      try {
        await writeConditions(writer, FEATURE_FLAGS.plural, resource, [
          {
            type: 'Propagated',
            status: 'True',
            reason: 'Served',
            message: `served by ${evaluators} live evaluator(s)`,
          },
        ]);
      } catch (error) {
        if (isNotFound(error)) return true;
        log.debug({ err: error, flag: tracked.key }, 'Propagated not written yet; retrying');
        return false;
      }
      metrics.propagation.observe((Date.now() - tracked.since) / 1000);
      return true;
    },
    log,
    livenessMs: SERVED_LIVENESS_MS,
  });
  metrics.watchPropagation(() => tracker.oldestWaitMs());
  return tracker;
}

function electorFor(config: OperatorConfig, cluster: Cluster) {
  if (!cluster.leaderElection)
    throw new Error('LEADER_ELECTION needs a Kubernetes API server; set LEADER_ELECTION=false');
  return cluster.leaderElection({
    namespace: config.POD_NAMESPACE,
    name: config.LEASE_NAME,
    identity: config.POD_NAME,
    leaseDurationSeconds: config.LEASE_DURATION_SECONDS,
    renewDeadlineMs: config.LEASE_RENEW_DEADLINE_MS,
    retryPeriodMs: config.LEASE_RETRY_PERIOD_MS,
  });
}

/**
 * Wires the operator in dependency order: migrations, Postgres, Redis, the cluster, the queue (filled by the
 * watches, handed to the reconcilers once they exist), leadership, then the HTTP app.
 */
export async function startOperator(
  config: OperatorConfig,
  log: Logger,
  options: OperatorOptions = {},
): Promise<RunningOperator> {
  if (config.MIGRATE_ON_START)
    await migrate({
      databaseUrl: config.DATABASE_URL,
      caFile: config.DATABASE_CA_FILE,
      sslMode: config.DATABASE_SSLMODE,
      log: (message) => log.debug(message),
    });
  const pool = createAppPool({
    databaseUrl: config.DATABASE_URL,
    caFile: config.DATABASE_CA_FILE,
    sslMode: config.DATABASE_SSLMODE,
    role: DATABASE_ROLE,
    // a reconcile holds a connection for one statement at a time: fewer than the workers are enough
    max: Math.min(config.RECONCILE_CONCURRENCY, 16) + 2,
    statementTimeoutMs: 10_000,
    log,
    sharedSession: options.sharedDatabaseSession,
  });
  const redis = await connectRedis(redisTargetOf(config), log);
  const kubeConfig = options.cluster
    ? null
    : options.kubeConfig
      ? reuseConnections(options.kubeConfig)
      : loadKubeConfig();
  const cluster = options.cluster ?? kubernetesCluster(kubeConfig!, config.POD_NAME, log);
  const publisher = new InvalidationPublisher(redis ?? options.invalidations ?? null, log);
  redis?.on('ready', () => void publisher.republishUnsent());
  const queue = new WorkQueue({
    concurrency: config.RECONCILE_CONCURRENCY,
    groupOf: (key) => parseResourceKey(key).namespace,
    onError: (key, error, attempt) =>
      log.warn({ err: error, key, attempt }, 'reconcile failed; retrying with backoff'),
  });

  const elector = config.LEADER_ELECTION ? electorFor(config, cluster) : null;
  const leading = () => (elector ? elector.leading : true);
  // Namespaces' labels say which evaluator group serves each tenant (a cluster only: local mode has no labels).
  const namespaceLabels =
    kubeConfig &&
    new NamespaceLabelRecorder(kubeConfig, {
      store: namespaceLabelStore(pool),
      announce: (namespace) => publisher.publishTenantsChanged(namespace),
      leading,
      log,
    });
  const watched = new Set(config.WATCH_NAMESPACES);
  const seen = new Map<string, string>();
  // a kind's initial listing and every resync are backlog; what the watch brings after the listing is a change
  const listed = new Set<string>();
  const enqueueFrom = (kind: string) => (event: string, resource: CustomResource) => {
    const { namespace, name, generation, deletionTimestamp } = resource.metadata;
    // every replica watches (its management API reads and streams from the watch); only the leader reconciles
    if (!leading()) return;
    if (watched.size > 0 && !watched.has(namespace)) return;
    const key = resourceKey(kind, namespace, name);
    // controller-runtime's GenerationChangedPredicate: our own finalizer and status writes come back as
    // updates that change nothing to reconcile. Deletes and resyncs always go through.
    const state = `${generation}/${deletionTimestamp ? 'deleting' : 'live'}`;
    if (event === 'update' && seen.get(key) === state) return;
    if (event === 'delete') seen.delete(key);
    else seen.set(key, state);
    queue.add(key, event === 'resync' || !listed.has(kind) ? 'backlog' : 'change');
  };
  const flagChanges = new ResourceChanges();
  const enqueueFlag = enqueueFrom(FEATURE_FLAGS.kind);
  const flags = cluster.watch(FEATURE_FLAGS.plural, (event, resource) => {
    enqueueFlag(event, resource);
    flagChanges.publish(event, resource);
  });
  const environments = cluster.watch(ENVIRONMENTS.plural, enqueueFrom(ENVIRONMENTS.kind));

  const metrics = createOperatorMetrics(
    () => queue.depth,
    () => queue.waitingIn('change'),
  );
  const propagation = redis ? propagationTracker(redis, flags, cluster.writer, metrics, log) : undefined;
  queue.run(
    reconcilerFor(
      {
        store: postgresOperatorStore(pool, { sharedSession: options.sharedDatabaseSession }),
        writer: cluster.writer,
        events: cluster.events,
        publisher,
        secrets: cluster.keys,
        flags,
        environments,
        enqueue: (key, lane) => queue.add(key, lane),
        propagation,
        ruleLimits: ruleLimitsOf(config),
        log,
      },
      metrics,
    ),
  );

  let synced = false;
  let resync: NodeJS.Timeout | null = null;
  const resyncAll = () => {
    for (const resource of environments.list()) enqueueFrom(ENVIRONMENTS.kind)('resync', resource);
    for (const resource of flags.list()) enqueueFrom(FEATURE_FLAGS.kind)('resync', resource);
  };
  // Environments listed first, so each namespace's are queued before its flags: a flag written before its
  // namespace's environments are would be written again for each of them.
  const watching = environments
    .start()
    .then(() => listed.add(ENVIRONMENTS.kind))
    .then(() => flags.start())
    .then(() => {
      listed.add(FEATURE_FLAGS.kind);
      synced = true;
    });
  // awaited by `lead`; a replica standing by says so here rather than as an unhandled rejection
  watching.catch((error: unknown) => log.error({ err: error }, 'the watches did not start'));
  const lead = async () => {
    await watching;
    // a replica that stood by heard the watch's events without queueing them: everything, once, now
    if (elector) resyncAll();
    resync = setInterval(resyncAll, config.RESYNC_INTERVAL_MS);
    // its first listing records every namespace (an add each), as every relist after a watch error does
    void namespaceLabels?.start();
  };
  // A standing-by replica is ready once its watch is: it serves the management API, and takes over when the
  // leader's lease lapses.
  const ready = () => synced;

  // Listening before the first listing is in: listing 100,000 resources takes longer than a liveness probe
  // waits, and /healthz must answer meanwhile (/readyz says not ready until the listing is complete).
  const app = await buildOperatorApp({
    config,
    pool,
    cluster,
    flags,
    flagChanges,
    metrics,
    ready,
    log,
  });
  const url = await app.listen({ host: config.HOST, port: config.PORT });
  // Losing the lease ends this process (controller-runtime does the same): a fresh start re-campaigns cleanly.
  if (elector)
    elector.run({ started: lead, stopped: () => (options.onLeadershipLost ?? (() => process.exit(1)))() });
  else
    await lead().catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
  return {
    url,
    queue,
    publisher,
    ready,
    leading,
    async stop() {
      if (resync) clearInterval(resync);
      propagation?.stop();
      await elector?.stop();
      await Promise.all([flags.stop(), environments.stop(), namespaceLabels?.stop()]);
      queue.stop();
      await queue.whenIdle();
      await app.close();
      redis?.disconnect();
      await pool.end();
    },
  };
}
