import { resolveFlagConfig } from '../evaluation/resolve-config.ts';
import { ruleIssues } from '../rules/flag-rules.ts';
import { DEFAULT_RULE_LIMITS, type RuleLimits } from '../rules/rule-limits.ts';
import type { FlagConfig } from '../evaluation/types.ts';
import type { FeatureFlagSpec } from '../spec/feature-flag-spec.ts';
import { validateFeatureFlagSpec, type SpecIssue } from '../spec/validate.ts';

/** A FeatureFlag resource as the operator sees it. */
export interface FlagResource {
  uid: string;
  name: string;
  generation: number;
  spec: unknown;
}

/** What Postgres holds for the flag's key, if anything. */
export interface StoredFlag {
  generation: number;
  sourceUid: string | null;
  spec: unknown;
  /** Environments that have a configuration of this flag. */
  environmentIds: readonly string[];
}

export interface EnvironmentRef {
  id: string;
  key: string;
}

export type FlagPlan =
  | { kind: 'invalid'; issues: SpecIssue[] }
  | { kind: 'conflict'; key: string }
  | { kind: 'unchanged'; key: string }
  | {
      kind: 'write';
      key: string;
      spec: FeatureFlagSpec;
      configs: { environmentId: string; config: FlagConfig }[];
      /** Set when the generation changed: one audit row per generation change, none for derived changes. */
      audit: { action: 'create' | 'update'; before: unknown; after: FeatureFlagSpec } | null;
    };

/**
 * Decides what reconciling a FeatureFlag must write, from the resource, the namespace's environments and the
 * stored row: nothing when the generation was already written for exactly these environments. A spec whose
 * rules the limits refuse (cost, size, depth, references) is invalid like one the schema refuses.
 */
export function planFlag(
  resource: FlagResource,
  environments: readonly EnvironmentRef[],
  stored: StoredFlag | null,
  limits: RuleLimits = DEFAULT_RULE_LIMITS,
): FlagPlan {
  const validated = validateFeatureFlagSpec(resource.spec);
  if (!validated.ok) return { kind: 'invalid', issues: validated.issues };
  const spec = validated.value;
  const refused = ruleIssues(spec, limits);
  if (refused.length > 0) return { kind: 'invalid', issues: refused };
  const key = spec.key ?? resource.name;
  if (stored && stored.sourceUid !== null && stored.sourceUid !== resource.uid)
    return { kind: 'conflict', key };

  const sameEnvironments =
    stored !== null &&
    stored.environmentIds.length === environments.length &&
    environments.every((environment) => stored.environmentIds.includes(environment.id));
  if (stored && stored.generation === resource.generation && sameEnvironments)
    return { kind: 'unchanged', key };

  const configs = environments.map((environment) => ({
    environmentId: environment.id,
    config: resolveFlagConfig({ key, spec }, environment.key),
  }));
  const generationChanged = !stored || stored.generation !== resource.generation;
  const audit = generationChanged
    ? {
        action: stored ? ('update' as const) : ('create' as const),
        before: stored?.spec ?? null,
        after: spec,
      }
    : null;
  return { kind: 'write', key, spec, configs, audit };
}

/** The API keys to create and to revoke so that the stored keys match the Environment's spec. */
export function planApiKeys(
  wanted: readonly string[],
  stored: readonly { id: string; name: string }[],
): { create: string[]; revoke: string[] } {
  const storedNames = new Set(stored.map((key) => key.name));
  return {
    create: wanted.filter((name) => !storedNames.has(name)),
    revoke: stored.filter((key) => !wanted.includes(key.name)).map((key) => key.id),
  };
}
