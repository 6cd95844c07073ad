/**
 * JSONLogic's value semantics, as json-logic-engine (the engine flagd's JavaScript core uses) applies them:
 * truthiness, numeric coercion that refuses objects and NaN, and comparisons that stay textual only when both
 * sides are strings or null. A refused coercion throws; evaluation turns any throw into an error result.
 */

export class RuleTypeError extends Error {
  readonly code = 'XC_ERR_RULE_TYPE';
}

/** Empty arrays and empty plain objects are false, as are JavaScript's falsy values. */
export function truthy(value: unknown): boolean {
  if (!value) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** `+value`, refusing what would be NaN and every object or array (null, false and "" are 0). */
export function toNumber(value: unknown): number {
  if (value !== null && typeof value === 'object')
    throw new RuleTypeError('expected a number, got an object');
  const number = +(value as number);
  if (Number.isNaN(number))
    throw new RuleTypeError(`expected a number, got ${JSON.stringify(value) ?? 'nothing'}`);
  return number;
}

const isTextual = (value: unknown): boolean => typeof value === 'string' || value === null;

type Comparison = (a: unknown, b: unknown) => boolean;

/** A loose comparison: textual when both sides are strings or null, numeric otherwise. */
export function looseComparison(
  compare: (a: number | string | null, b: number | string | null) => boolean,
): Comparison {
  return (a, b) => {
    if (isTextual(a) && isTextual(b)) return compare(a as string | null, b as string | null);
    return compare(toNumber(a), toNumber(b));
  };
}

export const COMPARISONS: Readonly<Record<string, Comparison>> = {
  '==': looseComparison((a, b) => a == b),
  '!=': looseComparison((a, b) => a != b),
  '<': looseComparison((a, b) => (a as number) < (b as number)),
  '<=': looseComparison((a, b) => (a as number) <= (b as number)),
  '>': looseComparison((a, b) => (a as number) > (b as number)),
  '>=': looseComparison((a, b) => (a as number) >= (b as number)),
  '===': (a, b) => a === b,
  '!==': (a, b) => a !== b,
};

/**
 * A `var` path: "a.b.0" is ["a", "b", "0"], "a\\.b" is ["a.b"] (a backslash escapes a dot or a backslash);
 * "", null and undefined are the whole data.
 */
export function pathOf(key: unknown): string[] {
  if (key === undefined || key === null || key === '') return [];
  const text = String(key);
  if (!text.includes('\\')) return text.split('.');
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const next = text[i + 1];
    if (char === '\\' && (next === '.' || next === '\\')) {
      current += next;
      i++;
    } else if (char === '.') {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

/** Walks `path` into `data`: the value there, or undefined when a step is missing. */
export function lookup(data: unknown, path: readonly string[]): unknown {
  let current = data;
  for (const step of path) {
    if (current === null || current === undefined) return undefined;
    // Own properties only on objects: a rule cannot reach Object.prototype through "__proto__" or "constructor".
    if (typeof current === 'object' && !Array.isArray(current) && !Object.hasOwn(current, step))
      return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return typeof current === 'function' ? undefined : current;
}

/** JavaScript's `+` of strings, which is how the engine concatenates: null is "null", arrays are joined. */
export function concatenate(parts: readonly unknown[]): string {
  let text = '';
  for (const part of parts) text += part as string;
  return text;
}
