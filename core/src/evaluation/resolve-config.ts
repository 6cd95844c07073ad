import type { FeatureFlagSpec } from '../spec/feature-flag-spec.ts';
import { IMPLIED_BOOLEAN_VARIANTS } from '../spec/implied-variants.ts';
import { isJsonObject, type JsonValue } from '../spec/json.ts';
import { isEmptyRule, reachableEvaluators } from '../rules/flag-rules.ts';
import type { FlagConfig, FlagValueType } from './types.ts';

export const DEFAULT_BUCKET_BY = 'user_id';

export interface FlagSource {
  key: string;
  spec: FeatureFlagSpec;
}

export interface ResolveOptions {
  /** Shared named rules (flagd's $evaluators) in addition to the flag's own `evaluators`. */
  evaluators?: Readonly<Record<string, JsonValue>>;
}

function valueTypeOf(variants: Record<string, JsonValue>): FlagValueType {
  const first = Object.values(variants)[0];
  if (isJsonObject(first)) return 'object';
  if (typeof first === 'boolean') return 'boolean';
  return typeof first === 'number' ? 'number' : 'string';
}

/**
 * Applies an environment's overrides to a validated spec and keeps the named rules its targeting reaches: the
 * per-environment configuration that Postgres stores and evaluators load. Pure and deterministic.
 */
export function resolveFlagConfig(
  flag: FlagSource,
  environmentName: string,
  options: ResolveOptions = {},
): FlagConfig {
  const { spec } = flag;
  const override = spec.environments?.[environmentName] ?? {};
  const variants: Record<string, JsonValue> = spec.variants ?? { ...IMPLIED_BOOLEAN_VARIANTS };
  const defaultVariant =
    override.defaultVariant !== undefined
      ? override.defaultVariant
      : (spec.defaultVariant ?? (spec.variants ? null : 'off'));
  const rolloutSpec = spec.rollout || override.rollout ? { ...spec.rollout, ...override.rollout } : undefined;
  const rollout =
    rolloutSpec?.percentage === undefined
      ? null
      : {
          percentage: rolloutSpec.percentage,
          variant: rolloutSpec.variant ?? 'on',
          bucketBy: rolloutSpec.bucketBy ?? DEFAULT_BUCKET_BY,
        };
  const rule = override.targeting !== undefined ? override.targeting : spec.targeting;

  const config: FlagConfig = {
    key: flag.key,
    state: override.state ?? spec.state,
    valueType: valueTypeOf(variants),
    variants,
    defaultVariant,
    rollout,
    targeting: null,
    metadata: spec.metadata ?? {},
  };
  if (spec.clientSide) config.clientSide = true;
  if (!isEmptyRule(rule)) {
    config.targeting = rule!;
    const evaluators = reachableEvaluators(rule!, { ...options.evaluators, ...spec.evaluators });
    if (Object.keys(evaluators).length > 0) config.evaluators = evaluators;
  }
  return config;
}
