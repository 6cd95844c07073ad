import { environmentSpecSchema, featureFlagSpecSchema, GROUP, VERSION } from '../core/src/index.ts';
import { structuralSchema } from './structural-schema.ts';

function withLimits(spec: Record<string, unknown>): Record<string, unknown> {
  const properties = spec.properties as Record<string, Record<string, unknown>>;
  // Bounds keep admission's CEL (admission-policy.ts) cheap to evaluate.
  properties.variants = { ...properties.variants, maxProperties: 64 };
  properties.environments = { ...properties.environments, maxProperties: 64 };
  properties.metadata = { ...properties.metadata, maxProperties: 64 };
  // What a rule may cost is checked when the flag is reconciled (docs/evaluation.md): CEL cannot walk JSONLogic.
  properties.evaluators = { ...properties.evaluators, maxProperties: 64 };
  properties.key = {
    ...properties.key,
    'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'spec.key is immutable' }],
  };
  return spec;
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

/** The CustomResourceDefinitions, generated from the core's zod schemas (one source; a test fails on drift). */
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
      spec: structuralSchema(environmentSpecSchema),
      status: {
        apiKeys: {
          type: 'array',
          description: 'The keys the operator created: where each is stored and its displayable prefix.',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              secretName: { type: 'string' },
              prefix: { type: 'string' },
            },
          },
        },
      },
      printerColumns: [{ name: 'Default', type: 'boolean', jsonPath: '.spec.default' }, ready],
    }),
  };
}
