import { isJsonObject, type JsonValue } from '../spec/json.ts';

export class UnknownEvaluatorError extends Error {
  readonly code = 'UNKNOWN_EVALUATOR';
  readonly evaluator: string;
  constructor(evaluator: string) {
    super(`targeting refers to evaluator "${evaluator}", which is not defined`);
    this.evaluator = evaluator;
  }
}

/**
 * Replaces every `{"$ref": "name"}` with the named shared rule (flagd's $evaluators), recursively, so the
 * compiled rule needs no lookups. Throws UnknownEvaluatorError for a missing name or a reference cycle.
 */
export function resolveRefs(
  rule: JsonValue,
  evaluators: Readonly<Record<string, JsonValue>>,
  seen: string[] = [],
): JsonValue {
  if (Array.isArray(rule)) return rule.map((item) => resolveRefs(item, evaluators, seen));
  if (!isJsonObject(rule)) return rule;
  const keys = Object.keys(rule);
  if (keys.length === 1 && keys[0] === '$ref' && typeof rule.$ref === 'string') {
    const name = rule.$ref;
    const target = Object.hasOwn(evaluators, name) ? evaluators[name] : undefined;
    if (target === undefined || seen.includes(name)) throw new UnknownEvaluatorError(name);
    return resolveRefs(target, evaluators, [...seen, name]);
  }
  const resolved: Record<string, JsonValue> = {};
  for (const key of keys) resolved[key] = resolveRefs(rule[key]!, evaluators, seen);
  return resolved;
}
