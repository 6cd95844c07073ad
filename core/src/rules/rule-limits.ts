/**
 * Bounds on an evaluation context. Evaluators refuse a context beyond them (400), and the cost model assumes
 * them: no array from the context is longer than `maxNodes`, no string longer than `maxStringLength`.
 */
export const CONTEXT_LIMITS = Object.freeze({
  maxDepth: 10,
  maxNodes: 1000,
  maxStringLength: 4096,
  maxKeyLength: 256,
});

/** What a flag's rules may cost; the operator refuses a FeatureFlag beyond them (InvalidSpec). */
export interface RuleLimits {
  /** Estimated operations of one evaluation of one rule, for the worst context within CONTEXT_LIMITS. */
  readonly maxCost: number;
  /** JSON values in all of a flag's rules together (targeting, overrides and evaluators; literals counted whole). */
  readonly maxValues: number;
  /** Nesting of one rule, counting through every `$ref`. */
  readonly maxDepth: number;
}

export const DEFAULT_RULE_LIMITS: RuleLimits = Object.freeze({
  maxCost: 10_000,
  maxValues: 2_000,
  maxDepth: 128,
});

/**
 * What one evaluation may spend at run time, whatever the context: the second line behind the estimate. A rule
 * charges at most its estimated cost for a context within CONTEXT_LIMITS, so no admitted rule reaches it.
 */
export const DEFAULT_OPERATION_BUDGET = 10_000;
