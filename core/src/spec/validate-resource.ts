import { ENVIRONMENTS, FEATURE_FLAGS } from '../contracts/resources.ts';
import { admissionIssues } from './admission-check.ts';
import { ENVIRONMENT_RULES, FEATURE_FLAG_RULES } from './admission-rules.ts';
import { nameIssues, namespaceIssues } from './object-meta.ts';
import { validateEnvironmentSpec, validateFeatureFlagSpec, type SpecIssue } from './validate.ts';

export interface ResourceToCheck {
  name: unknown;
  namespace: unknown;
  spec: unknown;
}

const KINDS = {
  [FEATURE_FLAGS.kind]: { validate: validateFeatureFlagSpec, rules: FEATURE_FLAG_RULES },
  [ENVIRONMENTS.kind]: { validate: validateEnvironmentSpec, rules: ENVIRONMENT_RULES },
} as const;

export const isOurKind = (kind: unknown): kind is keyof typeof KINDS =>
  typeof kind === 'string' && Object.hasOwn(KINDS, kind);

/**
 * Everything the API server checks of one of our resources, in one place: its name and namespace, its spec
 * (the schema and the cross-field rules) and, for an update, the rules that compare it with what it was.
 * Local mode and the management API refuse exactly what this refuses.
 */
export function resourceIssues(
  kind: keyof typeof KINDS,
  resource: ResourceToCheck,
  old?: { name: string; spec: unknown },
): SpecIssue[] {
  const { validate, rules } = KINDS[kind];
  const metadata = [...nameIssues(resource.name), ...namespaceIssues(resource.namespace)];
  const validated = validate(resource.spec);
  const spec = validated.ok ? [] : validated.issues;
  const transitions = old
    ? admissionIssues(
        rules.filter((rule) => rule.transition),
        resource.spec,
        { name: String(resource.name), old },
      )
    : [];
  return [...metadata, ...spec, ...transitions];
}
