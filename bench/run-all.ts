// `npm run bench`: every bench in turn (each prints its own tables), then docs/benchmarks.md from their figures,
// with the machine, the date and the commands, so anyone can reproduce them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

const BENCHES = [
  'core',
  'rules',
  'evaluator',
  'fairness',
  'operator',
  'propagation',
  'management',
  'scale',
  'streams',
  'chaos',
] as const;
const results = join(mkdtempSync(join(tmpdir(), 'xc-bench-')), 'results.jsonl');
for (const bench of BENCHES) {
  console.error(`\n== npm run bench:${bench}`);
  execFileSync(process.execPath, [`bench/${bench}/run.ts`], {
    stdio: 'inherit',
    env: { ...process.env, XC_BENCH_RESULTS: results },
  });
}

type Figures = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON written by the benches
const recorded = new Map<string, Figures>(
  readFileSync(results, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Figures)
    .map((figures) => [figures.bench as string, figures]),
);
const get = (bench: string) => {
  const figures = recorded.get(bench);
  if (!figures) throw new Error(`bench:${bench} recorded no figures`);
  return figures;
};
const n = (value: number) => Math.round(value).toLocaleString('en');
const met = (ok: boolean) => (ok ? 'met' : '**not met**');

const core = get('core');
const evaluator = get('evaluator');
const operator = get('operator');
const operatorLarge = get('operator-large');
/** The operator's rows for one shape of bench:operator, against that shape's targets. */
const operatorRows = (
  figures: Figures,
  targets: { syncSeconds: number; rssMb: number },
): [string, string, string, string][] => {
  const shape = `${n(figures.flags)} flags in ${n(figures.namespaces)} namespaces, ${n(figures.namespaces * figures.environmentsPerNamespace)} environments`;
  const latency = (each: Figures) => `${each.p50} / ${each.p99} / ${each.max} ms`;
  return [
    [
      `operator: initial sync, ${shape}`,
      figures.unfinished
        ? `not finished in ${figures.syncSeconds.toFixed(0)} s (${n(figures.unfinished.flags)} flags, ${n(figures.unfinished.configurations)} configurations written)`
        : `${figures.syncSeconds.toFixed(1)} s`,
      `< ${targets.syncSeconds} s`,
      met(!figures.unfinished && figures.syncSeconds < targets.syncSeconds),
    ],
    [
      `operator: peak RSS during that sync (heap cap ${figures.heapMb} MB, as the chart sets it)`,
      `${figures.syncPeakRssMb} MB`,
      `< ${targets.rssMb} MB`,
      met(figures.syncPeakRssMb < targets.rssMb),
    ],
    [
      `operator: apply → commit during that sync (${figures.duringSync.count} user changes), p50 / p99 / max`,
      `${latency(figures.duringSync)} (API server answering the patch: p99 ${figures.patchAnswered.duringSync.p99} ms)`,
      'p99 < 50 ms',
      met(figures.duringSync.p99 < 50),
    ],
    [
      `operator: apply → commit after it (${figures.commit.count} changes), p50 / p99 / max`,
      latency(figures.commit),
      'p99 < 250 ms',
      met(figures.commit.p99 < 250),
    ],
  ];
};
const propagation = get('propagation');
const management = get('management');
const scale = get('scale');
const rules = get('rules');
const fairness = get('fairness');
const streams = get('streams');
const chaos = get('chaos');
/** Peak RSS of an evaluator holding as many streams as the chart admits, from the measured cost of one. */
const streamsAtChartLimit =
  streams.peakRss.bare +
  ((streams.peakRss.holding - streams.peakRss.bare) * streams.chartStreams) / streams.streams;
const workload = (name: string) =>
  evaluator.workloads.find((each: Figures) => each.workload.startsWith(name));
const single = workload('POST /api/v1/evaluate');
const ofrep = workload('OFREP single');
const bulk = workload('OFREP bulk');
const ceiling = workload('ceiling');

const rows: [string, string, string, string][] = [
  [
    'propagation: patch → served by both evaluators, p50 / p99 / max',
    `${propagation.served.p50} / ${propagation.served.p99} / ${propagation.served.max} ms`,
    'p99 < 500 ms',
    met(propagation.served.p99 < 500),
  ],
  [
    'propagation: patch → `Propagated=True`, p50 / p99',
    `${propagation.propagated.p50} / ${propagation.propagated.p99} ms`,
    '',
    '',
  ],
  [
    `management API: PATCH → served by both evaluators (${management.writes} writes), p50 / p99 / max`,
    `${management.served.p50} / ${management.served.p99} / ${management.served.max} ms`,
    'p99 < 300 ms',
    met(management.served.p99 < 300),
  ],
  [
    'management API: PATCH answered, p50 / p99',
    `${management.answered.p50} / ${management.answered.p99} ms`,
    '',
    '',
  ],
  [
    'propagation with Redis killed (revision poll), max',
    `${(propagation.redisDown.max / 1000).toFixed(1)} s`,
    '<= 30 s poll',
    met(propagation.redisDown.max <= 31_000),
  ],
  [
    'evaluator: `/api/v1/evaluate` vs bare-fastify ceiling, 50 connections',
    `${single.ratio.toFixed(2)}x (${n(single.rps)} vs ${n(ceiling.rps)} req/s, p99 ${single.p99} ms; by CPU ${single.cpuRatio.toFixed(2)}x)`,
    '>= 0.9x, p99 < 10 ms',
    met(single.ratio >= 0.9 && single.p99 < 10),
  ],
  [
    'evaluator: OFREP single vs ceiling, 50 connections',
    `${ofrep.ratio.toFixed(2)}x (${n(ofrep.rps)} req/s, p99 ${ofrep.p99} ms; by CPU ${ofrep.cpuRatio.toFixed(2)}x)`,
    '>= 0.9x, p99 < 10 ms',
    met(ofrep.ratio >= 0.9 && ofrep.p99 < 10),
  ],
  [
    'evaluator: OFREP bulk of 100 flags vs ceiling',
    `${bulk.ratio.toFixed(2)}x (${n(bulk.rps)} req/s, p99 ${bulk.p99} ms; by CPU ${bulk.cpuRatio.toFixed(2)}x)`,
    '>= 0.4x',
    met(bulk.ratio >= 0.4),
  ],
  ...core.workloads.map((each: Figures): [string, string, string, string] => [
    `core: ${each.workload}`,
    `${n(each.ours)} evals/s vs flagd-core ${n(each.flagd)} (${each.ratio.toFixed(2)}x)`,
    '>= 1.5x flagd-core',
    met(each.ratio >= 1.5),
  ]),
  ...rules.costly.map((each: Figures): [string, string, string, string] => [
    `rules: ${each.name} (cost ${n(each.cost)})`,
    `${each.medianUs.toFixed(0)} µs median, ${each.worstUs.toFixed(0)} µs worst batch`,
    '< 1 ms',
    met(each.worstUs < 1000),
  ]),
  [
    'rules: hostile classes refused, slowest compile',
    `${Math.max(...rules.refusals.map((each: Figures) => each.ms)).toFixed(1)} ms (${rules.refusals.filter((each: Figures) => each.refused).length} of ${rules.refusals.length} refused)`,
    '< 50 ms, all',
    met(rules.refusals.every((each: Figures) => each.refused && each.ms < 50)),
  ],
  [
    "fairness: tenant B's p99 alone / while A hammers its costliest flag",
    `${fairness.alone.p99.toFixed(1)} / ${fairness.hammered.p99.toFixed(1)} ms`,
    '<= 2x alone',
    met(fairness.hammered.p99 <= 2 * fairness.alone.p99),
  ],
  [
    "fairness: tenant B's p99 while A's snapshot rebuilds with its 30 largest flags",
    `${fairness.rebuilding.p99.toFixed(1)} ms`,
    '<= 2x alone',
    met(fairness.rebuilding.p99 <= 2 * fairness.alone.p99),
  ],
  [
    `fairness: tenant B's p99 while A rewrites its largest flags without pause (${n(fairness.rewritesPerSecond)}/s)`,
    `${fairness.storm.p99.toFixed(1)} ms`,
    '',
    '',
  ],
  ...operatorRows(operator, { syncSeconds: 10, rssMb: 300 }),
  ...operatorRows(operatorLarge, { syncSeconds: 180, rssMb: 400 }),
  [
    `evaluator at scale: ${n(scale.large.configurations)} configurations in ${scale.large.environments} environments, peak RSS`,
    `${scale.large.peakRssMb} MB`,
    '< 250 MB',
    met(scale.large.peakRssMb < 250),
  ],
  [
    'evaluator at scale: single-evaluation throughput vs 100 flags',
    `${scale.ratio.toFixed(2)} (${n(scale.large.rps)} vs ${n(scale.small.rps)} req/s)`,
    'within 10 %',
    met(scale.ratio >= 0.9),
  ],
  [
    `evaluator at scale: ${n(scale.huge.configurations)} configurations (${n(scale.hugeShape.flags)} flags, ${n(scale.huge.environments)} environments, heap cap ${scale.huge.heapMb} MB), RSS per configuration beyond 100 flags`,
    `${n(scale.huge.bytesPerConfiguration)} B`,
    '≤ 1 kB',
    met(scale.huge.bytesPerConfiguration <= 1024),
  ],
  [
    `evaluator at scale: ${n(scale.huge.configurations)} configurations, peak RSS`,
    `${n(scale.huge.peakRssMb)} MB`,
    '< 1.5 GB',
    met(scale.huge.peakRssMb < 1536),
  ],
  [
    `evaluator at scale: ${n(scale.huge.configurations)} configurations, cold start (process start → ready, all loaded)`,
    `${(scale.huge.loadedMs / 1000).toFixed(1)} s (${scale.huge.cpuSeconds.toFixed(1)} s of CPU)`,
    '< 60 s',
    met(scale.huge.loadedMs < 60_000),
  ],
  [
    `evaluator at scale: ${n(scale.huge.configurations)} configurations, single-evaluation throughput vs 100 flags`,
    `${scale.huge.ratio.toFixed(2)} (${n(scale.huge.rps)} vs ${n(scale.small.rps)} req/s)`,
    'within 10 %',
    met(scale.huge.ratio >= 0.9),
  ],
  [
    `streams: one evaluator holding ${n(streams.streams)} idle OFREP streams, RSS (peak) / one holding none`,
    `${streams.rss.holding} (${streams.peakRss.holding}) / ${streams.rss.bare} (${streams.peakRss.bare}) MB`,
    '',
    '',
  ],
  [
    `streams: at the chart's streams.maxPerReplica (${n(streams.chartStreams)}), peak RSS from the cost per stream`,
    `${n(streamsAtChartLimit)} MB (${((1024 * (streams.peakRss.holding - streams.peakRss.bare)) / streams.streams).toFixed(1)} KiB a stream)`,
    `< ${streams.memoryLimitMb} MiB (the chart's limit)`,
    met(streamsAtChartLimit < streams.memoryLimitMb),
  ],
  [
    `streams: ${n(streams.streams)} streams opened, ${streams.batch} at a time`,
    `${(streams.openMs / 1000).toFixed(1)} s`,
    '',
    '',
  ],
  [
    `streams: OFREP single throughput with ${n(streams.streams)} streams open vs none (heap ${n(streams.heapMb)} MB each)`,
    `${streams.ratio.toFixed(2)} (${n(streams.throughput.holding.rps)} vs ${n(streams.throughput.bare.rps)} req/s)`,
    '',
    '',
  ],
  [
    `streams: patch → all ${n(streams.streams)} streams heard refetchEvaluation, p50 / max (first → last stream)`,
    `${streams.fanout.p50} / ${streams.fanout.max} ms (${streams.fanout.spread} ms)`,
    '',
    '',
  ],
  [
    `streams: SIGTERM → all ${n(streams.streams)} streams ended`,
    `${n(streams.sigterm.ms)} ms`,
    `< SHUTDOWN_GRACE_MS (${n(streams.sigterm.graceMs)} ms), clean`,
    met(
      streams.sigterm.ms < streams.sigterm.graceMs &&
        streams.sigterm.unclean === 0 &&
        streams.sigterm.exitCode === 0,
    ),
  ],
];

/** Lost audit rows, beside the case's changes and audit rows written when it counted them (extras). */
const lostAuditRows = (each: Figures) => {
  const counted = [
    each.changes === undefined ? '' : `${each.changes} changes`,
    each.auditRows === undefined ? '' : `${each.auditRows} audit rows`,
  ].filter(Boolean);
  return counted.length ? `${each.lostAuditRows} (${counted.join(', ')})` : String(each.lostAuditRows);
};
/** One row per chaos case: fault | load during it | failed evaluations | lost audit rows | time to converge. */
const chaosRows: string[][] = chaos.cases.map((each: Figures) => [
  each.fault,
  `${n(each.load.perSecond)} evals/s served (${n(each.load.requests)} offered over ${each.load.seconds} s)`,
  n(each.failedEvaluations),
  lostAuditRows(each),
  `${(each.convergeMs / 1000).toFixed(1)} s`,
]);

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const page = `<!-- Written by \`npm run bench\`: run it again rather than editing this file. -->
# Benchmarks

One run of \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpu}, ${cpus().length} cores,
${Math.round(totalmem() / 2 ** 30)} GB, Linux ${release()}, Node ${process.version}. Everything on this one machine:
kube-apiserver and etcd (the test control plane), Postgres, Redis, the operator, the evaluators and the load
generators, so the figures are a floor, not what a cluster gives. This machine's speed drifts by tens of
percent within minutes: the evaluator bench measures the ceiling right before each workload, in every round, and reports medians.

| measure | figure | target | |
| --- | --- | --- | --- |
${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}

Per-round evaluator ratios: ${evaluator.workloads
  .filter((each: Figures) => each !== ceiling)
  .map(
    (each: Figures) => `${each.workload} ${each.ratios.map((ratio: number) => ratio.toFixed(2)).join(' ')}`,
  )
  .join('; ')}.

## Reliability (chaos suite)

Each case from one run of the chaos suites (\`${chaos.suites.join('`, `')}\`), whose assertions passed: zero failed
evaluations, zero lost audit rows. Load: what the evaluators were offered while the fault lasted (in the chaos
suite, on until converged; in the cold start, the fresh evaluator's 5 s without Postgres). Time to converge: from
the service's return to every evaluator serving every applied change. A change superseded before any operator
could read it leaves no audit row and is not lost: the API server never showed it.

| fault | load during it | failed evaluations | lost audit rows | time to converge |
| --- | --- | --- | --- | --- |
${chaosRows.map((row) => `| ${row.join(' | ')} |`).join('\n')}

## Reproduce

\`\`\`sh
npm ci && npm run bench        # all of the below, then this page
npm run bench:core             # the evaluation core beside @openfeature/flagd-core, in process
npm run bench:rules            # the costliest rules the limits admit, and how fast hostile ones are refused
npm run bench:fairness         # a tenant's latency beside one doing its worst, on one evaluator
npm run bench:evaluator        # autocannon on loopback, evaluator and load generator pinned to a core each
npm run bench:operator         # ${n(operator.flags)} and ${n(operatorLarge.flags)} FeatureFlags, each through a fresh test control plane
npm run bench:propagation      # ${propagation.changes} patches, 2 evaluator processes, then Redis killed
npm run bench:management       # ${management.writes} writes through the management API, 2 evaluator processes
npm run bench:scale            # ${n(scale.shape.flags)} flags in ${scale.large.environments} environments loaded in one evaluator, and ${n(scale.hugeShape.flags)} in ${n(scale.huge.environments)}
npm run bench:streams          # ${n(streams.streams)} idle OFREP streams on one evaluator: memory, throughput, fan-out, SIGTERM
npm run bench:chaos            # the chaos suites under load: ${chaos.cases.length} faults, each measured
\`\`\`

Each bench starts what it needs (Postgres and Redis through \`tests/services/services.sh\`, the control plane through
\`tests/control-plane/control-plane.sh\`) and stops what it started.
`;
writeFileSync('docs/benchmarks.md', page);
console.error('\ndocs/benchmarks.md written');
