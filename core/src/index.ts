export { canonicalJson, isJsonObject, type JsonObject, type JsonValue } from './spec/json.ts';
export {
  FLAG_KEY_PATTERN,
  featureFlagSpecSchema,
  type FeatureFlagSpec,
  type FeatureFlagSpecInput,
} from './spec/feature-flag-spec.ts';
export {
  API_KEY_KINDS,
  environmentSpecSchema,
  type ApiKeyKind,
  type EnvironmentSpec,
  type EnvironmentSpecInput,
} from './spec/environment-spec.ts';
export {
  ENVIRONMENT_RULES,
  FEATURE_FLAG_RULES,
  MAX_ENTRIES,
  type AdmissionRule,
} from './spec/admission-rules.ts';
export { admissionIssues, type RuleSubject } from './spec/admission-check.ts';
export { nameIssues, namespaceIssues } from './spec/object-meta.ts';
export { isOurKind, resourceIssues, type ResourceToCheck } from './spec/validate-resource.ts';
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
export { evaluate, evaluateWithin, flagNotFound } from './evaluation/evaluate.ts';
export { compile, evaluateKey, prepareFlagSet, type FlagSet } from './evaluation/flag-set.ts';
export { expectType } from './evaluation/expect-type.ts';
export { rolloutBucket } from './hashing/buckets.ts';
export * from './contracts/redis.ts';
export * from './tenancy/label-selector.ts';
export {
  flagKey,
  isOlder,
  planFlag,
  type EnvironmentRef,
  type FlagPlan,
  type FlagResource,
  type KeyHolder,
  type StoredFlag,
} from './reconcile/flag-plan.ts';
export {
  decideFlag,
  notSynced,
  PROPAGATING,
  type ConditionUpdate,
  type FlagDecision,
  type FlagFacts,
  type ResourceEvent,
} from './reconcile/flag-decision.ts';
export {
  planApiKeys,
  type KeySettings,
  reportEnvironment,
  type EnvironmentOutcome,
  type EnvironmentReport,
} from './reconcile/environment-decision.ts';
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
export {
  actorOf,
  deleterOf,
  managementActorAnnotations,
  specDigest,
  type Actor,
  type ActorSource,
} from './reconcile/actor.ts';
export { resourceNameForKey } from './management/resource-name.ts';
export { gitOpsOwner, MANAGED_ELSEWHERE } from './management/gitops-owner.ts';
export {
  BodyConflict,
  createFlagBody,
  FLAG_STATUSES,
  FLAT_FIELD_OF,
  patchFlagBody,
  specFromBody,
  type CreateFlagBody,
  type FlagStatus,
  type PatchFlagBody,
} from './management/flag-body.ts';
export {
  flagView,
  resourceView,
  storedFlagView,
  type FlagView,
  type ManagedResource,
  type ResourceView,
  type StoredFlagRow,
} from './management/flag-view.ts';
export {
  addedKeyNames,
  createEnvironmentBody,
  ENVIRONMENT_FLAT_FIELD_OF,
  environmentSpecFromBody,
  environmentView,
  patchEnvironmentBody,
  type CreateEnvironmentBody,
  type EnvironmentView,
  type PatchEnvironmentBody,
} from './management/environment-body.ts';
export { withSchemaDefaults } from './management/spec-defaults.ts';
export { OFREP_STREAM_PATH } from './contracts/streams.ts';
