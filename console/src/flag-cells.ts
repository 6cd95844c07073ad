import { resolveFlagConfig } from '../../core/src/evaluation/resolve-config.ts';
import type { FeatureFlagSpec } from '../../core/src/spec/feature-flag-spec.ts';
import type { Condition, Flag } from './api/management-api.ts';

export interface Cell {
  enabled: boolean;
  percentage: number | null;
  /** The environment has overrides of its own. */
  overridden: boolean;
}

/** The flag's spec as the API server admitted it, `state` defaulted for one read before its schema had one. */
export const specOf = (flag: Flag): FeatureFlagSpec =>
  ({ state: 'ENABLED', ...flag.spec }) as FeatureFlagSpec;

/**
 * What `environment` serves of `flag`: overrides applied by the same core the operator and evaluators use. The
 * spec is one the API server admitted, with the CRD's defaults; `state` is defaulted here too for a flag
 * read before its schema had one.
 */
export function cellOf(flag: Flag, environment: string): Cell {
  const spec = specOf(flag);
  const config = resolveFlagConfig({ key: flag.key, spec }, environment);
  return {
    enabled: config.state === 'ENABLED',
    percentage: config.rollout?.percentage ?? null,
    overridden: spec.environments?.[environment] !== undefined,
  };
}

/** The flag's environment overrides with `environment`'s changed by `change` (an empty override is removed). */
export function withOverride(
  spec: Record<string, unknown>,
  environment: string,
  change: Record<string, unknown>,
): Record<string, unknown> {
  const environments = Object.entries((spec.environments as Record<string, Record<string, unknown>>) ?? {});
  const current = Object.fromEntries(environments)[environment] ?? {};
  const override = Object.fromEntries(
    Object.entries({ ...current, ...change }).filter(([, value]) => value !== undefined),
  );
  const others = environments.filter(([name]) => name !== environment);
  return Object.fromEntries(
    Object.keys(override).length === 0 ? others : [...others, [environment, override]],
  );
}

/** A condition of the flag's current generation, by type; one about an older generation does not count. */
export function conditionOf(flag: Flag, type: string): Condition | undefined {
  const resource = flag.resource;
  const condition = resource?.conditions?.find((entry) => entry.type === type);
  if (!condition || !resource) return undefined;
  return condition.observedGeneration === undefined || condition.observedGeneration === resource.generation
    ? condition
    : undefined;
}
