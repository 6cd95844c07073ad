/**
 * One table of manifests with the verdict each must get, run against the real API server (kubectl) and against
 * local mode: both must agree with it, row by row. `refused` is what the refusal must name (the field, or for a
 * few rows the word both sides' messages share); absent, the manifest is admitted. A row with `before` is an
 * update: `before` is created first, then the manifest applied over it.
 */
export interface VerdictCase {
  name: string;
  /** The document as YAML, `NAME` standing for the row's own resource name and `NAMESPACE` for its namespace. */
  manifest: string;
  before?: string;
  refused?: string;
}

const flag = (spec: string, metadata = '{ name: NAME, namespace: NAMESPACE }') =>
  `apiVersion: flags.exclusive-change.io/v1alpha1\nkind: FeatureFlag\nmetadata: ${metadata}\nspec: ${spec}\n`;
const environment = (spec: string, metadata = '{ name: NAME, namespace: NAMESPACE }') =>
  `apiVersion: flags.exclusive-change.io/v1alpha1\nkind: Environment\nmetadata: ${metadata}\nspec: ${spec}\n`;
const variants64 = `{ ${Array.from({ length: 64 }, (_, i) => `v${i}: ${i}`).join(', ')} }`;
const variants65 = `{ ${Array.from({ length: 65 }, (_, i) => `v${i}: ${i}`).join(', ')} }`;
const keys = (count: number) => `[${Array.from({ length: count }, (_, i) => `{ name: k${i} }`).join(', ')}]`;

export const VERDICTS: readonly VerdictCase[] = [
  // FeatureFlag: admitted
  { name: 'an empty spec (a boolean flag, off)', manifest: flag('{}') },
  { name: 'a flag available to client keys', manifest: flag('{ clientSide: true }') },
  {
    name: 'clientSide that is not a boolean',
    manifest: flag('{ clientSide: "yes" }'),
    refused: 'spec.clientSide',
  },
  {
    name: 'the shape the examples use',
    manifest: flag(
      "{ key: dark_mode, variants: { 'on': true, 'off': false }, defaultVariant: 'off', rollout: { percentage: 25, variant: 'on', bucketBy: user_id }, environments: { production: { rollout: { percentage: 5 } } } }",
    ),
  },
  { name: 'a null default variant', manifest: flag('{ variants: { a: 1, b: 2 }, defaultVariant: null }') },
  { name: 'integer and decimal variants together', manifest: flag('{ variants: { small: 1, large: 2.5 } }') },
  {
    name: 'object variants',
    manifest: flag('{ variants: { a: { x: 1 }, b: { y: [1, 2] } }, defaultVariant: a }'),
  },
  { name: 'a rollout of the implied "on"', manifest: flag('{ rollout: { percentage: 100 } }') },
  {
    name: 'an override with a partial rollout over a base one',
    manifest: flag(
      '{ rollout: { percentage: 10 }, environments: { staging: { rollout: { percentage: 90 } } } }',
    ),
  },
  {
    name: 'an override with a whole rollout and no base one',
    manifest: flag("{ environments: { staging: { rollout: { percentage: 50, variant: 'on' } } } }"),
  },
  {
    name: 'a name with a dot (custom resources take DNS subdomains)',
    manifest: flag('{}', '{ name: web.dark-mode, namespace: NAMESPACE }'),
  },
  {
    name: 'a name of 253 characters',
    manifest: flag('{}', `{ name: ${'a'.repeat(253)}, namespace: NAMESPACE }`),
  },
  {
    name: 'a name like pricing.v2-219427',
    manifest: flag('{}', '{ name: pricing.v2-219427, namespace: NAMESPACE }'),
  },
  { name: '64 variants', manifest: flag(`{ variants: ${variants64}, defaultVariant: v0 }`) },
  {
    name: 'targeting and evaluators of any JSONLogic',
    manifest: flag(
      "{ evaluators: { gold: { '==': [{ var: plan }, gold] } }, targeting: { if: [{ $ref: gold }, 'on', 'off'] } }",
    ),
  },
  {
    name: 'metadata of strings, numbers and booleans',
    manifest: flag('{ metadata: { team: web, version: 3, beta: true } }'),
  },
  { name: 'state DISABLED', manifest: flag('{ state: DISABLED }') },
  {
    name: 'adding spec.key equal to the name it had',
    before: flag('{}', '{ name: same-key, namespace: NAMESPACE }'),
    manifest: flag('{ key: same-key }', '{ name: same-key, namespace: NAMESPACE }'),
  },
  {
    name: 'an unchanged spec.key with other changes',
    before: flag('{ key: kept }'),
    manifest: flag('{ key: kept, state: DISABLED }'),
  },
  // FeatureFlag: refused by the schema
  {
    name: 'a percentage of 101',
    manifest: flag('{ rollout: { percentage: 101 } }'),
    refused: 'spec.rollout.percentage',
  },
  {
    name: 'a negative percentage',
    manifest: flag('{ rollout: { percentage: -1 } }'),
    refused: 'spec.rollout.percentage',
  },
  {
    name: 'a fractional percentage',
    manifest: flag('{ rollout: { percentage: 2.5 } }'),
    refused: 'spec.rollout.percentage',
  },
  {
    name: 'a rollout without a percentage',
    manifest: flag("{ rollout: { variant: 'on' } }"),
    refused: 'spec.rollout.percentage',
  },
  { name: 'a state that is not one', manifest: flag('{ state: PAUSED }'), refused: 'spec.state' },
  { name: 'a state of the wrong type', manifest: flag('{ state: 7 }'), refused: 'spec.state' },
  { name: 'an unknown field', manifest: flag('{ colour: red }'), refused: 'spec.colour' },
  {
    name: 'an unknown rollout field',
    manifest: flag('{ rollout: { percentage: 5, speed: 2 } }'),
    refused: 'spec.rollout.speed',
  },
  { name: 'a key with spaces', manifest: flag("{ key: 'dark mode' }"), refused: 'spec.key' },
  {
    name: 'a description over 1,024 characters',
    manifest: flag(`{ description: ${'d'.repeat(1025)} }`),
    refused: 'spec.description',
  },
  { name: 'a list as a variant', manifest: flag('{ variants: { a: [1, 2] } }'), refused: 'spec.variants' },
  {
    name: 'no spec at all',
    manifest:
      'apiVersion: flags.exclusive-change.io/v1alpha1\nkind: FeatureFlag\nmetadata: { name: NAME, namespace: NAMESPACE }\n',
    refused: 'spec',
  },
  // FeatureFlag: refused by the cross-field rules
  {
    name: 'no variants at all (`variants: {}`)',
    manifest: flag('{ variants: {} }'),
    refused: 'spec.variants',
  },
  {
    name: 'variants of two types',
    manifest: flag('{ variants: { a: 1, b: two } }'),
    refused: 'spec.variants',
  },
  {
    name: 'a `y` that YAML 1.1 makes a boolean, beside a string',
    manifest: flag("{ variants: { a: y, b: 'x' } }"),
    refused: 'spec.variants',
  },
  {
    name: 'an unknown default variant',
    manifest: flag('{ variants: { a: 1, b: 2 }, defaultVariant: c }'),
    refused: 'spec.defaultVariant',
  },
  {
    name: 'an unknown implied default variant',
    manifest: flag('{ defaultVariant: maybe }'),
    refused: 'spec.defaultVariant',
  },
  {
    name: 'an unknown rollout variant',
    manifest: flag(
      "{ variants: { a: 'x', b: 'w' }, defaultVariant: a, rollout: { percentage: 5, variant: z } }",
    ),
    refused: 'spec.rollout.variant',
  },
  {
    name: 'a rollout with no "on" and no variant named',
    manifest: flag("{ variants: { a: 'x', b: 'w' }, rollout: { percentage: 5 } }"),
    refused: 'spec.rollout.variant',
  },
  {
    name: 'an unknown override default variant',
    manifest: flag('{ variants: { a: 1 }, environments: { production: { defaultVariant: b } } }'),
    refused: 'spec.environments.production.defaultVariant',
  },
  {
    name: 'an unknown override rollout variant',
    manifest: flag(
      '{ rollout: { percentage: 1 }, environments: { production: { rollout: { variant: nope } } } }',
    ),
    refused: 'spec.environments.production.rollout.variant',
  },
  {
    name: 'an override rollout with no base rollout and no percentage',
    manifest: flag("{ environments: { staging: { rollout: { variant: 'on' } } } }"),
    refused: 'spec.environments.staging.rollout.percentage',
  },
  {
    name: 'an override rollout with no base and no variant, and no "on"',
    manifest: flag("{ variants: { a: 'x' }, environments: { staging: { rollout: { percentage: 5 } } } }"),
    refused: 'spec.environments.staging.rollout.variant',
  },
  {
    name: '65 variants',
    manifest: flag(`{ variants: ${variants65}, defaultVariant: v0 }`),
    refused: 'spec.variants',
  },
  {
    name: 'spec.key changed',
    before: flag('{ key: first }'),
    manifest: flag('{ key: second }'),
    refused: 'spec.key',
  },
  {
    name: 'spec.key removed (the key would become the name)',
    before: flag('{ key: explicit }'),
    manifest: flag('{}'),
    refused: 'spec.key',
  },
  {
    name: 'spec.key added, unlike the name',
    before: flag('{}'),
    manifest: flag('{ key: different }'),
    refused: 'spec.key',
  },
  // Metadata and kinds
  {
    name: 'an upper-case name',
    manifest: flag('{}', '{ name: Dark_Mode, namespace: NAMESPACE }'),
    refused: 'metadata.name',
  },
  {
    name: 'a name of 254 characters',
    manifest: flag('{}', `{ name: ${'a'.repeat(254)}, namespace: NAMESPACE }`),
    refused: 'metadata.name',
  },
  {
    name: 'a name ending in a dot',
    manifest: flag('{}', "{ name: 'web.', namespace: NAMESPACE }"),
    refused: 'metadata.name',
  },
  {
    name: 'a namespace that is no DNS label',
    manifest: flag('{}', '{ name: NAME, namespace: Bad_NS }'),
    refused: 'Bad_NS',
  },
  {
    name: 'our kind in a version we do not serve',
    manifest: flag('{}').replace('v1alpha1', 'v1'),
    refused: 'no matches for kind',
  },
  {
    name: 'our kind in a mistyped group',
    manifest: flag('{}').replace('flags.exclusive-change.io', 'exclusive-change.io'),
    refused: 'no matches for kind',
  },
  {
    name: 'a kind our group does not have',
    manifest: flag('{}').replace('kind: FeatureFlag', 'kind: FeatureFlags'),
    refused: 'no matches for kind',
  },
  // Environment
  {
    name: 'an Environment with keys',
    manifest: environment(
      '{ displayName: Production, default: true, apiKeys: [{ name: checkout }, { name: batch }] }',
    ),
  },
  { name: 'an Environment with no keys', manifest: environment('{}') },
  { name: 'an Environment with 64 keys', manifest: environment(`{ apiKeys: ${keys(64)} }`) },
  {
    name: 'an Environment named like a subdomain',
    manifest: environment('{}', '{ name: eu.production, namespace: NAMESPACE }'),
  },
  {
    name: 'a key name that is no DNS label',
    manifest: environment('{ apiKeys: [{ name: Not_A_Label }] }'),
    refused: 'spec.apiKeys[0].name',
  },
  {
    name: 'a key name of 64 characters',
    manifest: environment(`{ apiKeys: [{ name: ${'k'.repeat(64)} }] }`),
    refused: 'spec.apiKeys[0].name',
  },
  {
    name: 'a key listed twice',
    manifest: environment('{ apiKeys: [{ name: a }, { name: a }] }'),
    refused: 'spec.apiKeys',
  },
  { name: '65 keys', manifest: environment(`{ apiKeys: ${keys(65)} }`), refused: 'spec.apiKeys' },
  {
    name: 'a client key and a server key with CORS origins',
    manifest: environment(
      '{ apiKeys: [{ name: web, kind: client }, { name: api, kind: server }], cors: { allowedOrigins: ["https://shop.example.com", "http://localhost:3000", "http://[::1]:8080", "*"] } }',
    ),
  },
  {
    name: 'a key of an unknown kind',
    manifest: environment('{ apiKeys: [{ name: web, kind: browser }] }'),
    refused: 'spec.apiKeys[0].kind',
  },
  {
    name: 'an origin with a path',
    manifest: environment('{ cors: { allowedOrigins: ["https://shop.example.com/"] } }'),
    refused: 'spec.cors.allowedOrigins[0]',
  },
  {
    name: 'an origin without a scheme',
    manifest: environment('{ cors: { allowedOrigins: ["shop.example.com"] } }'),
    refused: 'spec.cors.allowedOrigins[0]',
  },
  {
    name: 'a display name over 256 characters',
    manifest: environment(`{ displayName: ${'n'.repeat(257)} }`),
    refused: 'spec.displayName',
  },
  { name: 'default of the wrong type', manifest: environment('{ default: maybe }'), refused: 'spec.default' },
  { name: 'an unknown Environment field', manifest: environment('{ region: eu }'), refused: 'spec.region' },
];
