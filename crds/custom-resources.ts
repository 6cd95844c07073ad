import {
  ENVIRONMENT_RULES,
  environmentSpecSchema,
  featureFlagSpecSchema,
  GROUP,
  MAX_ENTRIES,
  VERSION,
  type AdmissionRule,
} from '../core/src/index.ts';
import { structuralSchema } from './structural-schema.ts';

/**
 * The maps' bounds, which admission-rules.ts checks too, in the schema as well: they bound the policy's CEL for
 * the API server's cost estimate. What a targeting rule may cost is checked when the flag is reconciled
 * (docs/evaluation.md): CEL cannot walk JSONLogic.
 */
function withLimits(spec: Record<string, unknown>): Record<string, unknown> {
  const properties = spec.properties as Record<string, Record<string, unknown>>;
  for (const map of ['variants', 'environments', 'metadata', 'evaluators'])
    properties[map] = { ...properties[map], maxProperties: MAX_ENTRIES };
  return spec;
}

/** Rules over typed fields only, which the CRD's own CEL can see, with the field each names. */
function withRules(spec: Record<string, unknown>, rules: readonly AdmissionRule[]): Record<string, unknown> {
  return {
    ...spec,
    'x-kubernetes-validations': rules.map((rule) => ({
      rule: rule.expression,
      messageExpression: rule.message,
      fieldPath: rule.field.replace(/^spec/, ''),
      reason: 'FieldValueInvalid',
    })),
  };
}

const conditionsSchema = {
  type: 'array',
  description: 'Observations of the resource: Ready, Synced, Propagated.',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: {
    type: 'object',
    required: ['type', 'status'],
    properties: {
      type: { type: 'string' },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      reason: { type: 'string' },
      message: { type: 'string' },
      observedGeneration: { type: 'integer', format: 'int64' },
      lastTransitionTime: { type: 'string', format: 'date-time' },
    },
  },
};

function crd(options: {
  kind: string;
  plural: string;
  shortNames: string[];
  description: string;
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
  printerColumns: Record<string, unknown>[];
}) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${options.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: options.kind,
        listKind: `${options.kind}List`,
        plural: options.plural,
        singular: options.kind.toLowerCase(),
        shortNames: options.shortNames,
        categories: ['exclusive-change'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            ...options.printerColumns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: options.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: options.spec,
                status: {
                  type: 'object',
                  properties: {
                    observedGeneration: { type: 'integer', format: 'int64' },
                    conditions: conditionsSchema,
                    ...options.status,
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

const ready = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' };

/** The CustomResourceDefinitions, generated from the core's zod schemas and admission rules (one source; a test fails on drift). */
export function customResourceDefinitions() {
  return {
    featureflags: crd({
      kind: 'FeatureFlag',
      plural: 'featureflags',
      shortNames: ['ff', 'xcflag'],
      description:
        'A feature flag: its variants, default, rollout and targeting, with per-environment overrides.',
      spec: withLimits(structuralSchema(featureFlagSpecSchema)),
      status: {
        environments: {
          type: 'array',
          description: 'The revision holding this generation, per environment.',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, revision: { type: 'integer', format: 'int64' } },
          },
        },
      },
      printerColumns: [
        { name: 'Key', type: 'string', jsonPath: '.spec.key', priority: 1 },
        { name: 'State', type: 'string', jsonPath: '.spec.state' },
        { name: 'Rollout', type: 'integer', jsonPath: '.spec.rollout.percentage' },
        ready,
      ],
    }),
    environments: crd({
      kind: 'Environment',
      plural: 'environments',
      shortNames: ['xcenv'],
      description:
        'An environment of a tenant (the namespace): its API keys, and the configuration flags take in it.',
      spec: withRules(structuralSchema(environmentSpecSchema), ENVIRONMENT_RULES),
      status: {
        apiKeys: {
          type: 'array',
          description:
            'The keys the operator created: where each is stored, its displayable prefix and when it was issued.',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              secretName: { type: 'string' },
              prefix: { type: 'string' },
              createdAt: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
      printerColumns: [{ name: 'Default', type: 'boolean', jsonPath: '.spec.default' }, ready],
    }),
  };
}
