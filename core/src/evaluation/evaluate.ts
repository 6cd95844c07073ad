import { rolloutBucket } from '../hashing/buckets.ts';
import { OperationBudgetExceeded } from '../rules/rule-node.ts';
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
): EvaluationResult {
  const { config, rule } = flag;
  if (rule !== null) {
    const budget = { left: options.operationBudget ?? DEFAULT_OPERATION_BUDGET };
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
    return evaluateEnabled(flag, context, options);
  } catch (error) {
    if (error instanceof OperationBudgetExceeded) {
      const budget = options.operationBudget ?? DEFAULT_OPERATION_BUDGET;
      return errorResult(
        config.key,
        'GENERAL',
        `the targeting rule ran out of its budget of ${budget} operations for this evaluation`,
        config.metadata,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return errorResult(config.key, 'GENERAL', `evaluation failed: ${message}`, config.metadata);
  }
}
