import type { JsonValue } from '../spec/json.ts';
import { addCosts, charge, RuleError, type Budget, type RuleNode } from './rule-node.ts';

/** What an operator's compiler may ask of the compilation it is part of. */
export interface OperatorContext {
  /** Compiles a nested value at `path` (a child of the operator's own path). */
  compile(value: JsonValue, path: string): RuleNode;
  /** The longest array and string a `var` can return: the context limits, or a longer literal of the rule. */
  readonly dataBounds: { readonly items: number; readonly chars: number };
}

export type OperatorCompiler = (raw: JsonValue, path: string, context: OperatorContext) => RuleNode;

/**
 * An eager operator's arguments: the values of an array, each compiled; an operation's result, spread into
 * values at run time (json-logic-engine's `{"merge": {"var": "lists"}}`); or any other value, alone.
 */
export interface Arguments {
  readonly nodes: readonly RuleNode[];
  readonly spread: boolean;
  /** At most this many values reach the operator. */
  readonly count: number;
  readonly cost: number;
}

export function compileArguments(raw: JsonValue, path: string, context: OperatorContext): Arguments {
  if (Array.isArray(raw)) {
    const nodes = raw.map((value, index) => context.compile(value, `${path}[${index}]`));
    return { nodes, spread: false, count: nodes.length, cost: addCosts(...nodes.map((node) => node.cost)) };
  }
  const node = context.compile(raw, path);
  const spread = node.constant === undefined;
  return { nodes: [node], spread, count: spread ? Math.max(1, node.items) : 1, cost: node.cost };
}

export function evaluateArguments(args: Arguments, data: unknown, budget: Budget): unknown[] {
  if (args.spread) {
    const value = args.nodes[0]!.run(data, budget);
    return Array.isArray(value) ? value : [value];
  }
  const values = new Array<unknown>(args.nodes.length);
  for (let i = 0; i < args.nodes.length; i++) values[i] = args.nodes[i]!.run(data, budget);
  return values;
}

export interface EagerOperator {
  /** Runs on the evaluated values; charges anything beyond the one operation the node charges itself. */
  apply(values: unknown[], data: unknown, budget: Budget): unknown;
  /** What apply may charge at most, given what its arguments are bounded by. */
  extraCost?(args: Arguments): number;
  items?(args: Arguments): number;
  chars?(args: Arguments): number;
}

/** An operator whose arguments are all evaluated before it runs. */
export function eager(operator: EagerOperator): OperatorCompiler {
  return (raw, path, context) => {
    const args = compileArguments(raw, path, context);
    const { apply } = operator;
    return {
      run: (data, budget) => {
        charge(budget, 1);
        return apply(evaluateArguments(args, data, budget), data, budget);
      },
      cost: addCosts(1, args.cost, operator.extraCost?.(args) ?? 0),
      items: operator.items?.(args) ?? 0,
      chars: operator.chars?.(args) ?? 24,
    };
  };
}

/** The raw arguments of an operator that takes an array of rules (`if`, `and`, `map`, ...). */
export function ruleList(raw: JsonValue, path: string, name: string, minimum: number): JsonValue[] {
  if (!Array.isArray(raw) || raw.length < minimum) {
    const what = minimum === 0 ? 'an array' : `an array of at least ${minimum}`;
    throw new RuleError(path, `"${name}" takes ${what}`);
  }
  return raw;
}

export const sumOf = (nodes: readonly RuleNode[], pick: (node: RuleNode) => number): number =>
  addCosts(...nodes.map(pick));

export const maxOf = (nodes: readonly RuleNode[], pick: (node: RuleNode) => number): number =>
  nodes.reduce((max, node) => Math.max(max, pick(node)), 0);
