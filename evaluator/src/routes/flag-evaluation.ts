import {
  evaluate,
  evaluateWithin,
  flagNotFound,
  type CompiledFlag,
  type EvaluationContext,
  type FlagSet,
  type EvaluationOptions,
  type EvaluationResult,
} from '../../../core/src/index.ts';
import type { Metrics } from '../metrics.ts';
import type { FairScheduler, SlicedWork } from '../scheduling/fair-scheduler.ts';
import type { FlagView } from '../snapshots/snapshot.ts';

/**
 * Operations above which evaluating is heavy work: it runs in its tenant's turn (FairScheduler), not as its
 * request is read, so one tenant's expensive rules never hold up another tenant's cheap ones. Most flags cost a
 * handful of operations and are answered at once, with no promise in between. A flag whose estimate (which
 * bounds the worst context: a `fractional` over a 4 kB key estimates above this) is higher is tried at once
 * within this many operations all the same, and waits for its turn only when this context needs more.
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

/** The options of the evaluations one request makes (read once: a bulk request reads the clock once). */
const optionsOf = (deps: FlagEvaluation): EvaluationOptions => ({
  nowSeconds: Math.floor(deps.now() / 1000),
  operationBudget: deps.operationBudget,
});

function evaluateFlag(
  deps: FlagEvaluation,
  flag: CompiledFlag | undefined,
  key: string,
  context: EvaluationContext | undefined,
  options: EvaluationOptions = optionsOf(deps),
): EvaluationResult {
  const result = flag ? evaluate(flag, context, options) : flagNotFound(key);
  deps.metrics.countEvaluation(result);
  return result;
}

/** `flag` evaluated now if it takes no more than `allowance`; null if it must wait for its turn. */
function evaluateFlagWithin(
  deps: FlagEvaluation,
  flag: CompiledFlag,
  context: EvaluationContext | undefined,
  options: EvaluationOptions,
  allowance: { left: number },
): EvaluationResult | null {
  const result = evaluateWithin(flag, context ?? {}, options, allowance);
  if (result) deps.metrics.countEvaluation(result);
  return result;
}

/**
 * One flag of `snapshot`: answered now when it is cheap, in its tenant's turn when it is not (or when its tenant
 * is over its share of this replica).
 */
export function evaluateOne(
  deps: FlagEvaluation,
  snapshot: FlagView,
  key: string,
  context: EvaluationContext | undefined,
): EvaluationResult | Promise<EvaluationResult> {
  const flag = snapshot.flags.get(key);
  if (!flag || flag.cost <= HEAVY_COST) return evaluateFlag(deps, flag, key, context);
  if (!deps.scheduler.overShare(snapshot.tenantId)) {
    const result = evaluateFlagWithin(deps, flag, context, optionsOf(deps), { left: HEAVY_COST });
    if (result) return result;
  }
  return deps.scheduler.once(snapshot.tenantId, () => evaluateFlag(deps, flag, key, context));
}

/** A snapshot's flags never change (a change makes a new snapshot): their list is made once, not per request. */
const flagLists = new WeakMap<FlagSet, readonly (readonly [string, CompiledFlag])[]>();
function allFlags(flags: FlagSet): readonly (readonly [string, CompiledFlag])[] {
  let list = flagLists.get(flags);
  if (!list) flagLists.set(flags, (list = [...flags]));
  return list;
}

/**
 * Several flags of `snapshot` (all of them when `keys` is absent), each result mapped by `present`: in one go
 * when together they are cheap (estimated, or measured within one slice's operations), else the rest in slices
 * in the tenant's turns.
 */
export function evaluateMany<R>(
  deps: FlagEvaluation,
  snapshot: FlagView,
  keys: readonly string[] | undefined,
  context: EvaluationContext | undefined,
  present: (result: EvaluationResult) => R,
): R[] | Promise<R[]> {
  const entries: readonly (readonly [string, CompiledFlag | undefined])[] = keys
    ? keys.map((key) => [key, snapshot.flags.get(key)] as const)
    : allFlags(snapshot.flags);
  const cost = keys ? entries.reduce((sum, [, flag]) => sum + (flag?.cost ?? 0), 0) : snapshot.cost;
  const options = optionsOf(deps);
  if (cost <= HEAVY_COST)
    return entries.map(([key, flag]) => present(evaluateFlag(deps, flag, key, context, options)));
  const results: R[] = [];
  if (!deps.scheduler.overShare(snapshot.tenantId)) {
    const allowance = { left: SLICE_COST };
    for (const [key, flag] of entries) {
      const result = flag
        ? evaluateFlagWithin(deps, flag, context, options, allowance)
        : evaluateFlag(deps, flag, key, context, options);
      if (!result) break;
      results.push(present(result));
    }
    if (results.length === entries.length) return results;
  }
  const rest = entries.slice(results.length);
  return deps.scheduler.run(
    snapshot.tenantId,
    (function* (): SlicedWork<R[]> {
      let spent = 0;
      for (const [key, flag] of rest) {
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
