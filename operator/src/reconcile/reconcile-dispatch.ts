import { ENVIRONMENTS, FEATURE_FLAGS } from '../../../core/src/index.ts';
import { parseResourceKey } from '../kube/custom-resource.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { reconcileEnvironment } from './environment-reconciler.ts';
import { reconcileFeatureFlag } from './feature-flag-reconciler.ts';
import type { Lane } from '../queue/work-queue.ts';
import type { ReconcileDeps } from './reconcile-deps.ts';

/** The work queue's handler: a key to its kind's reconciler (told the lane it came by), counted and timed. */
export function reconcilerFor(shared: ReconcileDeps, metrics: OperatorMetrics) {
  const byLane = { change: { ...shared, lane: 'change' }, backlog: { ...shared, lane: 'backlog' } } as const;
  return async (key: string, lane: Lane = 'change'): Promise<void> => {
    const deps = byLane[lane];
    const { kind, namespace, name } = parseResourceKey(key);
    const end = metrics.duration.startTimer({ kind });
    try {
      if (kind === FEATURE_FLAGS.kind) await reconcileFeatureFlag(deps, namespace, name);
      else if (kind === ENVIRONMENTS.kind) await reconcileEnvironment(deps, namespace, name);
      metrics.reconciles.inc({ kind, result: 'success' });
    } catch (error) {
      metrics.reconciles.inc({ kind, result: 'error' });
      throw error;
    } finally {
      end();
    }
  };
}
