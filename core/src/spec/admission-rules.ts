/**
 * The cross-field rules of both kinds, written once in CEL. The API server runs them (the FeatureFlag's in a
 * ValidatingAdmissionPolicy, which sees JSON of any type; the Environment's in its CRD), and so does
 * everything that validates a manifest outside it (zod's refinements, local mode, the management API), with
 * a CEL engine of its own: one rule, one verdict, one message, wherever a manifest is checked.
 *
 * In an expression, `self` is the spec and `resourceName` the resource's name; a rule `forEach` environment
 * override also has `overrideName` and `override`; a `transition` rule also has `oldSelf` and `oldName` (and is
 * not checked on create). A message is CEL too (a quoted string for a fixed one) and never names the field:
 * `field` does, and `<override>` in it is the override's name.
 */
export interface AdmissionRule {
  field: string;
  expression: string;
  message: string;
  forEach?: 'environments';
  transition?: boolean;
}

/** Most entries any map of a spec may hold: bounds the rules' cost for the API server's CEL estimate. */
export const MAX_ENTRIES = 64;

const present = (field: string) => `(has(${field}) && ${field} != null)`;
const namesVariant = (name: string) =>
  `(has(self.variants) ? ${name} in self.variants : ${name} in ['on', 'off'])`;
const kindOf = (value: string) =>
  `(type(${value}) == bool ? 'boolean' : type(${value}) == string ? 'string' : (type(${value}) == int || type(${value}) == uint || type(${value}) == double) ? 'number' : type(${value}) == map ? 'object' : 'other')`;
const notAVariant = (name: string) => `'"' + string(${name}) + '" is not one of spec.variants'`;
const atMost = (field: string, what: string): AdmissionRule => ({
  field: `spec.${field}`,
  expression: `!has(self.${field}) || size(self.${field}) <= ${MAX_ENTRIES}`,
  message: `'must hold at most ${MAX_ENTRIES} ${what}'`,
});

export const FEATURE_FLAG_RULES: readonly AdmissionRule[] = [
  atMost('variants', 'variants'),
  atMost('environments', 'environment overrides'),
  atMost('metadata', 'entries'),
  atMost('evaluators', 'evaluators'),
  {
    field: 'spec.variants',
    expression: '!has(self.variants) || size(self.variants) > 0',
    message: "'must name at least one variant'",
  },
  {
    field: 'spec.variants',
    expression: `!has(self.variants) || self.variants.all(v, ${kindOf('self.variants[v]')} != 'other')`,
    message: "'each variant is a boolean, a string, a number or an object'",
  },
  {
    field: 'spec.variants',
    expression: `!has(self.variants) || self.variants.all(a, self.variants.all(b, ${kindOf('self.variants[a]')} == ${kindOf('self.variants[b]')}))`,
    message: "'all variants must have one type (boolean, string, number or object)'",
  },
  {
    field: 'spec.defaultVariant',
    expression: `!${present('self.defaultVariant')} || ${namesVariant('self.defaultVariant')}`,
    message: notAVariant('self.defaultVariant'),
  },
  {
    field: 'spec.rollout.variant',
    expression: `!has(self.rollout) || !${present('self.rollout.variant')} || ${namesVariant('self.rollout.variant')}`,
    message: notAVariant('self.rollout.variant'),
  },
  {
    field: 'spec.rollout.variant',
    expression:
      "!has(self.rollout) || has(self.rollout.variant) || !has(self.variants) || 'on' in self.variants",
    message: '\'is required when no variant is named "on"\'',
  },
  {
    field: 'spec.environments.<override>.defaultVariant',
    forEach: 'environments',
    expression: `!${present('override.defaultVariant')} || ${namesVariant('override.defaultVariant')}`,
    message: notAVariant('override.defaultVariant'),
  },
  {
    field: 'spec.environments.<override>.rollout.variant',
    forEach: 'environments',
    expression: `!has(override.rollout) || !${present('override.rollout.variant')} || ${namesVariant('override.rollout.variant')}`,
    message: notAVariant('override.rollout.variant'),
  },
  {
    field: 'spec.environments.<override>.rollout.percentage',
    forEach: 'environments',
    expression: '!has(override.rollout) || has(self.rollout) || has(override.rollout.percentage)',
    message: "'is required: the flag has no base rollout'",
  },
  {
    field: 'spec.environments.<override>.rollout.variant',
    forEach: 'environments',
    expression:
      "!has(override.rollout) || has(self.rollout) || has(override.rollout.variant) || !has(self.variants) || 'on' in self.variants",
    message: '\'is required when no variant is named "on"\'',
  },
  {
    // The key clients evaluate is spec.key, else the name: whichever it is, it cannot change.
    field: 'spec.key',
    transition: true,
    expression: '(has(self.key) ? self.key : resourceName) == (has(oldSelf.key) ? oldSelf.key : oldName)',
    message:
      "'is immutable: the flag is evaluated as \"' + (has(oldSelf.key) ? oldSelf.key : oldName) + '\"'",
  },
];

export const ENVIRONMENT_RULES: readonly AdmissionRule[] = [
  {
    field: 'spec.apiKeys',
    expression:
      '!has(self.apiKeys) || self.apiKeys.all(k, self.apiKeys.exists_one(other, other.name == k.name))',
    // A fixed message: naming the duplicate costs more than the API server allows a CRD's message.
    message: "'lists a key name more than once'",
  },
];
