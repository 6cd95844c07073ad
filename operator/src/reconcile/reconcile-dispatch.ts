import { ENVIRONMENTS, FEATURE_FLAGS } from '../../../core/src/index.ts';
import { parseResourceKey } from '../kube/custom-resource.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { reconcileEnvironment } from './environment-reconciler.ts';
import { reconcileFeatureFlag } from './feature-flag-reconciler.ts';
import type { ReconcileDeps } from './reconcile-deps.ts';

/** The work queue's handler: a key to its kind's reconciler, counted and timed. */
export function reconcilerFor(deps: ReconcileDeps, metrics: OperatorMetrics) {
  return async (key: string): Promise<void> => {
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
