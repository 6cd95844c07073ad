import { deepFreeze } from '../spec/json.ts';
import { compileRule, type CompiledRule } from '../targeting/rule-engine.ts';
import type { EvaluationResult, FlagConfig, Reason } from './types.ts';

type ResolvingReason = Extract<Reason, 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT'>;
const RESOLVING_REASONS: readonly ResolvingReason[] = ['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT'];

/**
 * A FlagConfig made ready to evaluate: its targeting rule compiled once, and every result it can give for a
 * resolved variant built once and frozen, so an evaluation allocates nothing for its answer.
 */
export interface CompiledFlag {
  readonly config: FlagConfig;
  readonly rule: CompiledRule | null;
  readonly parseError: string | null;
  readonly resolved: Readonly<Record<ResolvingReason, ReadonlyMap<string, EvaluationResult>>>;
  /** No variant resolved (defaultVariant null): the caller's code default applies. */
  readonly codeDefault: EvaluationResult;
  readonly disabled: EvaluationResult;
}

function compileTargeting(config: FlagConfig): { rule: CompiledRule | null; parseError: string | null } {
  if (config.parseError !== undefined) return { rule: null, parseError: config.parseError };
  if (config.targeting === null) return { rule: null, parseError: null };
  try {
    return { rule: compileRule(config.targeting), parseError: null };
  } catch (error) {
    return {
      rule: null,
      parseError: `invalid targeting rule: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/** Never throws: a rule that does not compile makes a flag whose evaluations are PARSE_ERROR results. */
export function prepareFlag(config: FlagConfig): CompiledFlag {
  const frozen = deepFreeze(structuredClone(config));
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
    ...compileTargeting(frozen),
    resolved,
    codeDefault: Object.freeze({ key, reason: 'DEFAULT', metadata }),
    disabled: Object.freeze({ key, reason: 'DISABLED', metadata }),
  });
}
