import { eager, maxOf, ruleList, sumOf, type OperatorCompiler } from './operator-kit.ts';
import { addCosts, charge, multiplyCost, scanCost, type Budget, type RuleNode } from './rule-node.ts';
import { RuleTypeError, truthy } from './rule-values.ts';

/** The array an iteration walks: a falsy value is none, anything else that is not an array is refused. */
function arrayOf(value: unknown, name: string): readonly unknown[] {
  if (!value) return [];
  if (!Array.isArray(value)) throw new RuleTypeError(`"${name}" iterates over arrays only`);
  return value;
}

type Walk = (items: readonly unknown[], body: RuleNode, budget: Budget) => unknown;

/**
 * `{"map": [array, rule]}` and its kin: the rule runs once per element, with the element as its data. Its cost
 * multiplies: one element visited is one operation plus the rule's own.
 */
function iteration(name: string, walk: Walk, resultItems: (selector: RuleNode, body: RuleNode) => number) {
  const compile: OperatorCompiler = (raw, path, context) => {
    const [selectorRule, bodyRule = null] = ruleList(raw, path, name, 1);
    const selector = context.compile(selectorRule!, `${path}[0]`);
    const body = context.compile(bodyRule, `${path}[1]`);
    return {
      run: (data, budget) => {
        charge(budget, 1);
        const items = arrayOf(selector.run(data, budget), name);
        charge(budget, items.length);
        return walk(items, body, budget);
      },
      cost: addCosts(1, selector.cost, multiplyCost(selector.items, addCosts(1, body.cost))),
      items: resultItems(selector, body),
      chars: multiplyCost(resultItems(selector, body), Math.max(selector.chars, body.chars) + 1),
    };
  };
  return compile;
}

const each = (items: readonly unknown[], body: RuleNode, budget: Budget) =>
  items.map((item) => body.run(item, budget));

const reduce: OperatorCompiler = (raw, path, context) => {
  const list = ruleList(raw, path, 'reduce', 2);
  const selector = context.compile(list[0]!, `${path}[0]`);
  const body = context.compile(list[1]!, `${path}[1]`);
  const initial = list.length > 2 ? context.compile(list[2]!, `${path}[2]`) : null;
  return {
    run: (data, budget) => {
      charge(budget, 1);
      const items = arrayOf(selector.run(data, budget), 'reduce');
      charge(budget, items.length);
      let index = 0;
      let accumulator: unknown;
      if (initial) accumulator = initial.run(data, budget);
      else if (items.length === 0) throw new RuleTypeError('"reduce" of no values needs an initial value');
      else accumulator = items[index++];
      for (; index < items.length; index++)
        accumulator = body.run({ accumulator, current: items[index] }, budget);
      return accumulator;
    },
    cost: addCosts(
      1,
      selector.cost,
      initial?.cost ?? 0,
      multiplyCost(selector.items, addCosts(1, body.cost)),
    ),
    items: maxOf([body, selector, ...(initial ? [initial] : [])], (node) => node.items),
    chars: maxOf([body, selector, ...(initial ? [initial] : [])], (node) => node.chars),
  };
};

const merge = eager({
  apply: (values, _data, budget) => {
    const merged: unknown[] = [];
    for (const value of values) {
      if (Array.isArray(value)) merged.push(...(value as unknown[]));
      else merged.push(value);
    }
    charge(budget, scanCost(merged.length));
    return merged;
  },
  extraCost: (args) => scanCost(mergedItems(args.nodes, args.count)),
  items: (args) => mergedItems(args.nodes, args.count),
  chars: (args) => sumOf(args.nodes, (node) => node.chars),
});

function mergedItems(nodes: readonly RuleNode[], count: number): number {
  return Math.max(
    count,
    sumOf(nodes, (node) => Math.max(1, node.items)),
  );
}

/**
 * `{"in": [value, haystack]}`: membership in an array, or a substring. A literal array becomes a set when the
 * rule compiles, so an allow-list of any size costs one operation.
 */
const membership: OperatorCompiler = (raw, path, context) => {
  const [needleRule = null, haystackRule = null] = Array.isArray(raw) ? raw : [raw];
  const needle = context.compile(needleRule, `${path}[0]`);
  const haystack = context.compile(haystackRule, `${path}[1]`);
  const constant = haystack.constant?.value;
  if (Array.isArray(constant)) {
    const members = new Set(constant);
    return {
      run: (data, budget) => {
        charge(budget, 1);
        return members.has(needle.run(data, budget));
      },
      cost: addCosts(1, needle.cost),
      items: 0,
      chars: 5,
    };
  }
  return {
    run: (data, budget) => {
      charge(budget, 1);
      const value = needle.run(data, budget);
      const within = haystack.run(data, budget) || [];
      if (typeof within === 'string') {
        charge(budget, scanCost(within.length));
        return within.includes(value as string);
      }
      if (!Array.isArray(within)) throw new RuleTypeError('"in" looks in arrays and strings only');
      charge(budget, scanCost(within.length));
      return within.includes(value);
    },
    cost: addCosts(1, needle.cost, haystack.cost, scanCost(Math.max(haystack.items, haystack.chars))),
    items: 0,
    chars: 5,
  };
};

export const COLLECTION_OPERATORS: Readonly<Record<string, OperatorCompiler>> = {
  map: iteration('map', each, (selector) => selector.items),
  filter: iteration(
    'filter',
    (items, body, budget) => items.filter((item) => truthy(body.run(item, budget))),
    (selector) => selector.items,
  ),
  all: iteration(
    'all',
    (items, body, budget) => items.length > 0 && items.every((item) => truthy(body.run(item, budget))),
    () => 0,
  ),
  some: iteration(
    'some',
    (items, body, budget) => items.some((item) => truthy(body.run(item, budget))),
    () => 0,
  ),
  none: iteration(
    'none',
    (items, body, budget) => !items.some((item) => truthy(body.run(item, budget))),
    () => 0,
  ),
  reduce,
  merge,
  in: membership,
};
