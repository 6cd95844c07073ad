import { evaluate } from '../../core/src/evaluation/evaluate.ts';
import { prepareFlag, type CompiledFlag } from '../../core/src/evaluation/prepare.ts';
import { resolveFlagConfig } from '../../core/src/evaluation/resolve-config.ts';
import type { EvaluationResult } from '../../core/src/evaluation/types.ts';
import type { Flag } from './api/management-api.ts';
import { specOf } from './flag-cells.ts';

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
 * `flag` as `environment` serves it, made ready to evaluate by the same core modules the operator resolves and
 * the evaluators compile with (at the default rule limits; an operator's admin may have set others).
 */
export function compileForPlayground(flag: Flag, environment: string): CompiledFlag {
  return prepareFlag(resolveFlagConfig({ key: flag.key, spec: specOf(flag) }, environment), undefined, true);
}

/** What `compiled` answers for `context` at `now`, as the evaluator's `evaluate` does. */
export function playgroundAnswer(
  compiled: CompiledFlag,
  context: Record<string, unknown>,
  now = Date.now(),
): EvaluationResult {
  return evaluate(compiled, context, { nowSeconds: Math.floor(now / 1000) });
}
