import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The operator's Prometheus metrics, on a registry of its own. The propagation gauge is registered by
 * `watchPropagation` once there is a tracker to read (there is none without Redis).
 */
export function createOperatorMetrics(queueDepth: () => number, changesWaiting: () => number = () => 0) {
  const registry = new Registry();
  return {
    registry,
    reconciles: new Counter({
      name: 'xc_operator_reconciles_total',
      help: 'Reconciles by kind and result.',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'xc_operator_reconcile_duration_seconds',
      help: 'Reconcile duration by kind.',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    propagation: new Histogram({
      name: 'xc_operator_propagation_seconds',
      help: 'From a FeatureFlag change committed to every live evaluator serving it.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30, 60],
      registers: [registry],
    }),
    watchPropagation(oldestWaitMs: () => number) {
      new Gauge({
        name: 'xc_operator_propagation_oldest_waiting_seconds',
        help: 'How long the longest-waiting change has waited for every live evaluator to serve it (0: none waits).',
        registers: [registry],
        collect() {
          this.set(oldestWaitMs() / 1000);
        },
      });
    },
    queueDepth: new Gauge({
      name: 'xc_operator_queue_depth',
      help: 'Keys waiting or scheduled for retry.',
      registers: [registry],
      collect() {
        this.set(queueDepth());
      },
    }),
    changesWaiting: new Gauge({
      name: 'xc_operator_changes_waiting',
      help: 'Changes waiting for a worker: should stay near 0 even during a resync (they go before the backlog).',
      registers: [registry],
      collect() {
        this.set(changesWaiting());
      },
    }),
  };
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
