import { parse } from '@marcbachmann/cel-js';
import type { AdmissionRule } from './admission-rules.ts';
import { isJsonObject } from './json.ts';
import type { SpecIssue } from './validate.ts';

type Program = (variables: Record<string, unknown>) => unknown;
interface CompiledRule {
  rule: AdmissionRule;
  holds: Program;
  message: Program;
}

/** What a rule may see of the resource besides its spec. */
export interface RuleSubject {
  name?: string;
  /** The resource as it was, for an update: transition rules compare with it. */
  old?: { name: string; spec: unknown };
}

const compiled = new WeakMap<readonly AdmissionRule[], CompiledRule[]>();

function programs(rules: readonly AdmissionRule[]): CompiledRule[] {
  let list = compiled.get(rules);
  if (!list) {
    list = rules.map((rule) => ({
      rule,
      holds: parse(rule.expression) as Program,
      message: parse(rule.message) as Program,
    }));
    compiled.set(rules, list);
  }
  return list;
}

/** A rule's field as a zod issue path: `spec.environments.prod.rollout` is ["environments", "prod", "rollout"]. */
export const issuePath = (field: string): string[] => field.split('.').slice(1);

/** JSON as the API server hands it to CEL: whole numbers are ints, the others doubles. */
export function asCelValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(asCelValue);
  if (isJsonObject(value))
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asCelValue(item)]));
  return value;
}

/**
 * The rules `spec` breaks, as the API server would report them: each rule's field and its message. A rule
 * whose expression cannot run on this spec (a field of the wrong type) is left to the schema, which refuses
 * that spec anyway, as the API server's schema validation runs before its admission policies.
 */
export function admissionIssues(
  rules: readonly AdmissionRule[],
  spec: unknown,
  subject: RuleSubject = {},
): SpecIssue[] {
  const self = asCelValue(spec);
  const base: Record<string, unknown> = { self, resourceName: subject.name ?? '' };
  if (subject.old) Object.assign(base, { oldSelf: asCelValue(subject.old.spec), oldName: subject.old.name });
  const issues: SpecIssue[] = [];
  const check = ({ holds, message }: CompiledRule, variables: Record<string, unknown>, field: string) => {
    try {
      if (holds(variables) === false) issues.push({ field, message: String(message(variables)) });
    } catch {
      // not checkable on a spec of the wrong shape: the schema says what is wrong with it
    }
  };
  for (const program of programs(rules)) {
    if (program.rule.transition && !subject.old) continue;
    if (program.rule.forEach !== 'environments') {
      check(program, base, program.rule.field);
      continue;
    }
    const overrides = isJsonObject(self) ? self.environments : undefined;
    if (!isJsonObject(overrides)) continue;
    for (const [overrideName, override] of Object.entries(overrides))
      check(
        program,
        { ...base, overrideName, override },
        program.rule.field.replace('<override>', overrideName),
      );
  }
  return issues;
}
