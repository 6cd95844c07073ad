// bench/scale: the evaluator with a large configuration loaded, beside a small one.
//   5,000 flags in 50 namespaces and 100 environments (each flag configured in both environments of its
//   namespace: 10,000 per-environment configurations); the evaluator's RSS once everything is loaded, and
//   single-evaluation throughput (autocannon, server and load generator pinned to a core each), compared with
//   the same evaluator serving one environment of 100 flags. The operator's side of scale (initial sync of
//   5,000 flags, its RSS) is bench/operator.
// Usage: npm run bench:scale [-- --flags 5000 --namespaces 50 --environments 2 --seconds 5 --rounds 3]
import { arg, rssMb } from '../support/cli.ts';
import { chartNodeOptions } from '../support/chart-node-options.ts';
import { cpus } from 'node:os';
import { freshDatabase } from '../../tests/support/test-database.ts';
import { freePort, startNode, stop } from '../../tests/support/processes.ts';
import { percentile, recordResults } from '../support/results.ts';
import { runLoad } from '../support/run-load.ts';
import { ensureServices, stopServices } from '../support/test-infrastructure.ts';
import { seedScale, type ScaleShape } from '../support/seed-scale.ts';

const LARGE: ScaleShape = {
  flags: arg('flags', 5000),
  namespaces: arg('namespaces', 50),
  environmentsPerNamespace: arg('environments', 2),
};
const SMALL: ScaleShape = { flags: 100, namespaces: 1, environmentsPerNamespace: 1 };
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 3);
const { nodeOptions, heapMb: HEAP_MB } = chartNodeOptions('evaluator');

/** An evaluator process, on core 0, serving a database filled as `shape` says; ready once everything is loaded. */
async function serve(shape: ScaleShape, name: string) {
  const database = await freshDatabase(`xc_bench_scale_${name}`);
  const seeded = await seedScale(database.owner, shape);
  const port = await freePort();
  const started = Date.now();
  const evaluator = await startNode(
    'evaluator/src/main.ts',
    [],
    {
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL!,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SECOND: '0',
      REPLICA_ID: `scale-${name}`,
      NODE_OPTIONS: nodeOptions,
    },
    `http://127.0.0.1:${port}/healthz`,
    '0',
  );
  while ((await fetch(`http://127.0.0.1:${port}/readyz`)).status !== 200)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const loadedMs = Date.now() - started;
  const bodies = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify({ context: { targetingKey: `user-${i}`, plan: i % 3 ? 'free' : 'gold' } }),
  );
  const load = (seconds: number) =>
    runLoad(
      {
        url: `http://127.0.0.1:${port}/ofrep/v1/evaluate/flags/flag-1`,
        headers: { 'x-api-key': seeded.key },
        bodies,
        connections: 50,
        seconds,
      },
      '1',
    );
  const rounds: number[] = [];
  let non2xx = 0;
  return {
    shape,
    warm: () => load(2),
    async round() {
      const result = await load(SECONDS);
      rounds.push(result.rps);
      non2xx += result.non2xx;
    },
    figures: () => ({
      configurations: shape.flags * shape.environmentsPerNamespace,
      environments: shape.namespaces * shape.environmentsPerNamespace,
      loadedMs,
      rssMb: Math.round(rssMb(evaluator.pid!, 'VmRSS')),
      peakRssMb: Math.round(rssMb(evaluator.pid!, 'VmHWM')),
      rps: Math.round(percentile(rounds, 50)),
      non2xx,
    }),
    async close() {
      await stop(evaluator);
      await database.drop();
    },
  };
}

const services = ensureServices();
const servers: Awaited<ReturnType<typeof serve>>[] = [];
try {
  servers.push(await serve(SMALL, 'small'), await serve(LARGE, 'large'));
  // Interleaved rounds: this machine's speed drifts within minutes, and both configurations should see the same.
  for (const server of servers) await server.warm();
  for (let round = 0; round < ROUNDS; round++) for (const server of servers) await server.round();
  const [small, large] = servers.map((server) => server.figures()) as [
    ReturnType<(typeof servers)[0]['figures']>,
    ReturnType<(typeof servers)[0]['figures']>,
  ];
  console.log(
    `bench/scale on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}; evaluators on core 0 (heap cap ${HEAP_MB} MB, as the chart sets), autocannon (50 connections, ${ROUNDS} interleaved rounds of ${SECONDS} s, median) on core 1`,
  );
  console.table(
    [
      { config: `${SMALL.flags} flags, 1 environment`, ...small },
      {
        config: `${LARGE.flags} flags, ${LARGE.namespaces} namespaces, ${large.environments} environments`,
        ...large,
      },
    ].map(({ config, ...figures }) => ({
      config,
      'configs loaded': figures.configurations,
      'ready after ms': figures.loadedMs,
      'RSS MB': figures.rssMb,
      'peak RSS MB': figures.peakRssMb,
      'single eval req/s': figures.rps,
      'non-2xx': figures.non2xx,
    })),
  );
  const ratio = large.rps / small.rps;
  console.log(
    `large/small throughput: ${ratio.toFixed(2)} (target >= 0.90); large RSS ${large.peakRssMb} MB peak (target < 250 MB)`,
  );
  recordResults('scale', { shape: LARGE, heapMb: HEAP_MB, small, large, ratio });
} finally {
  for (const server of servers) await server.close();
  if (services.started) stopServices();
}
