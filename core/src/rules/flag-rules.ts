import type { FeatureFlagSpec } from '../spec/feature-flag-spec.ts';
import { isJsonObject, type JsonValue } from '../spec/json.ts';
import type { SpecIssue } from '../spec/validate.ts';
import { RuleCompilation } from './compile-rule.ts';
import { COST_CEILING, RuleError, type Budget, type RuleNode } from './rule-node.ts';
import type { RuleLimits } from './rule-limits.ts';

/** A rule ready to run: data in, the rule's result out, charging `budget` as it goes. */
export type CompiledRule = (data: unknown, budget: Budget) => unknown;

export function isEmptyRule(rule: JsonValue | null | undefined): boolean {
  return rule == null || (isJsonObject(rule) && Object.keys(rule).length === 0);
}

function formatCost(cost: number): string {
  return cost >= COST_CEILING
    ? `more than ${COST_CEILING.toLocaleString('en-US')}`
    : Math.ceil(cost).toLocaleString('en-US');
}

function costProblem(node: RuleNode, limits: RuleLimits): string | null {
  if (node.cost <= limits.maxCost) return null;
  return `estimated cost of ${formatCost(node.cost)} operations per evaluation exceeds the limit of ${limits.maxCost.toLocaleString('en-US')}`;
}

const located = (error: RuleError) =>
  error.path === '' ? error.message : `at ${error.path}: ${error.message}`;

/** Each refusal once, and at most a few: a chain of bad references would otherwise repeat itself. */
const MAX_ISSUES = 5;

/**
 * The problems of a FeatureFlag's rules, named by field: a rule that does not compile, refers to a missing
 * evaluator or a cycle, nests too deep, or costs more than the limits allow. Every evaluator is checked, used
 * or not; so are the targeting and each environment's override of it.
 */
export function ruleIssues(spec: FeatureFlagSpec, limits: RuleLimits): SpecIssue[] {
  const rules: [string, JsonValue][] = [];
  if (!isEmptyRule(spec.targeting)) rules.push(['spec.targeting', spec.targeting!]);
  for (const [name, override] of Object.entries(spec.environments ?? {}))
    if (!isEmptyRule(override.targeting))
      rules.push([`spec.environments.${name}.targeting`, override.targeting!]);
  const evaluators = spec.evaluators ?? {};
  const compilation = new RuleCompilation(
    rules.map(([, rule]) => rule),
    evaluators,
    limits,
  );
  if (compilation.values > limits.maxValues)
    return [
      {
        field: 'spec',
        message: `targeting, overrides and evaluators hold more than the limit of ${limits.maxValues.toLocaleString('en-US')} JSON values together`,
      },
    ];
  const issues: SpecIssue[] = [];
  const check = (field: string, compile: () => RuleNode) => {
    try {
      const problem = costProblem(compile(), limits);
      if (problem) issues.push({ field, message: problem });
    } catch (error) {
      if (!(error instanceof RuleError)) throw error;
      issues.push({ field, message: located(error) });
    }
  };
  for (const name of Object.keys(evaluators))
    check(`spec.evaluators.${name}`, () => compilation.evaluator(name));
  for (const [field, rule] of rules) check(field, () => compilation.compile(rule));
  if (issues.length <= MAX_ISSUES) return issues;
  const shown = issues.slice(0, MAX_ISSUES);
  shown.push({ field: 'spec', message: `and ${issues.length - MAX_ISSUES} more rule problems` });
  return shown;
}

/** The evaluators `rule` reaches through `$ref`, transitively; names that are not defined are left out. */
export function reachableEvaluators(
  rule: JsonValue,
  evaluators: Readonly<Record<string, JsonValue>>,
): Record<string, JsonValue> {
  const reached: Record<string, JsonValue> = {};
  const stack: JsonValue[] = [rule];
  while (stack.length > 0) {
    const value = stack.pop()!;
    if (Array.isArray(value)) stack.push(...value);
    else if (isJsonObject(value)) {
      const name = value.$ref;
      if (typeof name === 'string' && Object.keys(value).length === 1) {
        if (!Object.hasOwn(reached, name) && Object.hasOwn(evaluators, name)) {
          reached[name] = evaluators[name]!;
          stack.push(evaluators[name]!);
        }
      } else stack.push(...Object.values(value));
    }
  }
  return reached;
}

/** Compiles a configuration's targeting for evaluation; a refusal comes back as the text of a PARSE_ERROR. */
export function compileTargeting(
  rule: JsonValue,
  evaluators: Readonly<Record<string, JsonValue>>,
  limits: RuleLimits,
): { rule: CompiledRule; cost: number } | { error: string } {
  try {
    const compilation = new RuleCompilation([rule], evaluators, limits);
    const node = compilation.compile(rule);
    const problem = costProblem(node, limits);
    return problem ? { error: `targeting: ${problem}` } : { rule: node.run, cost: node.cost };
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
    return { error: `invalid targeting rule: ${located(error)}` };
  }
}
