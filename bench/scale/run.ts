// bench/scale: the evaluator with a large configuration loaded, beside a small one.
//   large: 5,000 flags in 50 namespaces and 100 environments (each flag configured in both environments of its
//   namespace: 10,000 per-environment configurations), with the chart's default V8 settings;
//   huge: issue 15's shape, 100,000 flags in 1,000 namespaces of 10 environments (1,000,000 configurations),
//   with the heap the chart's values.yaml sizes for it.
//   For each: configurations held, cold start (process start to ready with everything loaded), RSS, RSS per
//   configuration beyond the small install's, and single-evaluation throughput (autocannon, server and load
//   generator pinned to a core each), compared with the same evaluator serving one environment of 100 flags.
//   The operator's side of scale (initial sync, its RSS) is bench/operator.
// Usage: npm run bench:scale [-- --flags 5000 --namespaces 50 --environments 2 --seconds 5 --rounds 3
//          --huge-flags 100000 --huge-namespaces 1000 --huge-environments 10 --huge-heap-mb 1280]
//        (--huge-flags 0 leaves the huge case out)
import { cpus } from 'node:os';
import { arg } from '../support/cli.ts';
import { chartNodeOptions } from '../support/chart-node-options.ts';
import { recordResults } from '../support/results.ts';
import type { ScaleShape } from '../support/seed-scale.ts';
import { ensureServices, stopServices } from '../support/test-infrastructure.ts';
import { serveScale, type ScaleFigures } from './scale-evaluator.ts';

const LARGE: ScaleShape = {
  flags: arg('flags', 5000),
  namespaces: arg('namespaces', 50),
  environmentsPerNamespace: arg('environments', 2),
};
const HUGE: ScaleShape = {
  flags: arg('huge-flags', 100_000),
  namespaces: arg('huge-namespaces', 1000),
  environmentsPerNamespace: arg('huge-environments', 10),
};
const SMALL: ScaleShape = { flags: 100, namespaces: 1, environmentsPerNamespace: 1 };
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 3);
const { nodeOptions, heapMb: HEAP_MB } = chartNodeOptions('evaluator');
/** What charts/exclusive-change/values.yaml tells an install of a million configurations to set. */
const HUGE_HEAP_MB = arg('huge-heap-mb', 1280);
const hugeNodeOptions = nodeOptions.replace(
  /--max-old-space-size=\d+/,
  `--max-old-space-size=${HUGE_HEAP_MB}`,
);

/** Resident memory beyond the small install's, per configuration held, in bytes. */
const bytesPerConfiguration = (figures: ScaleFigures, small: ScaleFigures) =>
  Math.round(((figures.peakRssMb - small.peakRssMb) * 1024 * 1024) / figures.configurations);

const services = ensureServices();
const servers: Awaited<ReturnType<typeof serveScale>>[] = [];
try {
  servers.push(
    await serveScale(SMALL, 'small', nodeOptions, SECONDS),
    await serveScale(LARGE, 'large', nodeOptions, SECONDS),
  );
  if (HUGE.flags > 0) servers.push(await serveScale(HUGE, 'huge', hugeNodeOptions, SECONDS));
  // Interleaved rounds: this machine's speed drifts within minutes, and every configuration should see the same.
  for (const server of servers) await server.warm();
  for (let round = 0; round < ROUNDS; round++) for (const server of servers) await server.round();
  const [small, large, huge] = servers.map((server) => server.figures()) as [
    ScaleFigures,
    ScaleFigures,
    ScaleFigures | undefined,
  ];
  console.log(
    `bench/scale on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}; evaluators on core 0 (heap cap ${HEAP_MB} MB as the chart sets, ${HUGE_HEAP_MB} MB for the huge case as values.yaml sizes it), autocannon (50 connections, ${ROUNDS} interleaved rounds of ${SECONDS} s, median) on core 1`,
  );
  const shapes = [SMALL, LARGE, HUGE];
  console.table(
    [small, large, huge].flatMap((figures, i) =>
      figures
        ? [
            {
              config: `${shapes[i]!.flags} flags, ${shapes[i]!.namespaces} ns, ${figures.environments} envs`,
              'configs held': figures.configurations,
              snapshots: figures.snapshotsHeld,
              'compiled flags': figures.compiledFlags,
              'seed ms': figures.seedMs,
              'cold start ms': figures.loadedMs,
              'cold start CPU s': figures.cpuSeconds,
              'RSS MB': figures.rssMb,
              'peak RSS MB': figures.peakRssMb,
              'B/config': i === 0 ? '' : bytesPerConfiguration(figures, small),
              'single eval req/s': figures.rps,
              'non-2xx': figures.non2xx,
            },
          ]
        : [],
    ),
  );
  const ratio = large.rps / small.rps;
  console.log(
    `large/small throughput: ${ratio.toFixed(2)} (target >= 0.90); large RSS ${large.peakRssMb} MB peak (target < 250 MB)`,
  );
  const hugeFigures = huge && {
    ...huge,
    bytesPerConfiguration: bytesPerConfiguration(huge, small),
    ratio: huge.rps / small.rps,
    heapMb: HUGE_HEAP_MB,
  };
  if (hugeFigures)
    console.log(
      `huge: ${hugeFigures.bytesPerConfiguration} B per configuration (target <= 1024), peak RSS ${huge.peakRssMb} MB (target < 1536), cold start ${(huge.loadedMs / 1000).toFixed(1)} s, ${huge.cpuSeconds.toFixed(1)} s of CPU (target < 60 s), throughput ${hugeFigures.ratio.toFixed(2)} of small (target >= 0.90)`,
    );
  recordResults('scale', {
    shape: LARGE,
    heapMb: HEAP_MB,
    small,
    large,
    ratio,
    ...(hugeFigures ? { hugeShape: HUGE, huge: hugeFigures } : {}),
  });
} finally {
  for (const server of servers) await server.close();
  if (services.started) stopServices();
}
