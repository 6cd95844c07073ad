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
  /** RFC 3339; absent, the resource counts as the newest. */
  creationTimestamp?: string;
}

/** Another FeatureFlag of the namespace: the one whose row holds the key, when it is not this one. */
export type KeyHolder = Pick<FlagResource, 'name' | 'creationTimestamp'>;

/**
 * Whether `a` is older than `b`: created earlier, or in the same second (the API server's resolution) with the
 * name that sorts first. Of two FeatureFlags claiming one key, the older keeps it.
 */
export function isOlder(a: KeyHolder, b: KeyHolder): boolean {
  const [at, bt] = [Date.parse(a.creationTimestamp ?? ''), Date.parse(b.creationTimestamp ?? '')];
  if (at !== bt) return Number.isNaN(bt) || at < bt;
  return a.name < b.name;
}

/** The key a FeatureFlag serves under: `spec.key`, or its name. Read before validation, to find the stored row. */
export function flagKey(resource: Pick<FlagResource, 'name' | 'spec'>): string {
  const { spec } = resource;
  const key = typeof spec === 'object' && spec !== null ? (spec as { key?: unknown }).key : undefined;
  return typeof key === 'string' ? key : resource.name;
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
  /** `holder`: the FeatureFlag keeping the key, when the cluster shows which one. */
  | { kind: 'conflict'; key: string; holder: string | null }
  | { kind: 'unchanged'; key: string }
  | {
      kind: 'write';
      key: string;
      spec: FeatureFlagSpec;
      configs: { environmentId: string; config: FlagConfig }[];
      /** Set when the generation changed: one audit row per generation change, none for derived changes. */
      audit: { action: 'create' | 'update'; before: unknown; after: FeatureFlagSpec } | null;
      /** A younger FeatureFlag whose row this one takes the key from: it is to be told (KeyConflict). */
      displaces: string | null;
    };

export interface PlanOptions {
  limits?: RuleLimits;
  /**
   * The FeatureFlag holding the stored row when that row is another resource's (null: none in the cluster any
   * more). The older of the two keeps the key.
   */
  holder?: KeyHolder | null;
}

/**
 * Decides what reconciling a FeatureFlag must write, from the resource, the namespace's environments and the
 * stored row: nothing when the generation was already written for exactly these environments. A spec whose
 * rules the limits refuse (cost, size, depth, references) is invalid like one the schema refuses.
 */
export function planFlag(
  resource: FlagResource,
  environments: readonly EnvironmentRef[],
  stored: StoredFlag | null,
  options: PlanOptions = {},
): FlagPlan {
  const validated = validateFeatureFlagSpec(resource.spec);
  if (!validated.ok) return { kind: 'invalid', issues: validated.issues };
  const spec = validated.value;
  const refused = ruleIssues(spec, options.limits ?? DEFAULT_RULE_LIMITS);
  if (refused.length > 0) return { kind: 'invalid', issues: refused };
  const key = flagKey(resource);
  const takenFrom = stored && stored.sourceUid !== null && stored.sourceUid !== resource.uid;
  // Unknown holder (undefined): the key stays where it is. No holder left in the cluster (null): it is free.
  const { holder } = options;
  if (takenFrom && holder !== null && (holder === undefined || !isOlder(resource, holder)))
    return { kind: 'conflict', key, holder: holder?.name ?? null };

  const sameEnvironments =
    stored !== null &&
    stored.environmentIds.length === environments.length &&
    environments.every((environment) => stored.environmentIds.includes(environment.id));
  if (stored && !takenFrom && stored.generation === resource.generation && sameEnvironments)
    return { kind: 'unchanged', key };

  const configs = environments.map((environment) => ({
    environmentId: environment.id,
    config: resolveFlagConfig({ key, spec }, environment.key),
  }));
  const generationChanged = !stored || takenFrom || stored.generation !== resource.generation;
  const audit = generationChanged
    ? {
        action: stored ? ('update' as const) : ('create' as const),
        before: stored?.spec ?? null,
        after: spec,
      }
    : null;
  return {
    kind: 'write',
    key,
    spec,
    configs,
    audit,
    displaces: takenFrom ? (options.holder?.name ?? null) : null,
  };
}
