import type { z } from 'zod';
import { environmentSpecSchema, type EnvironmentSpec } from './environment-spec.ts';
import { featureFlagSpecSchema, type FeatureFlagSpec } from './feature-flag-spec.ts';

/**
 * One problem with a manifest, naming the field the way the API server does: `spec.rollout.percentage`,
 * `spec.apiKeys[0].name`.
 */
export type SpecIssue = { field: string; message: string };
export type Validated<T> = { ok: true; value: T } | { ok: false; issues: SpecIssue[] };

function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, step) => (typeof step === 'number' ? `${name}[${step}]` : `${name}.${String(step)}`),
    'spec',
  );
}

function validate<T>(schema: z.ZodType<T>, input: unknown): Validated<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((issue) => {
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    if (unknownKeys.length > 0) {
      return { field: fieldName([...issue.path, unknownKeys.join(', ')]), message: 'unknown field' };
    }
    return { field: fieldName(issue.path), message: issue.message };
  });
  return { ok: false, issues };
}

export function validateFeatureFlagSpec(input: unknown): Validated<FeatureFlagSpec> {
  return validate(featureFlagSpecSchema, input);
}

export function validateEnvironmentSpec(input: unknown): Validated<EnvironmentSpec> {
  return validate(environmentSpecSchema, input);
}

export function formatIssues(issues: readonly SpecIssue[]): string {
  return issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
}
