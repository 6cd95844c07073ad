import { admissionPolicy } from './admission-policy.ts';
import { customResourceDefinitions } from './custom-resources.ts';

// docs/crd-reference.md, generated from the same CRDs the API server enforces: the field tables cannot drift
// from the schema (a test compares the file with this output).

interface Schema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ').replace(/</g, '&lt;');

function typeOf(schema: Schema): string {
  if (schema.type === 'array') return `array of ${schema.items ? typeOf(schema.items) : 'any'}`;
  if (
    schema.type === 'object' &&
    schema.additionalProperties &&
    typeof schema.additionalProperties === 'object'
  )
    return `map of ${typeOf(schema.additionalProperties)}`;
  if (schema['x-kubernetes-preserve-unknown-fields']) return 'any JSON';
  return schema.type ?? 'any JSON';
}

function constraints(schema: Schema): string {
  const parts: string[] = [];
  if (schema.enum) parts.push(`one of ${schema.enum.map((value) => `\`${String(value)}\``).join(', ')}`);
  if (schema.minimum !== undefined || schema.maximum !== undefined)
    parts.push(`${schema.minimum ?? '…'}..${schema.maximum ?? '…'}`);
  if (schema.minLength === 1) parts.push('not empty');
  else if (schema.minLength !== undefined) parts.push(`at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (schema.maxItems !== undefined) parts.push(`at most ${schema.maxItems} items`);
  if (schema.maxProperties !== undefined) parts.push(`at most ${schema.maxProperties} entries`);
  if (schema.pattern) parts.push(`matches \`${schema.pattern}\``);
  for (const validation of schema['x-kubernetes-validations'] ?? [])
    if (validation.message) parts.push(validation.message);
  return parts.join('; ');
}

function rows(schema: Schema, path: string, required: boolean, out: string[]): void {
  const fallback =
    schema.default === undefined ? (required ? 'required' : '') : `\`${JSON.stringify(schema.default)}\``;
  out.push(
    `| \`${path}\` | ${cell(typeOf(schema))} | ${cell(fallback)} | ${cell(constraints(schema))} | ${cell(schema.description ?? '')} |`,
  );
  for (const [name, child] of Object.entries(schema.properties ?? {}))
    rows(child, `${path}.${name}`, (schema.required ?? []).includes(name), out);
  const entries = schema.additionalProperties;
  if (entries && typeof entries === 'object' && entries.properties)
    for (const [name, child] of Object.entries(entries.properties))
      rows(child, `${path}.<name>.${name}`, (entries.required ?? []).includes(name), out);
  if (schema.items?.properties)
    for (const [name, child] of Object.entries(schema.items.properties))
      rows(child, `${path}[].${name}`, (schema.items.required ?? []).includes(name), out);
}

/** A rule's message; a message expression is shown with its interpolations as `…`. */
function ruleMessage(validation: { message?: string; messageExpression?: string }): string {
  if (validation.message) return validation.message;
  return (validation.messageExpression ?? '').replace(/' \+ string\(.*?\) \+ '/g, '…').replace(/^'|'$/g, '');
}

const STATUS = [
  '## Status',
  '',
  'The operator writes `status.observedGeneration` and these conditions, only when they change:',
  '',
  '| condition | `True` when | reasons when not |',
  '| --- | --- | --- |',
  '| `Synced` | the observed generation is committed to Postgres, with its audit row | `InvalidSpec`, `KeyConflict` (two flags with one key), `DatabaseUnavailable` (retried with backoff), `SecretConflict` (a Secret of that name is not ours) |',
  '| `Ready` | synced, and the change announced to the evaluators | as `Synced` |',
  '| `Propagated` (FeatureFlag, with Redis) | every live evaluator (one that reported in the last 30 s) serves the environment revisions holding this generation | `Propagating` (an evaluator still serves an older revision, or none has reported yet) |',
  '',
  'FeatureFlags also show `status.environments` (`[{name, revision}]`: the environment revision holding this',
  'generation); Environments show `status.apiKeys` (`[{name, secretName, prefix}]`). Events record each sync and',
  'failure. `kubectl wait --for=condition=Ready featureflag/<name>` returns once a change is in Postgres;',
  '`kubectl wait --for=condition=Propagated featureflag/<name>` once every evaluator serves it.',
  '',
];

export function crdReference(): string {
  const out = [
    '<!-- Generated by `npm run crds` from the CRDs in crds/: edit the zod schemas and admission-rules.ts in core/src/spec, not this file. -->',
    '# CRD reference',
    '',
    'Both kinds are namespaced, in group `flags.exclusive-change.io`, version `v1alpha1`; a namespace is a tenant.',
    'The API server enforces every constraint below: a manifest that breaks one is refused by `kubectl apply`',
    'with the field named. Local mode (`npm start`) applies the same rules to the files it reads.',
    '',
  ];
  for (const crd of Object.values(customResourceDefinitions())) {
    const version = crd.spec.versions[0]!;
    const root = version.schema.openAPIV3Schema as Schema;
    out.push(
      `## ${crd.spec.names.kind}`,
      '',
      root.description ?? '',
      '',
      `\`kubectl get ${crd.spec.names.plural}\` (short names: ${crd.spec.names.shortNames.map((name) => `\`${name}\``).join(', ')}) shows ${version.additionalPrinterColumns.map((column) => column.name).join(', ')}.`,
      '',
      '| field | type | default | constraints | meaning |',
      '| --- | --- | --- | --- | --- |',
    );
    const spec = root.properties!.spec!;
    for (const [name, child] of Object.entries(spec.properties ?? {}))
      rows(child, `spec.${name}`, (spec.required ?? []).includes(name), out);
    out.push('');
  }
  out.push(
    '## Rules across fields (FeatureFlag)',
    '',
    'A ValidatingAdmissionPolicy shipped with the CRDs (and in the Helm chart) refuses:',
    '',
    ...(
      admissionPolicy()[0]!.spec as { validations: { message?: string; messageExpression?: string }[] }
    ).validations.map((validation) => `- ${ruleMessage(validation)}`),
    '',
    ...STATUS,
  );
  return out.join('\n');
}
