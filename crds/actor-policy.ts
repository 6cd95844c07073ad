import { CHANGED_BY, CHANGED_BY_SOURCE, GROUP } from '../core/src/index.ts';

// Who changed a FeatureFlag or an Environment, stamped where only the API server knows it: a
// MutatingAdmissionPolicy writes the authenticated user into the resource's annotations on every change of
// its spec, overwriting whatever the request carried. The operator's own service account is exempt: its
// writes are the management API's, which carry the person from the token (core/src/reconcile/actor.ts).

/** The operator's identity as the API server authenticates it with the chart's defaults. */
export const DEFAULT_OPERATOR_USER = 'system:serviceaccount:exclusive-change:exclusive-change-operator';

/** The policy and its binding; the chart names them after its release and its operator's service account. */
export function actorPolicy(name = `actors.${GROUP}`, operatorUser = DEFAULT_OPERATOR_USER) {
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [GROUP],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['featureflags', 'environments'],
            },
          ],
        },
        matchConditions: [
          { name: 'not-the-operator', expression: `request.userInfo.username != '${operatorUser}'` },
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
  ];
}
