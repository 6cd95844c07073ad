export { canonicalJson, isJsonObject, type JsonObject, type JsonValue } from './spec/json.ts';
export {
  FLAG_KEY_PATTERN,
  featureFlagSpecSchema,
  type FeatureFlagSpec,
  type FeatureFlagSpecInput,
} from './spec/feature-flag-spec.ts';
export {
  environmentSpecSchema,
  type EnvironmentSpec,
  type EnvironmentSpecInput,
} from './spec/environment-spec.ts';
export {
  formatIssues,
  validateEnvironmentSpec,
  validateFeatureFlagSpec,
  type SpecIssue,
  type Validated,
} from './spec/validate.ts';
export type {
  ErrorCode,
  EvaluationContext,
  EvaluationOptions,
  EvaluationResult,
  FlagConfig,
  FlagMetadata,
  FlagValueType,
  Reason,
} from './evaluation/types.ts';
export {
  DEFAULT_BUCKET_BY,
  resolveFlagConfig,
  type FlagSource,
  type ResolveOptions,
} from './evaluation/resolve-config.ts';
export { prepareFlag, type CompiledFlag } from './evaluation/prepare.ts';
export { evaluate, flagNotFound } from './evaluation/evaluate.ts';
export { compile, evaluateKey, prepareFlagSet, type FlagSet } from './evaluation/flag-set.ts';
export { expectType } from './evaluation/expect-type.ts';
export { rolloutBucket } from './hashing/buckets.ts';
export * from './contracts/redis.ts';
export {
  planApiKeys,
  planFlag,
  type EnvironmentRef,
  type FlagPlan,
  type FlagResource,
  type StoredFlag,
} from './reconcile/flag-plan.ts';
export * from './contracts/resources.ts';
export { ConfigError, parseConfig } from './config/parse-config.ts';
export { ruleLimitsOf, ruleLimitVariables } from './config/rule-limits-config.ts';
export {
  CONTEXT_LIMITS,
  DEFAULT_OPERATION_BUDGET,
  DEFAULT_RULE_LIMITS,
  type RuleLimits,
} from './rules/rule-limits.ts';
export { ruleIssues } from './rules/flag-rules.ts';
export { liveServedRevisions, propagatedTo, type PropagationTarget } from './reconcile/propagation.ts';
