/**
 * Kubernetes label selectors (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas)
 * as the API server reads them: which tenants (namespaces, by their labels) an evaluator group serves.
 */

export type Labels = Readonly<Record<string, string>>;

export type LabelRequirement =
  | { key: string; operator: 'in' | 'notin'; values: readonly string[] }
  | { key: string; operator: 'exists' | 'doesnotexist' };

export interface LabelSelector {
  /** Every requirement must hold; none: every set of labels matches. */
  readonly requirements: readonly LabelRequirement[];
}

export class LabelSelectorError extends Error {
  readonly code = 'XC_ERR_LABEL_SELECTOR';
}

// Kubernetes' qualified name: an optional DNS-subdomain prefix and a name of at most 63 characters.
const NAME = '[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const KEY = `(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?/)?${NAME}`;
const VALUE = `(?:${NAME})?`;
const EXISTENCE = new RegExp(`^(!?)\\s*(${KEY})$`);
const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const VALUE_ONLY = new RegExp(`^${VALUE}$`);

/** The requirements of `text`, split on the commas outside parentheses. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

function parseRequirement(text: string): LabelRequirement {
  const existence = EXISTENCE.exec(text);
  if (existence) return { key: existence[2]!, operator: existence[1] ? 'doesnotexist' : 'exists' };
  const equality = EQUALITY.exec(text);
  if (equality)
    return { key: equality[1]!, operator: equality[2] === '!=' ? 'notin' : 'in', values: [equality[3]!] };
  const set = SET.exec(text);
  if (set) {
    const values = set[3]!.split(',').map((value) => value.trim());
    const bad = values.find((value) => !VALUE_ONLY.test(value));
    if (bad !== undefined) throw new LabelSelectorError(`"${bad}" is not a label value (in "${text}")`);
    if (set[2] === 'in' && values.every((value) => value === ''))
      throw new LabelSelectorError(`"${text}": in needs at least one value`);
    return { key: set[1]!, operator: set[2] as 'in' | 'notin', values: [...new Set(values)].sort() };
  }
  throw new LabelSelectorError(
    text === '' ? 'an empty requirement (two commas in a row?)' : `"${text}" is not a label requirement`,
  );
}

/** Parses a selector; an empty one selects everything. Throws LabelSelectorError naming the bad requirement. */
export function parseLabelSelector(text: string): LabelSelector {
  if (text.trim() === '') return { requirements: [] };
  return { requirements: splitRequirements(text).map(parseRequirement) };
}

function holds(requirement: LabelRequirement, labels: Labels): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  switch (requirement.operator) {
    case 'exists':
      return present;
    case 'doesnotexist':
      return !present;
    case 'in':
      return present && requirement.values.includes(labels[requirement.key]!);
    case 'notin':
      return !present || !requirement.values.includes(labels[requirement.key]!);
  }
}

export function matchesLabels(selector: LabelSelector, labels: Labels): boolean {
  return selector.requirements.every((requirement) => holds(requirement, labels));
}

function formatRequirement(requirement: LabelRequirement): string {
  switch (requirement.operator) {
    case 'exists':
      return requirement.key;
    case 'doesnotexist':
      return `!${requirement.key}`;
    default:
      return `${requirement.key} ${requirement.operator} (${requirement.values.join(',')})`;
  }
}

/**
 * One text for every way of writing the same selector (order, spacing, `=` for `in` of one value): what names a
 * group's own state in Redis.
 */
export function canonicalSelector(selector: LabelSelector): string {
  return [...new Set(selector.requirements.map(formatRequirement))].sort().join(',');
}
