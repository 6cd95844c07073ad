import {
  CHANGED_BY,
  CHANGED_BY_EMAIL,
  CHANGED_BY_SOURCE,
  CHANGED_SPEC,
  DELETED_BY,
  DELETED_BY_EMAIL,
  GROUP,
} from '../core/src/index.ts';

// Who changed a FeatureFlag or an Environment, stamped where only the API server knows it: a
// MutatingAdmissionPolicy writes the authenticated user into the resource's annotations on every change of
// its spec, overwriting whatever the request carried. The operator's own service account is exempt: its
// writes are the management API's, which carry the person from the token (core/src/reconcile/actor.ts). A
// ValidatingAdmissionPolicy beside it refuses anyone else's change to those annotations, except the stamp
// itself: without it, an annotation-only update (which the mutation does not see) could name anyone.

/** The operator's identity as the API server authenticates it with the chart's defaults. */
export const DEFAULT_OPERATOR_USER = 'system:serviceaccount:exclusive-change:exclusive-change-operator';

const annotation = (object: string, key: string) =>
  `(${object} != null && has(${object}.metadata.annotations) && '${key}' in ${object}.metadata.annotations ? ${object}.metadata.annotations['${key}'] : '')`;
const unchanged = (key: string) => `${annotation('object', key)} == ${annotation('oldObject', key)}`;

const RESOURCES = {
  resourceRules: [
    {
      apiGroups: [GROUP],
      apiVersions: ['*'],
      operations: ['CREATE', 'UPDATE'],
      resources: ['featureflags', 'environments'],
    },
  ],
};

/** The policies and their bindings; the chart names them after its release and its operator's service account. */
export function actorPolicy(name = `actors.${GROUP}`, operatorUser = DEFAULT_OPERATOR_USER) {
  const notTheOperator = {
    name: 'not-the-operator',
    expression: `request.userInfo.username != '${operatorUser}'`,
  };
  const stamped = `${annotation('object', CHANGED_BY)} == request.userInfo.username && ${annotation('object', CHANGED_BY_SOURCE)} == 'admission'`;
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
        matchConstraints: RESOURCES,
        matchConditions: [
          notTheOperator,
          {
            name: 'spec-changes',
            expression:
              'oldObject == null || !has(oldObject.spec) || !has(object.spec) || object.spec != oldObject.spec',
          },
        ],
        mutations: [
          {
            patchType: 'ApplyConfiguration',
            applyConfiguration: {
              expression: [
                'Object{metadata: Object.metadata{annotations: {',
                `  "${CHANGED_BY}": request.userInfo.username,`,
                `  "${CHANGED_BY_SOURCE}": "admission"`,
                '}}}',
              ].join('\n'),
            },
          },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingAdmissionPolicyBinding',
      metadata: { name },
      spec: { policyName: name },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: RESOURCES,
        matchConditions: [notTheOperator],
        validations: [
          {
            expression: [CHANGED_BY_EMAIL, CHANGED_SPEC, DELETED_BY, DELETED_BY_EMAIL]
              .map(unchanged)
              .join(' && '),
            message: `the annotations ${CHANGED_BY_EMAIL}, ${CHANGED_SPEC} and ${DELETED_BY}(-email) are the management API's to write`,
            reason: 'Forbidden',
          },
          {
            expression: `(${unchanged(CHANGED_BY)} && ${unchanged(CHANGED_BY_SOURCE)}) || (${stamped})`,
            message: `${CHANGED_BY} and ${CHANGED_BY_SOURCE} are stamped by the API server: they name who changed the spec`,
            reason: 'Forbidden',
          },
        ],
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
