/**
 * The operations one evaluation may still spend. Every compiled node charges what it does as it runs (one per
 * operation, one per element an iteration visits, one per 32 elements or characters a native scan touches);
 * running out throws, and evaluation turns that into an error result for that flag only.
 */
export interface Budget {
  left: number;
}

export class OperationBudgetExceeded extends Error {
  readonly code = 'XC_ERR_OPERATION_BUDGET';
}

/** One error object for every overrun: the throw is on a path that must stay cheap. */
const EXCEEDED = new OperationBudgetExceeded('the rule ran out of its operation budget');

export function charge(budget: Budget, operations: number): void {
  if ((budget.left -= operations) < 0) throw EXCEEDED;
}

/** Elements or characters a native scan covers per operation charged. */
export const SCAN_WIDTH = 32;

export const scanCost = (length: number): number => Math.ceil(length / SCAN_WIDTH);

/**
 * A compiled JSONLogic value. `cost` bounds what one `run` charges; `items` and `chars` bound the length of the
 * array or string it can produce, so that what consumes it can bound its own cost. Bounds assume contexts within
 * CONTEXT_LIMITS; the budget holds whatever the context.
 */
export interface RuleNode {
  readonly run: (data: unknown, budget: Budget) => unknown;
  readonly cost: number;
  readonly items: number;
  readonly chars: number;
  /** Set for a literal: its value, the same on every run. */
  readonly constant?: { readonly value: unknown };
}

/** Costs beyond this are all "far too much": saturating keeps the arithmetic finite. */
export const COST_CEILING = 1e15;

export const addCosts = (...costs: number[]): number =>
  Math.min(
    COST_CEILING,
    costs.reduce((sum, cost) => sum + cost, 0),
  );

export const multiplyCost = (times: number, cost: number): number => Math.min(COST_CEILING, times * cost);

/** A refused rule: `path` says where inside it, in the JSONLogic's own terms (`if[0].in[1]`). */
export class RuleError extends Error {
  readonly code = 'XC_ERR_RULE';
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

/** The textual length of a JSON scalar as `+` concatenation would write it. */
export function scalarChars(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number') return 24;
  return 15; // "[object Object]", "false", "null"
}

export function literal(value: unknown): RuleNode {
  const items = Array.isArray(value) ? value.length : 0;
  const chars = Array.isArray(value)
    ? value.reduce<number>((sum, item) => sum + scalarChars(item) + 1, 0)
    : scalarChars(value);
  return { run: () => value, cost: 0, items, chars, constant: { value } };
}
