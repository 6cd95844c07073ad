import type { JsonValue } from '../spec/json.ts';
import { compileArguments, eager, evaluateArguments, type OperatorCompiler } from './operator-kit.ts';
import { addCosts, charge, literal, scanCost, type RuleNode } from './rule-node.ts';
import { lookup, pathOf } from './rule-values.ts';

/**
 * `{"var": path}`, `{"var": [path, default]}`: a value of the data (the context, or the element an iteration is
 * on). A literal path is split once, when the rule compiles; a computed one on every run.
 */
const variable: OperatorCompiler = (raw, path, context) => {
  const bounds = context.dataBounds;
  const isComputed = (value: JsonValue | undefined) => value !== null && typeof value === 'object';
  const parts = Array.isArray(raw) ? raw : [raw];
  if (!Array.isArray(raw) && isComputed(raw)) {
    // `{"var": {"cat": [...]}}`: the operation yields the path, or [path, default].
    const args = compileArguments(raw, path, context);
    return {
      run: (data, budget) => {
        charge(budget, 1);
        const [key, fallback = null] = evaluateArguments(args, data, budget);
        const steps = pathOf(key);
        charge(budget, scanCost(steps.length));
        return lookup(data, steps) ?? fallback;
      },
      cost: addCosts(1, args.cost, scanCost(args.nodes[0]!.chars)),
      ...bounds,
    };
  }
  const fallback: RuleNode = parts.length > 1 ? context.compile(parts[1]!, `${path}[1]`) : literal(null);
  const items = Math.max(bounds.items, fallback.items);
  const chars = Math.max(bounds.chars, fallback.chars);
  if (isComputed(parts[0])) {
    const key = context.compile(parts[0]!, `${path}[0]`);
    return {
      run: (data, budget) => {
        charge(budget, 1);
        const steps = pathOf(key.run(data, budget));
        charge(budget, scanCost(steps.length));
        return lookup(data, steps) ?? fallback.run(data, budget);
      },
      cost: addCosts(1, key.cost, fallback.cost, scanCost(key.chars)),
      items,
      chars,
    };
  }
  const steps = pathOf(parts[0]);
  const constantFallback = fallback.constant;
  if (constantFallback) {
    const value = constantFallback.value;
    return {
      run: (data, budget) => {
        charge(budget, 1);
        return lookup(data, steps) ?? value;
      },
      cost: 1,
      items,
      chars,
    };
  }
  return {
    run: (data, budget) => {
      charge(budget, 1);
      return lookup(data, steps) ?? fallback.run(data, budget);
    },
    cost: addCosts(1, fallback.cost),
    items,
    chars,
  };
};

/** The keys in `keys` that the data does not have (null counts as present). */
function missingKeys(keys: readonly unknown[], data: unknown, budget: { left: number }): unknown[] {
  charge(budget, keys.length);
  return keys.filter((key) => lookup(data, pathOf(key)) === undefined);
}

const missing = eager({
  apply: (keys, data, budget) => missingKeys(keys, data, budget),
  extraCost: (args) => args.count,
  items: (args) => args.count,
  chars: (args) => args.count * 64,
});

/** `{"missing_some": [need, keys]}`: nothing when at least `need` of `keys` are there, else the missing ones. */
const missingSome = eager({
  apply: ([need, keys], data, budget) => {
    const list = Array.isArray(keys) ? keys : [];
    const absent = missingKeys(list, data, budget);
    return list.length - absent.length >= (need as number) ? [] : absent;
  },
  extraCost: (args) => (args.spread ? args.count : (args.nodes[1]?.items ?? 0)),
  items: (args) => args.nodes[1]?.items ?? args.count,
  chars: (args) => args.nodes[1]?.chars ?? args.count * 64,
});

export const DATA_OPERATORS: Readonly<Record<string, OperatorCompiler>> = {
  var: variable,
  missing,
  missing_some: missingSome,
};
