import {
  evaluate,
  flagNotFound,
  type CompiledFlag,
  type EvaluationContext,
  type EvaluationResult,
} from '../../../core/src/index.ts';
import type { Metrics } from '../metrics.ts';
import type { FairScheduler, SlicedWork } from '../scheduling/fair-scheduler.ts';
import type { FlagView } from '../snapshots/snapshot.ts';

/**
 * Estimated operations above which evaluating is heavy work: it runs in its tenant's turn (FairScheduler), not as
 * its request is read, so one tenant's expensive rules never hold up another tenant's cheap ones. Most flags
 * cost a handful of operations and are answered at once, with no promise in between.
 */
export const HEAVY_COST = 500;

/** Operations of one slice of a bulk evaluation: about a tenth of a millisecond. */
const SLICE_COST = 5_000;

export interface FlagEvaluation {
  metrics: Metrics;
  scheduler: FairScheduler;
  /** Operations one evaluation's targeting may spend. */
  operationBudget: number;
  now: () => number;
}

function evaluateFlag(
  deps: FlagEvaluation,
  flag: CompiledFlag | undefined,
  key: string,
  context: EvaluationContext | undefined,
): EvaluationResult {
  const result = flag
    ? evaluate(flag, context, {
        nowSeconds: Math.floor(deps.now() / 1000),
        operationBudget: deps.operationBudget,
      })
    : flagNotFound(key);
  deps.metrics.countEvaluation(result);
  return result;
}

/** One flag of `snapshot`: answered now when it is cheap, in its tenant's turn when it is not. */
export function evaluateOne(
  deps: FlagEvaluation,
  snapshot: FlagView,
  key: string,
  context: EvaluationContext | undefined,
): EvaluationResult | Promise<EvaluationResult> {
  const flag = snapshot.flags.get(key);
  if (!flag || flag.cost <= HEAVY_COST) return evaluateFlag(deps, flag, key, context);
  return deps.scheduler.once(snapshot.tenantId, () => evaluateFlag(deps, flag, key, context));
}

/**
 * Several flags of `snapshot` (all of them when `keys` is absent), each result mapped by `present`: in one go
 * when together they are cheap, else in slices in the tenant's turns.
 */
export function evaluateMany<R>(
  deps: FlagEvaluation,
  snapshot: FlagView,
  keys: readonly string[] | undefined,
  context: EvaluationContext | undefined,
  present: (result: EvaluationResult) => R,
): R[] | Promise<R[]> {
  const entries: [string, CompiledFlag | undefined][] = keys
    ? keys.map((key) => [key, snapshot.flags.get(key)])
    : [...snapshot.flags];
  const cost = keys ? entries.reduce((sum, [, flag]) => sum + (flag?.cost ?? 0), 0) : snapshot.cost;
  if (cost <= HEAVY_COST)
    return entries.map(([key, flag]) => present(evaluateFlag(deps, flag, key, context)));
  return deps.scheduler.run(
    snapshot.tenantId,
    (function* (): SlicedWork<R[]> {
      const results: R[] = [];
      let spent = 0;
      for (const [key, flag] of entries) {
        results.push(present(evaluateFlag(deps, flag, key, context)));
        spent += 1 + (flag?.cost ?? 0);
        if (spent >= SLICE_COST) {
          spent = 0;
          yield;
        }
      }
      return results;
    })(),
  );
}
