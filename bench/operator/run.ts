// bench/operator: the operator against a real control plane (its own, fresh, for each shape), Postgres and Redis.
//   1. initial sync: the FeatureFlags and Environments exist before the operator starts; time until every flag
//      is committed to Postgres with a configuration in every environment of its namespace, and the operator's
//      peak RSS. Shapes: `small` (5,000 flags in 50 namespaces, one environment each) and `large` (100,000
//      flags in 1,000 namespaces with 10 environments each: 10,000 environments, 1,000,000 configurations).
//   2. apply → commit during the sync: a user's change, one at a time, while the backlog is being worked
//      off (changes go before it, on workers it may not take)
//   3. apply → commit after the sync: K successive changes
// Latency runs from sending the patch to the commit (the flag row's updated_at, set in the writing statement).
// Usage: npm run bench:operator [-- --shape small|large|both --flags N --namespaces N --environments N --changes K]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, rssMb } from '../support/cli.ts';
import { chartNodeOptions } from '../support/chart-node-options.ts';
import { freshDatabase } from '../../tests/support/test-database.ts';

type FreshDatabase = Awaited<ReturnType<typeof freshDatabase>>;
import { freePort, startNode, stop } from '../../tests/support/processes.ts';
import {
  ensureControlPlane,
  ensureServices,
  stopControlPlane,
  stopServices,
} from '../support/test-infrastructure.ts';
import { percentile, recordResults } from '../support/results.ts';
import { clusterClients, type FlagRef, type Shape } from './cluster-fill.ts';

const SHAPES: Record<string, Shape> = {
  small: { flags: 5000, namespaces: 50, environmentsPerNamespace: 1 },
  large: { flags: 100_000, namespaces: 1000, environmentsPerNamespace: 10 },
};
const shapeArg = process.argv[process.argv.indexOf('--shape') + 1];
const chosen = process.argv.includes('--shape') && shapeArg !== 'both' ? [shapeArg!] : ['small', 'large'];
const CHANGES = arg('changes', 200);
/** A sync not finished by then is reported with how far it got. */
const SYNC_DEADLINE_MS = arg('deadline-s', 600) * 1000;
const { nodeOptions, heapMb: HEAP_MB } = chartNodeOptions('operator');

/** How long the API server took to answer each patch: the part of apply → commit that is not the operator's. */
let patchMs: number[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const summary = (latencies: number[]) => ({
  count: latencies.length,
  p50: percentile(latencies, 50),
  p99: percentile(latencies, 99),
  max: Math.max(...latencies),
});

async function measure(name: string, shape: Shape) {
  // a control plane of its own: filled with 100,000 flags, it is cheaper to throw away than to empty
  const controlPlaneDir = mkdtempSync(join(tmpdir(), 'xc-bench-operator-cp-'));
  process.env.XC_CONTROL_PLANE_DIR = controlPlaneDir;
  ensureControlPlane();
  const cluster = clusterClients();
  const run = Date.now().toString(36);
  const database = await freshDatabase(`xc_bench_operator_${run}`);
  try {
    console.error(
      `${name}: creating ${shape.namespaces} namespaces, ${shape.namespaces * shape.environmentsPerNamespace} Environments and ${shape.flags} FeatureFlags…`,
    );
    const { namespaces, flags } = await cluster.fill(run, shape);
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
      `http://127.0.0.1:${port}/healthz`,
    );
    const wanted = shape.flags * shape.environmentsPerNamespace;
    const syncProgress = async () => {
      const { rows } = await database.owner.query<{ flags: string; configs: string }>(
        "SELECT (SELECT count(*) FROM flags WHERE status = 'active') AS flags, (SELECT count(*) FROM flag_configs) AS configs",
      );
      return { flags: Number(rows[0]!.flags), configurations: Number(rows[0]!.configs) };
    };
    let done = false;
    const during = changesUntil(() => done, cluster, database, flags);
    let unfinished: { flags: number; configurations: number } | null = null;
    for (;;) {
      const progress = await syncProgress();
      if (progress.flags >= shape.flags && progress.configurations >= wanted) break;
      if (operator.exitCode !== null || operator.signalCode !== null)
        throw new Error(`the operator ended during the sync (${operator.exitCode ?? operator.signalCode})`);
      // recorded as unfinished rather than failing every other bench of `npm run bench`
      if (performance.now() - started > SYNC_DEADLINE_MS) {
        unfinished = progress;
        break;
      }
      await sleep(shape.flags > 10_000 ? 500 : 100);
    }
    const syncSeconds = (performance.now() - started) / 1000;
    done = true;
    const duringSync = await during;
    const duringSyncPatch = summary(patchMs);
    patchMs = [];
    await sleep(2000); // let the status writes of the last flags finish
    const syncPeakRss = rssMb(operator.pid!, 'VmHWM');

    const after: number[] = [];
    for (let i = 0; i < CHANGES; i++)
      after.push(await commitLatency(cluster, database, flags[i % flags.length]!, 11 + (i % 89)));
    const afterPatch = summary(patchMs);
    patchMs = [];
    const rssAfter = rssMb(operator.pid!, 'VmRSS');
    await stop(operator);
    return {
      ...shape,
      heapMb: HEAP_MB,
      syncSeconds,
      unfinished,
      syncPeakRssMb: Math.round(syncPeakRss),
      rssAfterMb: Math.round(rssAfter),
      changes: CHANGES,
      commit: summary(after),
      duringSync: summary(duringSync),
      patchAnswered: { duringSync: duringSyncPatch, after: afterPatch },
    };
  } finally {
    await database.drop();
    stopControlPlane();
    rmSync(controlPlaneDir, { recursive: true, force: true });
  }
}

/** Sends one change and waits until Postgres holds it; returns patch → commit in ms. */
async function commitLatency(
  cluster: ReturnType<typeof clusterClients>,
  database: FreshDatabase,
  flag: FlagRef,
  percentage: number,
): Promise<number> {
  const sentAt = Date.now();
  await cluster.patchPercentage(flag, percentage);
  patchMs.push(Date.now() - sentAt);
  for (;;) {
    const row = await database.owner.query<{ updated_at: Date }>(
      "SELECT f.updated_at FROM flags f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug = $1 AND f.key = $2 AND f.status = 'active' AND f.rollout_percentage = $3",
      [flag.namespace, flag.name, percentage],
    );
    if (row.rows[0]) return row.rows[0].updated_at.getTime() - sentAt;
    if (Date.now() - sentAt > 60_000) throw new Error(`${flag.namespace}/${flag.name} not committed in 60 s`);
    await sleep(3);
  }
}

/** A user's changes, one at a time with a pause between, to flags all over the install, until `stopped()`. */
async function changesUntil(
  stopped: () => boolean,
  cluster: ReturnType<typeof clusterClients>,
  database: FreshDatabase,
  flags: readonly FlagRef[],
): Promise<number[]> {
  const latencies: number[] = [];
  await sleep(1000); // the operator's watches list first
  for (let i = 0; !stopped(); i++) {
    const flag = flags[(i * 7919) % flags.length]!;
    latencies.push(await commitLatency(cluster, database, flag, 11 + (i % 89)));
    await sleep(200);
  }
  return latencies;
}

const services = ensureServices();
try {
  for (const name of chosen) {
    const base = SHAPES[name];
    if (!base) throw new Error(`--shape must be small, large or both, not ${name}`);
    const shape: Shape = {
      flags: arg('flags', base.flags),
      namespaces: arg('namespaces', base.namespaces),
      environmentsPerNamespace: arg('environments', base.environmentsPerNamespace),
    };
    const figures = await measure(name, shape);
    recordResults(name === 'small' ? 'operator' : 'operator-large', figures);
    console.log(
      `bench/operator (${name}) on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}; kube-apiserver, etcd and Postgres on the same machine; operator as the chart runs it (${nodeOptions})`,
    );
    console.table([
      {
        measure: `initial sync: ${shape.flags} flags, ${shape.namespaces} namespaces, ${shape.namespaces * shape.environmentsPerNamespace} environments`,
        value: figures.unfinished
          ? `not finished in ${figures.syncSeconds.toFixed(0)} s: ${figures.unfinished.flags} flags, ${figures.unfinished.configurations} configurations`
          : `${figures.syncSeconds.toFixed(1)} s`,
      },
      { measure: 'operator peak RSS during the sync', value: `${figures.syncPeakRssMb} MB` },
      {
        measure: `apply → commit during the sync (${figures.duringSync.count} changes), p50 / p99 / max`,
        value: `${figures.duringSync.p50} / ${figures.duringSync.p99} / ${figures.duringSync.max} ms`,
      },
      {
        measure: '  of which the API server answering the patch, p50 / p99',
        value: `${figures.patchAnswered.duringSync.p50} / ${figures.patchAnswered.duringSync.p99} ms`,
      },
      {
        measure: `apply → commit after it (${CHANGES} changes), p50 / p99 / max`,
        value: `${figures.commit.p50} / ${figures.commit.p99} / ${figures.commit.max} ms`,
      },
      { measure: 'operator RSS after the changes', value: `${figures.rssAfterMb} MB` },
    ]);
  }
} finally {
  if (services.started) stopServices();
}
