import { fractional } from '../targeting/fractional.ts';
import { semVer } from '../targeting/sem-ver.ts';
import { endsWith, startsWith } from '../targeting/string-affix.ts';
import { eager, sumOf, type OperatorCompiler } from './operator-kit.ts';
import { charge, scanCost } from './rule-node.ts';
import { CONTEXT_LIMITS } from './rule-limits.ts';
import { concatenate, RuleTypeError } from './rule-values.ts';

/** The longest default bucketing value: a flag key (128) and a targeting key from the context. */
const DEFAULT_BUCKETING_CHARS = 128 + CONTEXT_LIMITS.maxStringLength;

const longestArgument = (nodes: readonly { chars: number }[]) =>
  nodes.reduce((max, node) => Math.max(max, node.chars), 0);

const cat = eager({
  apply: (values, _data, budget) => {
    const text = concatenate(values);
    charge(budget, scanCost(text.length));
    return text;
  },
  extraCost: (args) => scanCost(sumOf(args.nodes, (node) => node.chars)),
  chars: (args) => sumOf(args.nodes, (node) => node.chars),
});

/** `{"substr": [text, start, length]}`: a negative length leaves that many characters off the end. */
const substr = eager({
  apply: ([text, start, length], _data, budget) => {
    if (typeof text !== 'string') throw new RuleTypeError('"substr" takes a string');
    charge(budget, scanCost(text.length));
    const from = start as number;
    if ((length as number) < 0) {
      const rest = text.substr(from);
      return rest.substr(0, rest.length + (length as number));
    }
    return text.substr(from, length as number);
  },
  extraCost: (args) => scanCost(args.nodes[0]?.chars ?? 0),
  chars: (args) => args.nodes[0]?.chars ?? 0,
});

const affix = (test: (args: unknown) => boolean | null) =>
  eager({
    apply: (values, _data, budget) => {
      charge(budget, 1);
      return test(values);
    },
    extraCost: () => 1,
    chars: () => 5,
  });

/** flagd's sem_ver: parsing is linear in the versions' length. */
const semanticVersion = eager({
  apply: (values, _data, budget) => {
    charge(budget, scanCost(String(values[0] ?? '').length + String(values[2] ?? '').length));
    return semVer(values);
  },
  extraCost: (args) => scanCost(longestArgument(args.nodes) * 2),
  chars: () => 5,
});

/** flagd's fractional: each bucket is read twice, and hashing the bucketing value is slower than a scan. */
const fractionalSplit = eager({
  apply: (values, data, budget) => {
    const flagd = data as Parameters<typeof fractional>[1];
    // The bucketing value: the first argument when it is a string, else the flag key and the targeting key.
    const hashed =
      typeof values[0] === 'string'
        ? values[0].length
        : String(flagd.$flagd?.flagKey ?? '').length + String(flagd.targetingKey ?? '').length;
    charge(budget, 2 * values.length + 4 * scanCost(hashed));
    return fractional(values, flagd);
  },
  extraCost: (args) =>
    2 * args.count + 4 * scanCost(Math.max(longestArgument(args.nodes), DEFAULT_BUCKETING_CHARS)),
  chars: (args) => longestArgument(args.nodes),
});

export const STRING_OPERATORS: Readonly<Record<string, OperatorCompiler>> = {
  cat,
  substr,
  starts_with: affix(startsWith),
  ends_with: affix(endsWith),
  sem_ver: semanticVersion,
  fractional: fractionalSplit,
};
