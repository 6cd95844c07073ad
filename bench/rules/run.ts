// The costliest rules the default limits admit, each with the context that makes it work hardest, evaluated
// through the core as an evaluator does: the time of one evaluation (median of many, and the slowest batch),
// beside each rule's estimated cost; and how long refusing each hostile class takes to compile.
// Usage: node bench/rules/run.ts [--seconds 1]
import { cpus } from 'node:os';
import {
  compile,
  DEFAULT_RULE_LIMITS,
  evaluate,
  ruleIssues,
  validateFeatureFlagSpec,
  type FeatureFlagSpec,
} from '../../core/src/index.ts';
import {
  costliestAdmitted,
  costliestContext,
  HOSTILE_SPECS,
  largestAdmitted,
} from '../../tests/security/hostile-rules.ts';
import { arg } from '../support/cli.ts';
import { recordResults } from '../support/results.ts';

const seconds = arg('seconds', 1);
const range = (length: number) => Array.from({ length }, (_, index) => index);

function spec(input: Record<string, unknown>): FeatureFlagSpec {
  const validated = validateFeatureFlagSpec(input);
  if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
  const refused = ruleIssues(validated.value, DEFAULT_RULE_LIMITS);
  if (refused.length > 0) throw new Error(`not admitted: ${JSON.stringify(refused)}`);
  return validated.value;
}

/** Admitted rules at (or just under) the limits, with the context that makes each do the most. */
const costly: { name: string; spec: FeatureFlagSpec; context: Record<string, unknown> }[] = [
  {
    name: '`none` over 997 context values, 2 comparisons each',
    spec: spec(costliestAdmitted()),
    context: costliestContext(),
  },
  {
    name: '`some` over 997 context values, `in` a 1,900-id allow-list each',
    spec: spec({
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        if: [{ some: [{ var: 'groups' }, { in: [{ var: '' }, range(1900).map(String)] }] }, 'on', 'off'],
      },
    }),
    context: costliestContext(),
  },
  {
    name: '`fractional` with 600 buckets',
    spec: spec({
      variants: { a: 'a', b: 'b' },
      defaultVariant: 'a',
      targeting: { fractional: range(600).map((index) => [index % 2 ? 'a' : 'b', 1]) },
    }),
    context: { targetingKey: 'x'.repeat(4096) },
  },
  {
    name: '`in` a 1,990-id allow-list (the largest admitted)',
    spec: spec(largestAdmitted('bench')),
    context: { user: 'bench-user-1989' },
  },
  {
    name: '`$ref` chain, 10 levels of `and` over two references',
    spec: spec({
      variants: { on: true, off: false },
      defaultVariant: 'off',
      evaluators: Object.fromEntries([
        ...range(10).map((i) => [`e${i}`, { and: [{ $ref: `e${i + 1}` }, { $ref: `e${i + 1}` }] }]),
        ['e10', { '==': [{ var: 'plan' }, 'gold'] }],
      ]),
      targeting: { if: [{ $ref: 'e0' }, 'on', 'off'] },
    }),
    context: { plan: 'gold' },
  },
];

const figures = costly.map(({ name, spec: admitted, context }) => {
  const flag = compile({ key: 'bench', spec: admitted }, 'production');
  for (let i = 0; i < 200; i++) evaluate(flag, context, { nowSeconds: 0 });
  const batches: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const started = performance.now();
    for (let i = 0; i < 100; i++) evaluate(flag, context, { nowSeconds: 0 });
    batches.push((performance.now() - started) / 100);
  }
  batches.sort((a, b) => a - b);
  const result = evaluate(flag, context, { nowSeconds: 0 });
  if (result.reason === 'ERROR') throw new Error(`${name}: ${result.errorMessage}`);
  return {
    name,
    cost: flag.cost,
    medianUs: batches[batches.length >> 1]! * 1000,
    worstUs: batches.at(-1)! * 1000,
  };
});

const refusals = HOSTILE_SPECS.map((hostile) => {
  const validated = validateFeatureFlagSpec(hostile.spec);
  if (!validated.ok) throw new Error(hostile.name);
  const started = performance.now();
  const issues = ruleIssues(validated.value, DEFAULT_RULE_LIMITS);
  return { name: hostile.name, ms: performance.now() - started, refused: issues.length > 0 };
});

console.log(
  `bench/rules on ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, default limits (cost ${DEFAULT_RULE_LIMITS.maxCost}, values ${DEFAULT_RULE_LIMITS.maxValues})`,
);
for (const each of figures)
  console.log(
    `  ${each.name.padEnd(66)} cost ${String(Math.round(each.cost)).padStart(6)}  ${each.medianUs.toFixed(1).padStart(7)} µs median, ${each.worstUs.toFixed(1).padStart(7)} µs worst batch`,
  );
console.log('hostile rules refused, compile time:');
for (const each of refusals)
  console.log(
    `  ${each.name.padEnd(66)} ${each.refused ? 'refused' : 'ADMITTED'} in ${each.ms.toFixed(1)} ms`,
  );
recordResults('rules', { costly: figures, refusals });
