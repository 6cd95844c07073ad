// bench/operator: the operator against the real test control plane, Postgres and Redis.
//   1. initial sync: N FeatureFlags across M namespaces exist before the operator starts; time until every one
//      is committed to Postgres, and the operator's peak RSS
//   2. apply → commit: K successive changes, each patched through the API server; latency from sending the
//      patch to the commit (the flag row's updated_at, set in the writing transaction)
// Usage: npm run bench:operator [-- --flags 5000 --namespaces 50 --changes 200]
import { arg, rssMb } from '../support/cli.ts';
import { chartNodeOptions } from '../support/chart-node-options.ts';
import { cpus } from 'node:os';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../core/src/index.ts';
import { releaseNamespace } from '../../tests/support/kubectl.ts';
import { freshDatabase } from '../../tests/support/test-database.ts';
import { freePort, startNode, stop } from '../../tests/support/processes.ts';
import {
  ensureControlPlane,
  ensureServices,
  stopControlPlane,
  stopServices,
} from '../support/test-infrastructure.ts';
import { percentile, recordResults } from '../support/results.ts';

const FLAGS = arg('flags', 5000);
const NAMESPACES = arg('namespaces', 50);
const CHANGES = arg('changes', 200);
const { nodeOptions, heapMb: HEAP_MB } = chartNodeOptions('operator');

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

const services = ensureServices();
const controlPlane = ensureControlPlane();
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const { CoreV1Api } = await import('@kubernetes/client-node');
const core = kubeConfig.makeApiClient(CoreV1Api);
const custom = kubeConfig.makeApiClient(CustomObjectsApi);
const run = Date.now().toString(36);
const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${run}-${i}`);
const database = await freshDatabase(`xc_bench_operator_${run}`);

try {
  console.error(`creating ${NAMESPACES} namespaces with an Environment each and ${FLAGS} FeatureFlags…`);
  await inBatches(namespaces, 10, async (namespace) => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: 'environments',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Environment',
        metadata: { name: 'production' },
        spec: { default: true },
      },
    });
  });
  const flags = Array.from({ length: FLAGS }, (_, i) => ({
    namespace: namespaces[i % NAMESPACES]!,
    name: `flag-${i}`,
  }));
  await inBatches(flags, 50, (flag) =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: flag.namespace,
      plural: 'featureflags',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'FeatureFlag',
        metadata: { name: flag.name },
        spec: {
          rollout: { percentage: 10 },
          targeting: { if: [{ in: [{ var: 'plan' }, ['gold']] }, 'on', null] },
        },
      },
    }),
  );

  const port = await freePort();
  const started = performance.now();
  const operator = await startNode(
    'operator/src/main.ts',
    [],
    {
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL!,
      HOST: '127.0.0.1',
      PORT: String(port),
      LEADER_ELECTION: 'false',
      LOG_LEVEL: 'warn',
      WATCH_NAMESPACES: namespaces.join(','),
      // As the chart runs it: V8 otherwise sizes its heap and young generation from this 24 GB host.
      NODE_OPTIONS: `${nodeOptions} ${process.env.XC_BENCH_NODE_OPTIONS ?? ''}`.trim(),
    },
    `http://127.0.0.1:${port}/readyz`,
  );
  const count = async () =>
    Number(
      (await database.owner.query<{ n: string }>("SELECT count(*) AS n FROM flags WHERE status = 'active'"))
        .rows[0]!.n,
    );
  while ((await count()) < FLAGS) await new Promise((resolve) => setTimeout(resolve, 200));
  const syncSeconds = (performance.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 2000)); // let the status writes of the last flags finish
  const syncPeakRss = rssMb(operator.pid!, 'VmHWM');

  const latencies: number[] = [];
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  for (let i = 0; i < CHANGES; i++) {
    const flag = flags[i % flags.length]!;
    const percentage = 11 + (i % 89);
    const sentAt = Date.now();
    await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: flag.namespace,
        plural: 'featureflags',
        name: flag.name,
        body: { spec: { rollout: { percentage } } },
      },
      mergePatch,
    );
    let committedAt: number | null = null;
    while (committedAt === null) {
      const row = await database.owner.query<{ updated_at: Date }>(
        "SELECT f.updated_at FROM flags f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug = $1 AND f.key = $2 AND f.status = 'active' AND f.rollout_percentage = $3",
        [flag.namespace, flag.name, percentage],
      );
      if (row.rows[0]) committedAt = row.rows[0].updated_at.getTime();
      else await new Promise((resolve) => setTimeout(resolve, 2));
    }
    latencies.push(committedAt - sentAt);
  }
  const rssAfter = rssMb(operator.pid!, 'VmRSS');
  const peak = rssMb(operator.pid!, 'VmHWM');
  await stop(operator);

  console.log(
    `bench/operator on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}; kube-apiserver, etcd and Postgres on the same machine; operator as the chart runs it (${nodeOptions})`,
  );
  recordResults('operator', {
    flags: FLAGS,
    namespaces: NAMESPACES,
    heapMb: HEAP_MB,
    syncSeconds,
    syncPeakRssMb: Math.round(syncPeakRss),
    changes: CHANGES,
    commit: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
    },
  });
  console.table([
    {
      measure: `initial sync: ${FLAGS} FeatureFlags in ${NAMESPACES} namespaces`,
      value: `${syncSeconds.toFixed(1)} s`,
      target: '< 60 s',
    },
    {
      measure: 'operator peak RSS during the sync',
      value: `${syncPeakRss.toFixed(0)} MB`,
      target: '< 300 MB',
    },
    {
      measure: `apply → commit p50 (${CHANGES} changes)`,
      value: `${percentile(latencies, 50)} ms`,
      target: '',
    },
    { measure: 'apply → commit p99', value: `${percentile(latencies, 99)} ms`, target: '< 250 ms' },
    { measure: 'apply → commit max', value: `${Math.max(...latencies)} ms`, target: '' },
    {
      measure: 'operator RSS after the changes (peak)',
      value: `${rssAfter.toFixed(0)} MB (${peak.toFixed(0)} MB)`,
      target: '< 300 MB',
    },
  ]);
} finally {
  await database.drop();
  await inBatches(namespaces, 5, releaseNamespace);
  if (controlPlane.started) stopControlPlane();
  if (services.started) stopServices();
}
