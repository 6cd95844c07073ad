import { isJsonObject, type JsonValue } from '../spec/json.ts';
import { ARITHMETIC_OPERATORS } from './arithmetic-operators.ts';
import { COLLECTION_OPERATORS } from './collection-operators.ts';
import { DATA_OPERATORS } from './data-operators.ts';
import { LOGIC_OPERATORS } from './logic-operators.ts';
import type { OperatorCompiler, OperatorContext } from './operator-kit.ts';
import { addCosts, charge, literal, RuleError, scalarChars, type RuleNode } from './rule-node.ts';
import { CONTEXT_LIMITS, type RuleLimits } from './rule-limits.ts';
import { STRING_OPERATORS } from './string-operators.ts';

/** JSONLogic's standard operators and flagd's own; anything else is refused when the rule compiles. */
export const OPERATORS: Readonly<Record<string, OperatorCompiler>> = Object.freeze({
  ...DATA_OPERATORS,
  ...LOGIC_OPERATORS,
  ...ARITHMETIC_OPERATORS,
  ...COLLECTION_OPERATORS,
  ...STRING_OPERATORS,
});

/** Longest literal array and string, and the number of JSON values, of `roots`; stops counting past `limit`. */
function survey(roots: readonly JsonValue[], limit: number) {
  let values = 0;
  let items = 0;
  let chars = 0;
  const stack = [...roots];
  while (stack.length > 0 && values <= limit) {
    const value = stack.pop()!;
    values++;
    if (typeof value === 'string') chars = Math.max(chars, value.length);
    else if (Array.isArray(value)) {
      items = Math.max(items, value.length);
      stack.push(...value);
    } else if (isJsonObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        chars = Math.max(chars, key.length);
        stack.push(child);
      }
    }
  }
  return { values, items, chars };
}

/**
 * One flag's rules compiled together: every `{"$ref": name}` becomes the one node compiled for that evaluator
 * (a shared node, never a copy, so a chain of references stays as small as it is written), a reference cycle is
 * named as one, and each node carries its estimated cost.
 */
export class RuleCompilation {
  readonly #evaluators: Readonly<Record<string, JsonValue>>;
  readonly #limits: RuleLimits;
  readonly #compiled = new Map<string, { node: RuleNode; height: number }>();
  readonly #referencing: string[] = [];
  readonly #context: OperatorContext;
  /** The JSON values of every rule this compilation can reach, or more when that is over the limit. */
  readonly values: number;

  constructor(
    roots: readonly JsonValue[],
    evaluators: Readonly<Record<string, JsonValue>>,
    limits: RuleLimits,
  ) {
    this.#evaluators = evaluators;
    this.#limits = limits;
    const surveyed = survey([...roots, ...Object.values(evaluators)], limits.maxValues);
    this.values = surveyed.values;
    const dataBounds = {
      items: Math.max(CONTEXT_LIMITS.maxNodes, surveyed.items),
      chars: Math.max(CONTEXT_LIMITS.maxStringLength, surveyed.chars),
    };
    this.#context = {
      dataBounds,
      compile: (value, path) => this.#nested(path, () => this.#node(value, path)),
    };
  }

  #depth = 0;
  /** The deepest level the compilation of the current value reached (evaluators count at their full height). */
  #deepest = 0;

  #nested<T>(path: string, compile: () => T): T {
    this.#reach(++this.#depth, path);
    try {
      return compile();
    } finally {
      this.#depth--;
    }
  }

  #reach(level: number, path: string): void {
    if (level > this.#limits.maxDepth)
      throw new RuleError(path, `nests deeper than the limit of ${this.#limits.maxDepth} levels`);
    this.#deepest = Math.max(this.#deepest, level);
  }

  /** Compiles `rule`; throws RuleError naming where it is refused. */
  compile(rule: JsonValue): RuleNode {
    if (this.values > this.#limits.maxValues)
      throw new RuleError('', `the rules hold more than the limit of ${this.#limits.maxValues} values`);
    return this.#context.compile(rule, '');
  }

  /** The node of evaluator `name`, compiled once however often it is referred to. */
  evaluator(name: string, path = ''): RuleNode {
    const done = this.#compiled.get(name);
    if (done) {
      this.#reach(this.#depth + done.height, path);
      return done.node;
    }
    if (this.#referencing.includes(name))
      throw new RuleError(path, `$ref cycle: ${[...this.#referencing, name].join(' → ')}`);
    if (!Object.hasOwn(this.#evaluators, name))
      throw new RuleError(path, `refers to evaluator "${name}", which is not defined`);
    this.#referencing.push(name);
    const [outerDeepest, start] = [this.#deepest, this.#depth];
    this.#deepest = start;
    try {
      // The `{"$ref"}` object already counted one level: the evaluator's rule takes its place.
      const node = this.#node(this.#evaluators[name]!, `$ref(${name})`);
      this.#compiled.set(name, { node, height: this.#deepest - start });
      return node;
    } finally {
      this.#deepest = Math.max(outerDeepest, this.#deepest);
      this.#referencing.pop();
    }
  }

  #node(value: JsonValue, path: string): RuleNode {
    if (Array.isArray(value)) return this.#array(value, path);
    if (!isJsonObject(value)) return literal(value);
    const keys = Object.keys(value);
    if (keys.length === 0) return literal(value);
    const at = (name: string) => (path === '' ? name : `${path}.${name}`);
    if (keys.length > 1)
      throw new RuleError(
        path,
        `an operation names one operator, found ${keys.map((k) => `"${k}"`).join(', ')}`,
      );
    const name = keys[0]!;
    if (name === '$ref') {
      if (typeof value.$ref !== 'string') throw new RuleError(at(name), '$ref names an evaluator');
      return this.evaluator(value.$ref, at(name));
    }
    const operator = Object.hasOwn(OPERATORS, name) ? OPERATORS[name] : undefined;
    if (!operator) throw new RuleError(path, `unknown operator "${name}"`);
    return operator(value[name]!, at(name), this.#context);
  }

  #array(values: readonly JsonValue[], path: string): RuleNode {
    // A list of plain values (an allow-list, say) is a literal as it is: no node per element.
    if (values.every((value) => value === null || typeof value !== 'object')) return literal(values);
    const nodes = values.map((value, index) => this.#context.compile(value, `${path}[${index}]`));
    if (nodes.every((node) => node.constant)) return literal(nodes.map((node) => node.constant!.value));
    return {
      run: (data, budget) => {
        charge(budget, 1);
        return nodes.map((node) => node.run(data, budget));
      },
      cost: addCosts(1, ...nodes.map((node) => node.cost)),
      items: nodes.length,
      chars: addCosts(...nodes.map((node) => node.chars + 1), scalarChars(null)),
    };
  }
}
