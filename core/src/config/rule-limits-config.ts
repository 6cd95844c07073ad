import { z } from 'zod';
import { DEFAULT_RULE_LIMITS, type RuleLimits } from '../rules/rule-limits.ts';

const positiveInt = z.coerce.number().int().positive();

/**
 * The environment variables that set the rule limits, shared by the operator (which refuses a FeatureFlag beyond
 * them) and the evaluator (which compiles with them): one definition, so the two cannot disagree by default.
 */
export const ruleLimitVariables = {
  /** Estimated operations one evaluation of one rule may cost. */
  RULE_MAX_COST: positiveInt.default(DEFAULT_RULE_LIMITS.maxCost),
  /** JSON values a flag's rules may hold together. */
  RULE_MAX_VALUES: positiveInt.default(DEFAULT_RULE_LIMITS.maxValues),
  /** Nesting of one rule, through every `$ref`. */
  RULE_MAX_DEPTH: positiveInt.default(DEFAULT_RULE_LIMITS.maxDepth),
};

export function ruleLimitsOf(config: {
  RULE_MAX_COST: number;
  RULE_MAX_VALUES: number;
  RULE_MAX_DEPTH: number;
}): RuleLimits {
  return Object.freeze({
    maxCost: config.RULE_MAX_COST,
    maxValues: config.RULE_MAX_VALUES,
    maxDepth: config.RULE_MAX_DEPTH,
  });
}
