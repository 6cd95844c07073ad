import { GROUP } from '../core/src/index.ts';

// The cross-field rules of core/src/spec/feature-flag-spec.ts, enforced by the API server on every create and
// update. They live in a ValidatingAdmissionPolicy, not in the CRD's x-kubernetes-validations: a CRD's CEL
// cannot see fields without a declared type, and variant values may be booleans, strings, numbers or objects.
const spec = 'object.spec';
const namesVariant = (name: string) =>
  `(has(${spec}.variants) ? ${name} in ${spec}.variants : ${name} in ['on', 'off'])`;
const kind = (value: string) =>
  `(type(${value}) == bool ? 'boolean' : type(${value}) == string ? 'string' : (type(${value}) == int || type(${value}) == uint || type(${value}) == double) ? 'number' : 'other')`;
const present = (field: string) => `has(${field}) && ${field} != null`;

const validations = [
  {
    expression: `!(${present(`${spec}.defaultVariant`)}) || ${namesVariant(`${spec}.defaultVariant`)}`,
    messageExpression: `'spec.defaultVariant: "' + string(${spec}.defaultVariant) + '" is not one of spec.variants'`,
    reason: 'Invalid',
  },
  {
    expression: `!has(${spec}.rollout) || !has(${spec}.rollout.variant) || ${namesVariant(`${spec}.rollout.variant`)}`,
    messageExpression: `'spec.rollout.variant: "' + string(${spec}.rollout.variant) + '" is not one of spec.variants'`,
    reason: 'Invalid',
  },
  {
    expression: `!has(${spec}.rollout) || has(${spec}.rollout.variant) || !has(${spec}.variants) || 'on' in ${spec}.variants`,
    message: 'spec.rollout.variant: required when no variant is named "on"',
    reason: 'Invalid',
  },
  {
    expression: `!has(${spec}.variants) || ${spec}.variants.all(a, ${spec}.variants.all(b, ${kind(`${spec}.variants[a]`)} == ${kind(`${spec}.variants[b]`)}))`,
    message: 'spec.variants: all variants must have one type (boolean, string, number or object)',
    reason: 'Invalid',
  },
  {
    expression: `!has(${spec}.environments) || ${spec}.environments.all(e, !(${present(`${spec}.environments[e].defaultVariant`)}) || ${namesVariant(`${spec}.environments[e].defaultVariant`)})`,
    message: 'spec.environments[*].defaultVariant: must name one of spec.variants',
    reason: 'Invalid',
  },
  {
    expression: `!has(${spec}.environments) || ${spec}.environments.all(e, !has(${spec}.environments[e].rollout) || !has(${spec}.environments[e].rollout.variant) || ${namesVariant(`${spec}.environments[e].rollout.variant`)})`,
    message: 'spec.environments[*].rollout.variant: must name one of spec.variants',
    reason: 'Invalid',
  },
];

const NAME = `featureflags.${GROUP}`;

/** The policy and its binding (applied to every namespace); the Helm chart names them after its release. */
export function admissionPolicy(name = NAME) {
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [GROUP],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['featureflags'],
            },
          ],
        },
        validations,
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: { policyName: name, validationActions: ['Deny'] },
    },
  ];
}
