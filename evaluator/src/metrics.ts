import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ErrorCode, EvaluationResult, Reason } from '../../core/src/index.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { Snapshot } from './snapshots/snapshot.ts';

const ERROR_CODES: readonly ErrorCode[] = [
  'FLAG_NOT_FOUND',
  'PARSE_ERROR',
  'TYPE_MISMATCH',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
];

/** A counter per fixed label value, kept as plain numbers on the request path and read at scrape time. */
function countsBy<T extends string>(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  values: readonly T[],
) {
  const counts = Object.fromEntries(values.map((value) => [value, 0])) as Record<T, number>;
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const value of values) this.inc({ [label]: value }, counts[value]);
    },
  });
  return counts;
}

/**
 * The evaluator's Prometheus metrics, on a registry of its own (no module-level singletons), served on their
 * own port (METRICS_PORT) rather than the one workloads call. No series names a tenant or an environment:
 * tenants cannot read each other's activity here, and ten thousand environments make no ten thousand series.
 */
export function createMetrics() {
  const registry = new Registry();
  // Node's own: memory, GC, and the event loop's delay since the last scrape (nodejs_eventloop_lag_p99_seconds
  // and _max_seconds), which shows a replica stalled by work on its loop.
  collectDefaultMetrics({ register: registry });
  const byReason = countsBy<Reason>(
    registry,
    'xc_evaluations_total',
    'Flag evaluations by reason.',
    'reason',
    ['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'ERROR'],
  );
  const byError = countsBy<ErrorCode>(
    registry,
    'xc_evaluation_errors_total',
    'Evaluations that ended in an error, by code: FLAG_NOT_FOUND and INVALID_CONTEXT are the callers’, PARSE_ERROR and GENERAL the rules’.',
    'code',
    ERROR_CODES,
  );
  return {
    registry,
    countEvaluation: (result: EvaluationResult) => {
      byReason[result.reason]++;
      if (result.errorCode) byError[result.errorCode]++;
    },
    requestDuration: new LatencyHistogram(
      registry,
      'xc_http_request_duration_seconds',
      'Evaluation request latency by route.',
    ),
    invalidations: new Counter({
      name: 'xc_invalidations_total',
      help: 'Invalidation messages received.',
      registers: [registry],
    }),
    snapshotLoads: new Counter({
      name: 'xc_snapshot_loads_total',
      help: 'Snapshots loaded, by source.',
      labelNames: ['from'],
      registers: [registry],
    }),
    snapshotBuildFailures: new Counter({
      name: 'xc_snapshot_build_failures_total',
      help: 'Snapshots that could not be built; their environments kept serving the last good one.',
      registers: [registry],
    }),
    keyLookups: new Counter({
      name: 'xc_api_key_database_lookups_total',
      help: 'API keys looked up in Postgres because they were not in memory.',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Gauges read from the snapshots and the scheduler at scrape time. */
export function observeServing(
  metrics: Metrics,
  source: {
    snapshots: () => Iterable<Snapshot>;
    heavyWorkPending: () => number;
    streamsOpen: () => number;
    compiledFlags: () => number;
  },
): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'xc_snapshots',
    help: 'Environment snapshots this replica serves.',
    registers,
    collect() {
      this.set([...source.snapshots()].length);
    },
  });
  new Gauge({
    name: 'xc_snapshot_age_max_seconds',
    help: 'Seconds since the oldest snapshot this replica serves was built.',
    registers,
    collect() {
      let oldest = Date.now();
      for (const snapshot of source.snapshots()) oldest = Math.min(oldest, snapshot.builtAt);
      this.set((Date.now() - oldest) / 1000);
    },
  });
  new Gauge({
    name: 'xc_compiled_flags',
    help: 'Distinct compiled flag configurations this replica holds (snapshots share identical ones).',
    registers,
    collect() {
      this.set(source.compiledFlags());
    },
  });
  new Gauge({
    name: 'xc_event_streams_open',
    help: 'Event streams (OFREP and config) this replica holds open.',
    registers,
    collect() {
      this.set(source.streamsOpen());
    },
  });
  new Gauge({
    name: 'xc_heavy_work_pending',
    help: 'Expensive evaluations and snapshot builds waiting for their turn.',
    registers,
    collect() {
      this.set(source.heavyWorkPending());
    },
  });
}
