import { Counter, Gauge, Registry } from 'prom-client';
import type { Reason } from '../../core/src/index.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { Snapshot } from './snapshots/snapshot.ts';

/**
 * The evaluator's Prometheus metrics, on a registry of its own (no module-level singletons). Counters on the
 * request path are plain numbers read at scrape time.
 */
export function createMetrics(snapshots: () => Iterable<Snapshot>) {
  const registry = new Registry();
  const evaluationsByReason: Record<Reason, number> = {
    STATIC: 0,
    DEFAULT: 0,
    TARGETING_MATCH: 0,
    SPLIT: 0,
    DISABLED: 0,
    ERROR: 0,
  };
  new Counter({
    name: 'xc_evaluations_total',
    help: 'Flag evaluations by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(evaluationsByReason)) this.inc({ reason }, count);
    },
  });
  const requestDuration = new LatencyHistogram(
    registry,
    'xc_http_request_duration_seconds',
    'Evaluation request latency by route.',
  );
  const invalidations = new Counter({
    name: 'xc_invalidations_total',
    help: 'Invalidation messages received.',
    registers: [registry],
  });
  const snapshotLoads = new Counter({
    name: 'xc_snapshot_loads_total',
    help: 'Snapshots loaded, by source.',
    labelNames: ['from'],
    registers: [registry],
  });
  const keyLookups = new Counter({
    name: 'xc_api_key_database_lookups_total',
    help: 'API keys looked up in Postgres because they were not in memory.',
    registers: [registry],
  });
  new Gauge({
    name: 'xc_snapshot_age_seconds',
    help: 'Seconds since each environment snapshot was built.',
    labelNames: ['environment_id'],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const snapshot of snapshots())
        this.set({ environment_id: snapshot.environmentId }, (now - snapshot.builtAt) / 1000);
    },
  });
  new Gauge({
    name: 'xc_snapshot_revision',
    help: 'Revision served for each environment.',
    labelNames: ['environment_id'],
    registers: [registry],
    collect() {
      this.reset();
      for (const snapshot of snapshots())
        this.set({ environment_id: snapshot.environmentId }, snapshot.revision);
    },
  });
  return {
    registry,
    countEvaluation: (reason: Reason) => {
      evaluationsByReason[reason]++;
    },
    requestDuration,
    invalidations,
    snapshotLoads,
    keyLookups,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
