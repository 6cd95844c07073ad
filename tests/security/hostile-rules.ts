import { DEFAULT_RULE_LIMITS, type JsonValue } from '../../core/src/index.ts';

// A hostile tenant's FeatureFlag specs, one of each class the probe found, and the most expensive specs the
// default limits admit. Shared by the hostile-tenant suite and bench/rules.

const range = (length: number) => Array.from({ length }, (_, index) => index);
const boolean = { variants: { on: true, off: false }, defaultVariant: 'off' };

/** e0 → e1 → ... → e{levels}, each an `and` of two references to the next: 2^levels evaluations expanded. */
export function doublingChain(levels: number): Record<string, JsonValue> {
  const evaluators: Record<string, JsonValue> = { [`e${levels}`]: { '==': [{ var: 'plan' }, 'gold'] } };
  for (let i = 0; i < levels; i++)
    evaluators[`e${i}`] = { and: [{ $ref: `e${i + 1}` }, { $ref: `e${i + 1}` }] };
  return evaluators;
}

export interface HostileSpec {
  name: string;
  spec: Record<string, unknown>;
  /** The field the refusal names, and what its message says. */
  field: string;
  message: RegExp;
}

export const HOSTILE_SPECS: readonly HostileSpec[] = [
  {
    name: '31-level $ref doubling chain (1.8 kB)',
    spec: { ...boolean, evaluators: doublingChain(31), targeting: { if: [{ $ref: 'e0' }, 'on', 'off'] } },
    field: 'spec.evaluators.e0',
    message: /estimated cost of [\d,]{13,} operations per evaluation exceeds the limit of 10,000/,
  },
  {
    name: '$ref cycle',
    spec: {
      ...boolean,
      evaluators: { a: { '!': { $ref: 'b' } }, b: { or: [{ $ref: 'a' }, false] } },
      targeting: { if: [{ $ref: 'a' }, 'on', 'off'] },
    },
    field: 'spec.evaluators.a',
    message: /\$ref cycle: a → b → a/,
  },
  {
    name: '`in` over a 100,000-element literal array',
    spec: {
      ...boolean,
      targeting: { if: [{ in: [{ var: 'user' }, range(100_000).map(String)] }, 'on', 'off'] },
    },
    field: 'spec',
    message: new RegExp(
      `more than the limit of ${DEFAULT_RULE_LIMITS.maxValues.toLocaleString('en-US')} JSON values`,
    ),
  },
  {
    name: '`fractional` with 100,000 buckets',
    spec: {
      variants: Object.fromEntries(range(4).map((index) => [`v${index}`, index])),
      defaultVariant: 'v0',
      targeting: { fractional: range(100_000).map((index) => [`v${index % 4}`, 1]) },
    },
    field: 'spec',
    message: new RegExp(
      `more than the limit of ${DEFAULT_RULE_LIMITS.maxValues.toLocaleString('en-US')} JSON values`,
    ),
  },
  {
    name: '`filter`/`some` nested over two 900-element arrays',
    spec: {
      ...boolean,
      targeting: {
        if: [
          { some: [{ filter: [range(900), { some: [range(900), { '==': [{ var: '' }, -1] }] }] }, true] },
          'on',
          'off',
        ],
      },
    },
    field: 'spec.targeting',
    message: /estimated cost of [\d,]+ operations per evaluation exceeds the limit of 10,000/,
  },
  {
    name: 'nested iteration over the context',
    spec: {
      ...boolean,
      targeting: {
        if: [
          { some: [{ var: 'groups' }, { some: [{ var: 'groups' }, { '==': [{ var: '' }, 'admin'] }] }] },
          'on',
          'off',
        ],
      },
    },
    field: 'spec.targeting',
    message: /estimated cost of [\d,]+ operations per evaluation exceeds the limit of 10,000/,
  },
  {
    name: 'a rule nested 200 deep',
    spec: { ...boolean, targeting: range(200).reduce<JsonValue>((rule) => ({ '!': [rule] }), { var: 'x' }) },
    field: 'spec.targeting',
    message: /nests deeper than the limit of 128 levels/,
  },
];

/**
 * The costliest rule of its shape the default limits admit: a `none` over a context array (at most 1,000
 * values) whose every element is compared `comparisons` times: 2 comparisons are estimated at 8,004 of the
 * 10,000 operations allowed, 3 at more than the limit.
 */
export function costliestAdmitted(comparisons = 2): Record<string, unknown> {
  const body = { and: range(comparisons).map((index) => ({ '!=': [{ var: '' }, `not-${index}`] })) };
  return { ...boolean, targeting: { if: [{ none: [{ var: 'groups' }, { '!': [body] }] }, 'on', 'off'] } };
}

/** A context that makes `costliestAdmitted` visit every element: 997 groups (the context limit is 1,000 values). */
export const costliestContext = () => ({
  targetingKey: 'hammer',
  groups: range(997).map((index) => `group-${index}`),
});

/** The largest rule the default limits admit: an allow-list of user ids, 10 JSON values short of the limit. */
export function largestAdmitted(seed: string): Record<string, unknown> {
  const ids = range(DEFAULT_RULE_LIMITS.maxValues - 10).map((index) => `${seed}-user-${index}`);
  return { ...boolean, targeting: { if: [{ in: [{ var: 'user' }, ids] }, 'on', 'off'] } };
}
