import { evaluate, flagNotFound } from './evaluate.ts';
import { prepareFlag, type CompiledFlag } from './prepare.ts';
import { resolveFlagConfig, type FlagSource, type ResolveOptions } from './resolve-config.ts';
import type { EvaluationContext, EvaluationOptions, EvaluationResult, FlagConfig } from './types.ts';

/** compile(flag, environment): the per-environment config with overrides applied, ready to evaluate. */
export function compile(
  flag: FlagSource,
  environmentName: string,
  options: ResolveOptions = {},
): CompiledFlag {
  return prepareFlag(resolveFlagConfig(flag, environmentName, options));
}

/** One environment's flags by key. */
export type FlagSet = ReadonlyMap<string, CompiledFlag>;

export function prepareFlagSet(configs: Iterable<FlagConfig>): FlagSet {
  const set = new Map<string, CompiledFlag>();
  for (const config of configs) set.set(config.key, prepareFlag(config));
  return set;
}

/** Evaluates `key` in `set`; an unknown key is a FLAG_NOT_FOUND result. */
export function evaluateKey(
  set: FlagSet,
  key: string,
  context?: EvaluationContext,
  options?: EvaluationOptions,
): EvaluationResult {
  const flag = set.get(key);
  return flag ? evaluate(flag, context, options) : flagNotFound(key);
}
