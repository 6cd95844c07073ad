import { eager, type EagerOperator, type OperatorCompiler } from './operator-kit.ts';
import { charge } from './rule-node.ts';
import { RuleTypeError, toNumber } from './rule-values.ts';

/** Every value must coerce to a number; a NaN result is refused rather than returned. */
function checked(result: number): number {
  if (Number.isNaN(result)) throw new RuleTypeError('the arithmetic has no numeric result');
  return result;
}

const requireValues = (values: unknown[], minimum: number, name: string) => {
  if (values.length < minimum) throw new RuleTypeError(`"${name}" needs at least ${minimum} value(s)`);
};

/** A divisor of 0 (or anything that coerces to it) has no result. */
const divisor = (value: unknown): number => toNumber(value) || Number.NaN;

function arithmetic(apply: (values: unknown[]) => number): OperatorCompiler {
  const operator: EagerOperator = {
    apply: (values, _data, budget) => {
      charge(budget, values.length);
      return checked(apply(values));
    },
    extraCost: (args) => args.count,
    chars: () => 24,
  };
  return eager(operator);
}

function extremum(name: string, pick: (a: number, b: number) => number): OperatorCompiler {
  return arithmetic((values) => {
    requireValues(values, 1, name);
    let result = values[0];
    for (const value of values) {
      if (typeof value !== 'number') throw new RuleTypeError(`"${name}" compares numbers only`);
      result = pick(result as number, value);
    }
    return result as number;
  });
}

export const ARITHMETIC_OPERATORS: Readonly<Record<string, OperatorCompiler>> = {
  '+': arithmetic((values) => values.reduce<number>((sum, value) => sum + toNumber(value), 0)),
  '*': arithmetic((values) => values.reduce<number>((product, value) => product * toNumber(value), 1)),
  '-': arithmetic((values) => {
    requireValues(values, 1, '-');
    if (values.length === 1) return -toNumber(values[0]);
    return values
      .slice(1)
      .reduce<number>((difference, value) => difference - toNumber(value), toNumber(values[0]));
  }),
  '/': arithmetic((values) => {
    requireValues(values, 1, '/');
    if (values.length === 1) return 1 / divisor(values[0]);
    return values
      .slice(1)
      .reduce<number>((quotient, value) => quotient / divisor(value), toNumber(values[0]));
  }),
  '%': arithmetic((values) => {
    requireValues(values, 2, '%');
    return values
      .slice(1)
      .reduce<number>((remainder, value) => remainder % toNumber(value), toNumber(values[0]));
  }),
  max: extremum('max', Math.max),
  min: extremum('min', Math.min),
};
