import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Reason } from '../../core/src/index.ts';
import type { Snapshot } from './snapshots/snapshot.ts';

const REASONS: readonly Reason[] = ['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'ERROR'];

/** The evaluator's Prometheus metrics, on a registry of its own (no module-level singletons). */
export function createMetrics(snapshots: () => Iterable<Snapshot>) {
  const registry = new Registry();
  const evaluations = new Counter({
    name: 'xc_evaluations_total',
    help: 'Flag evaluations by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const byReason = Object.fromEntries(
    REASONS.map((reason) => [reason, evaluations.labels(reason)]),
  ) as Record<Reason, { inc(n?: number): void }>;
  const requestDuration = new Histogram({
    name: 'xc_http_request_duration_seconds',
    help: 'Evaluation request latency by route.',
    labelNames: ['route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
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
    countEvaluation: (reason: Reason, n = 1) => byReason[reason].inc(n),
    requestDuration,
    invalidations,
    snapshotLoads,
    keyLookups,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
