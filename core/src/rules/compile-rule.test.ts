import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { context, rule } from '../../test/rule-arbitraries.ts';
import type { JsonValue } from '../spec/json.ts';
import { RuleCompilation } from './compile-rule.ts';
import { DEFAULT_RULE_LIMITS, type RuleLimits } from './rule-limits.ts';
import { OperationBudgetExceeded, RuleError } from './rule-node.ts';

const unlimited: RuleLimits = { ...DEFAULT_RULE_LIMITS, maxCost: Infinity, maxValues: Infinity };

function compile(logic: JsonValue, evaluators: Record<string, JsonValue> = {}, limits = unlimited) {
  return new RuleCompilation([logic], evaluators, limits).compile(logic);
}

function refusal(action: () => unknown): RuleError {
  try {
    action();
  } catch (error) {
    if (error instanceof RuleError) return error;
    throw error;
  }
  throw new Error('not refused');
}

/** e0 → e1 → ... → e{levels}: each `and` of two references to the next, 2^levels leaves when expanded. */
function doublingChain(levels: number): Record<string, JsonValue> {
  const evaluators: Record<string, JsonValue> = { [`e${levels}`]: { '==': [{ var: 'plan' }, 'gold'] } };
  for (let i = 0; i < levels; i++)
    evaluators[`e${i}`] = { and: [{ $ref: `e${i + 1}` }, { $ref: `e${i + 1}` }] };
  return evaluators;
}

describe('the cost estimate', () => {
  it('bounds what a run charges, for generated rules', () => {
    fc.assert(
      fc.property(rule, (logic) => {
        let node;
        try {
          node = compile(logic);
        } catch {
          return;
        }
        const budget = { left: 1e12 };
        try {
          node.run(context, budget);
        } catch {
          // a refused evaluation charged less than it would have
        }
        expect(1e12 - budget.left).toBeLessThanOrEqual(node.cost);
      }),
      { numRuns: 5000, seed: 20261201 },
    );
  });

  it('multiplies nested iterations and counts literal and context sizes', () => {
    const list = Array.from({ length: 1000 }, (_, index) => index);
    const nested = compile({ some: [list, { some: [list, { '==': [{ var: '' }, 5] }] }] });
    expect(nested.cost).toBeGreaterThan(1_000_000);
    // an iteration over the context is bounded by the context limit: at most 1,000 values
    const overContext = compile({ some: [{ var: 'groups' }, { '==': [{ var: '' }, 'admin'] }] });
    expect(overContext.cost).toBeGreaterThanOrEqual(1000 * 3);
    expect(overContext.cost).toBeLessThan(DEFAULT_RULE_LIMITS.maxCost);
    const fractional = compile({ fractional: Array.from({ length: 5000 }, (_, index) => [`v${index}`, 1]) });
    expect(fractional.cost).toBeGreaterThan(5000);
  });

  it('costs one operation for membership in a literal allow-list of any size', () => {
    const allowed = Array.from({ length: 1_500 }, (_, index) => `user-${index}`);
    const node = compile({ in: [{ var: 'user' }, allowed] });
    expect(node.cost).toBeLessThan(5);
    expect(node.run({ user: 'user-1499' }, { left: 10 })).toBe(true);
    expect(node.run({ user: 'user-1500' }, { left: 10 })).toBe(false);
  });
});

describe('shared rules ($ref)', () => {
  it('compiles a 31-level doubling chain quickly into a few nodes and prices it at 2^31 evaluations', () => {
    const started = performance.now();
    const node = compile({ $ref: 'e0' }, doublingChain(31));
    expect(performance.now() - started).toBeLessThan(50);
    expect(node.cost).toBeGreaterThan(2 ** 31);
  });

  it('evaluates a chain within the limits as written', () => {
    const node = compile({ $ref: 'e0' }, doublingChain(3), DEFAULT_RULE_LIMITS);
    expect(node.run({ plan: 'gold' }, { left: 1000 })).toBe(true);
    expect(node.run({ plan: 'free' }, { left: 1000 })).toBe(false);
  });

  it('names a cycle as a cycle and a missing evaluator as missing', () => {
    const cycle = refusal(() =>
      compile({ $ref: 'a' }, { a: { '!': { $ref: 'b' } }, b: { or: [{ $ref: 'a' }] } }),
    );
    expect(cycle.message).toBe('$ref cycle: a → b → a');
    expect(refusal(() => compile({ if: [{ $ref: 'nope' }, 'on', 'off'] })).message).toBe(
      'refers to evaluator "nope", which is not defined',
    );
  });
});

describe('structural limits', () => {
  it('refuses rules holding more JSON values than the limit, before compiling them', () => {
    const huge = { in: [{ var: 'user' }, Array.from({ length: 100_000 }, (_, index) => index)] };
    const started = performance.now();
    const compilation = new RuleCompilation([huge], {}, DEFAULT_RULE_LIMITS);
    expect(refusal(() => compilation.compile(huge)).message).toMatch(/more than the limit of 2000 values/);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('refuses nesting deeper than the limit, references included', () => {
    let deep: JsonValue = { var: 'x' };
    for (let i = 0; i < 200; i++) deep = { '!': [deep] };
    expect(refusal(() => compile(deep)).message).toMatch(/nests deeper than the limit of 128 levels/);
    const evaluators: Record<string, JsonValue> = { e140: { var: 'x' } };
    for (let i = 0; i < 140; i++) evaluators[`e${i}`] = { '!': [{ $ref: `e${i + 1}` }] };
    expect(refusal(() => compile({ $ref: 'e0' }, evaluators)).message).toMatch(/nests deeper/);
  });

  it('names unknown operators and objects with more than one key, where they are', () => {
    const unknown = refusal(() => compile({ if: [{ is_ballmer: [1] }, 'a', 'b'] }));
    expect([unknown.path, unknown.message]).toEqual(['if[0]', 'unknown operator "is_ballmer"']);
    expect(refusal(() => compile({ '==': [1, 1], var: 'x' })).message).toMatch(/names one operator/);
    expect(refusal(() => compile({ '<': [1] })).message).toBe('"<" takes an array of at least 2');
  });
});

describe('the operation budget', () => {
  it('ends an evaluation over a context beyond the limits after at most its budget of work', () => {
    const node = compile({ some: [{ var: 'groups' }, { '==': [{ var: '' }, 'admin'] }] });
    // A million groups, far beyond the context limit; every element the rule looks at is counted.
    let visited = 0;
    const groups = new Proxy(
      Array.from({ length: 1_000_000 }, (_, index) => `group-${index}`),
      {
        get(target, property, receiver) {
          if (typeof property === 'string' && /^\d+$/.test(property)) visited++;
          return Reflect.get(target, property, receiver) as unknown;
        },
      },
    );
    const budget = { left: DEFAULT_RULE_LIMITS.maxCost };
    expect(() => node.run({ groups }, budget)).toThrow(OperationBudgetExceeded);
    // The iteration is charged up front: the budget runs out before a single element is read.
    expect(visited).toBe(0);
  });

  it('stops a rule whose elements cost more than estimated partway, as the budget runs out', () => {
    // Each element's `cat` is charged by the length it builds: long strings run the budget out in a few steps.
    const node = compile({ map: [{ var: 'words' }, { cat: [{ var: '' }, { var: '' }, { var: '' }] }] });
    let visited = 0;
    const words = new Proxy(
      Array.from({ length: 600 }, () => 'x'.repeat(50_000)),
      {
        get(target, property, receiver) {
          if (typeof property === 'string' && /^\d+$/.test(property)) visited++;
          return Reflect.get(target, property, receiver) as unknown;
        },
      },
    );
    expect(() => node.run({ words }, { left: DEFAULT_RULE_LIMITS.maxCost })).toThrow(OperationBudgetExceeded);
    expect(visited).toBeGreaterThan(0);
    expect(visited).toBeLessThan(10);
  });
});
