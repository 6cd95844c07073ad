import { rolloutBucket } from '../hashing/buckets.ts';
import { OperationBudgetExceeded, type Budget } from '../rules/rule-node.ts';
import { DEFAULT_OPERATION_BUDGET } from '../rules/rule-limits.ts';
import type { CompiledFlag, ResolvingReason } from './prepare.ts';
import type { ErrorCode, EvaluationContext, EvaluationOptions, EvaluationResult } from './types.ts';

const TARGETING_KEY = 'targetingKey';

function errorResult(
  key: string,
  errorCode: ErrorCode,
  errorMessage: string,
  metadata: EvaluationResult['metadata'] = {},
): EvaluationResult {
  return { key, reason: 'ERROR', errorCode, errorMessage, metadata };
}

export function flagNotFound(key: string): EvaluationResult {
  return errorResult(key, 'FLAG_NOT_FOUND', `flag "${key}" was not found`);
}

/** The prepared, frozen result for a resolved variant; an error when targeting names a variant that is not one. */
function resolved(flag: CompiledFlag, variant: string | null, reason: ResolvingReason): EvaluationResult {
  if (variant === null) return flag.codeDefault;
  const result = flag.resolved[reason].get(variant);
  if (result) return result;
  const { key, metadata } = flag.config;
  return errorResult(
    key,
    'GENERAL',
    `targeting chose "${variant}", which is not a variant of "${key}"`,
    metadata,
  );
}

function bucketValue(context: EvaluationContext, attribute: string): string | null {
  const value = context[attribute] ?? context[TARGETING_KEY];
  if (typeof value === 'string') return value === '' ? null : value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
}

/** The data a rule sees: the context plus flagd's injected `$flagd` properties. */
function ruleData(
  flagKey: string,
  context: EvaluationContext,
  options: EvaluationOptions,
): Record<string, unknown> {
  return { ...context, $flagd: { flagKey, timestamp: options.nowSeconds } };
}

function variantName(result: unknown): string | null {
  if (result === null || result === undefined) return null;
  if (typeof result === 'string' || typeof result === 'number' || typeof result === 'boolean')
    return String(result);
  return null;
}

function evaluateEnabled(
  flag: CompiledFlag,
  context: EvaluationContext,
  options: EvaluationOptions,
  budget: Budget,
): EvaluationResult {
  const { config, rule } = flag;
  if (rule !== null) {
    const chosen = variantName(rule(ruleData(config.key, context, options), budget));
    if (chosen !== null) return resolved(flag, chosen, 'TARGETING_MATCH');
  }
  if (config.rollout !== null) {
    const value = bucketValue(context, config.rollout.bucketBy);
    if (value === null) return resolved(flag, config.defaultVariant, 'DEFAULT');
    const inRollout = rolloutBucket(value, config.key) < config.rollout.percentage;
    return resolved(flag, inRollout ? config.rollout.variant : config.defaultVariant, 'SPLIT');
  }
  return resolved(flag, config.defaultVariant, rule === null ? 'STATIC' : 'DEFAULT');
}

/** The budget of a flag without targeting: nothing charges it. */
const UNSPENT: Budget = Object.freeze({ left: 0 });

/** evaluateWithBudget's answer when only the caller's allowance ran out, not the flag's own budget. */
const OVER_ALLOWANCE = null;

function evaluateWithBudget(
  flag: CompiledFlag,
  context: EvaluationContext,
  options: EvaluationOptions,
  budget: Budget,
  withinAllowance: boolean,
): EvaluationResult | typeof OVER_ALLOWANCE {
  const { config } = flag;
  if (flag.parseError !== null)
    return errorResult(config.key, 'PARSE_ERROR', flag.parseError, config.metadata);
  if (config.state === 'DISABLED') return flag.disabled;
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    return errorResult(
      config.key,
      'INVALID_CONTEXT',
      'the evaluation context must be an object',
      config.metadata,
    );
  }
  try {
    return evaluateEnabled(flag, context, options, budget);
  } catch (error) {
    if (error instanceof OperationBudgetExceeded) {
      if (withinAllowance) return OVER_ALLOWANCE;
      const operations = options.operationBudget ?? DEFAULT_OPERATION_BUDGET;
      return errorResult(
        config.key,
        'GENERAL',
        `the targeting rule ran out of its budget of ${operations} operations for this evaluation`,
        config.metadata,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return errorResult(config.key, 'GENERAL', `evaluation failed: ${message}`, config.metadata);
  }
}

/**
 * Evaluates one flag for one context. Order: DISABLED, then targeting (a null result falls through), then the
 * percentage rollout, then the default variant. Never throws: any failure comes back as an ERROR result.
 * Every result but an error is the flag's prepared one: frozen, shared between calls, allocated once.
 */
export function evaluate(
  flag: CompiledFlag,
  context: EvaluationContext = {},
  options: EvaluationOptions = {},
): EvaluationResult {
  const budget = { left: options.operationBudget ?? DEFAULT_OPERATION_BUDGET };
  return evaluateWithBudget(flag, context, options, budget, false)!;
}

/**
 * `evaluate`, unless the targeting spends more than `allowance.left` operations: then null, and the caller
 * evaluates it later (`evaluate` gives the same result). Operations spent are taken from `allowance`, so one
 * allowance can cover several flags. An estimate bounds the worst context; this measures the one at hand.
 */
export function evaluateWithin(
  flag: CompiledFlag,
  context: EvaluationContext,
  options: EvaluationOptions,
  allowance: Budget,
): EvaluationResult | null {
  // Without targeting nothing is spent, and nothing reads the budget.
  if (flag.rule === null) return evaluateWithBudget(flag, context, options, UNSPENT, false);
  const limit = options.operationBudget ?? DEFAULT_OPERATION_BUDGET;
  if (allowance.left >= limit) {
    const budget = { left: limit };
    const result = evaluateWithBudget(flag, context, options, budget, false);
    allowance.left -= limit - budget.left;
    return result;
  }
  const budget = { left: allowance.left };
  const result = evaluateWithBudget(flag, context, options, budget, true);
  allowance.left = result === OVER_ALLOWANCE ? 0 : budget.left;
  return result;
}
