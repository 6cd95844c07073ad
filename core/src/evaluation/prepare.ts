import { compileTargeting, type CompiledRule } from '../rules/flag-rules.ts';
import { DEFAULT_RULE_LIMITS, type RuleLimits } from '../rules/rule-limits.ts';
import { deepFreeze } from '../spec/json.ts';
import type { EvaluationResult, FlagConfig, Reason } from './types.ts';

export type ResolvingReason = Extract<Reason, 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT'>;
const RESOLVING_REASONS: readonly ResolvingReason[] = ['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT'];

/**
 * A FlagConfig made ready to evaluate: its targeting rule compiled once, and every result it can give for a
 * resolved variant built once and frozen, so an evaluation allocates nothing for its answer.
 */
export interface CompiledFlag {
  readonly config: FlagConfig;
  readonly rule: CompiledRule | null;
  /** The targeting's estimated cost per evaluation (0 without targeting). */
  readonly cost: number;
  readonly parseError: string | null;
  readonly resolved: Readonly<Record<ResolvingReason, ReadonlyMap<string, EvaluationResult>>>;
  /** No variant resolved (defaultVariant null): the caller's code default applies. */
  readonly codeDefault: EvaluationResult;
  readonly disabled: EvaluationResult;
}

function compileFlagTargeting(
  config: FlagConfig,
  limits: RuleLimits,
): { rule: CompiledRule | null; cost: number; parseError: string | null } {
  if (config.parseError !== undefined) return { rule: null, cost: 0, parseError: config.parseError };
  if (config.targeting === null) return { rule: null, cost: 0, parseError: null };
  const compiled = compileTargeting(config.targeting, config.evaluators ?? {}, limits);
  if ('error' in compiled) return { rule: null, cost: 0, parseError: compiled.error };
  return { rule: compiled.rule, cost: compiled.cost, parseError: null };
}

/**
 * Never throws: a rule that does not compile makes a flag whose evaluations are PARSE_ERROR results. The
 * config is copied before it is frozen, unless `owned` says the caller gives it up (it was just parsed).
 */
export function prepareFlag(
  config: FlagConfig,
  limits: RuleLimits = DEFAULT_RULE_LIMITS,
  owned = false,
): CompiledFlag {
  const frozen = deepFreeze(owned ? config : structuredClone(config));
  const { key, metadata } = frozen;
  const resolved = {} as Record<ResolvingReason, Map<string, EvaluationResult>>;
  for (const reason of RESOLVING_REASONS) {
    resolved[reason] = new Map(
      Object.entries(frozen.variants).map(([variant, value]) => [
        variant,
        Object.freeze({ key, value, variant, reason, metadata }),
      ]),
    );
  }
  return Object.freeze({
    config: frozen,
    ...compileFlagTargeting(frozen, limits),
    resolved,
    codeDefault: Object.freeze({ key, reason: 'DEFAULT', metadata }),
    disabled: Object.freeze({ key, reason: 'DISABLED', metadata }),
  });
}
