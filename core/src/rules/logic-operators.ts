import { maxOf, ruleList, sumOf, type OperatorCompiler } from './operator-kit.ts';
import { addCosts, charge, literal } from './rule-node.ts';
import { COMPARISONS, truthy } from './rule-values.ts';

/** `{"if": [condition, then, condition, then, ..., else]}`: only the branches it reaches run. */
const conditional: OperatorCompiler = (raw, path, context) => {
  const list = ruleList(raw, path, 'if', 0);
  const nodes = list.map((value, index) => context.compile(value, `${path}[${index}]`));
  if (nodes.length === 0) return literal(null);
  if (nodes.length === 1) return nodes[0]!;
  if (nodes.length % 2 === 0) nodes.push(literal(null));
  const last = nodes.length - 1;
  return {
    run: (data, budget) => {
      for (let i = 0; i < last; i += 2) {
        charge(budget, 1); // one per condition tested
        if (truthy(nodes[i]!.run(data, budget))) return nodes[i + 1]!.run(data, budget);
      }
      return nodes[last]!.run(data, budget);
    },
    cost: addCosts(
      last / 2,
      sumOf(nodes, (node) => node.cost),
    ),
    items: maxOf(nodes, (node) => node.items),
    chars: maxOf(nodes, (node) => node.chars),
  };
};

/** `and` / `or`: the first value that decides, else the last one; null when there are none. */
function shortCircuit(name: string, stopWhen: boolean): OperatorCompiler {
  return (raw, path, context) => {
    const list = ruleList(raw, path, name, 0);
    const nodes = list.map((value, index) => context.compile(value, `${path}[${index}]`));
    if (nodes.length === 0) return literal(null);
    return {
      run: (data, budget) => {
        let value: unknown = null;
        for (let i = 0; i < nodes.length; i++) {
          charge(budget, 1); // one per operand looked at
          value = nodes[i]!.run(data, budget);
          if (truthy(value) === stopWhen) return value;
        }
        return value;
      },
      cost: addCosts(
        nodes.length,
        sumOf(nodes, (node) => node.cost),
      ),
      items: maxOf(nodes, (node) => node.items),
      chars: maxOf(nodes, (node) => node.chars),
    };
  };
}

/** `!` and `!!` read one value: the first of an array, or the value itself. */
function negation(negate: boolean): OperatorCompiler {
  return (raw, path, context) => {
    const node = Array.isArray(raw)
      ? raw.length === 0
        ? literal(undefined)
        : context.compile(raw[0]!, `${path}[0]`)
      : context.compile(raw, path);
    return {
      run: (data, budget) => {
        charge(budget, 1);
        return truthy(node.run(data, budget)) !== negate;
      },
      cost: addCosts(1, node.cost),
      items: 0,
      chars: 5,
    };
  };
}

/** Comparisons of two values, or a chain (`{"<": [1, {"var": "x"}, 10]}` is 1 < x < 10). */
function comparison(name: string): OperatorCompiler {
  const compare = COMPARISONS[name]!;
  return (raw, path, context) => {
    const list = ruleList(raw, path, name, 2);
    const nodes = list.map((value, index) => context.compile(value, `${path}[${index}]`));
    // One operation per comparison made: what `run` charges.
    const cost = addCosts(
      nodes.length - 1,
      sumOf(nodes, (node) => node.cost),
    );
    if (nodes.length === 2) {
      const [left, right] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
      return {
        run: (data, budget) => {
          charge(budget, 1);
          return compare(left.run(data, budget), right.run(data, budget));
        },
        cost,
        items: 0,
        chars: 5,
      };
    }
    return {
      run: (data, budget) => {
        charge(budget, nodes.length - 1);
        let previous = nodes[0]!.run(data, budget);
        for (let i = 1; i < nodes.length; i++) {
          const current = nodes[i]!.run(data, budget);
          if (!compare(previous, current)) return false;
          previous = current;
        }
        return true;
      },
      cost,
      items: 0,
      chars: 5,
    };
  };
}

export const LOGIC_OPERATORS: Readonly<Record<string, OperatorCompiler>> = {
  if: conditional,
  '?:': conditional,
  and: shortCircuit('and', false),
  or: shortCircuit('or', true),
  '!': negation(true),
  '!!': negation(false),
  ...Object.fromEntries(Object.keys(COMPARISONS).map((name) => [name, comparison(name)])),
};
