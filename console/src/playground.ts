import { evaluate } from '../../core/src/evaluation/evaluate.ts';
import { prepareFlag } from '../../core/src/evaluation/prepare.ts';
import { resolveFlagConfig } from '../../core/src/evaluation/resolve-config.ts';
import type { EvaluationResult } from '../../core/src/evaluation/types.ts';
import type { FeatureFlagSpec } from '../../core/src/spec/feature-flag-spec.ts';
import type { Flag } from './api/management-api.ts';

export type PlaygroundContext =
  { ok: true; context: Record<string, unknown> } | { ok: false; message: string };

/** The context as typed: a JSON object, or why it is not one. */
export function parseContext(text: string): PlaygroundContext {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `is not valid JSON (${(error as Error).message})` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, message: 'must be a JSON object, e.g. {"targetingKey": "user-1"}' };
  return { ok: true, context: parsed as Record<string, unknown> };
}

/**
 * What `environment` answers for `context`, computed by the same core modules the operator resolves and the
 * evaluators run: the environment's overrides applied, the rule compiled, the flag evaluated at `now`.
 */
export function playgroundAnswer(
  flag: Flag,
  environment: string,
  context: Record<string, unknown>,
  now = Date.now(),
): EvaluationResult {
  const spec = { state: 'ENABLED', ...flag.spec } as FeatureFlagSpec;
  const compiled = prepareFlag(resolveFlagConfig({ key: flag.key, spec }, environment), undefined, true);
  return evaluate(compiled, context, { nowSeconds: Math.floor(now / 1000) });
}
