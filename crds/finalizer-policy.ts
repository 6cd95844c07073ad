import { ENVIRONMENTS, FEATURE_FLAGS, FINALIZER, GROUP } from '../core/src/index.ts';

// Our finalizer on every FeatureFlag and Environment from the moment it is created, put there by the API server:
// the operator then need not add it with a write of its own before its first commit, which at an initial sync of
// 100,000 flags was 100,000 extra writes through the API server. The operator still adds it to a resource
// created before this policy existed (or where the API server has no MutatingAdmissionPolicy). Apply it only
// with an operator that reconciles every namespace it covers: a finalizer nobody removes blocks deletion (the
// chart scopes it to operator.watchNamespaces).

export function finalizerPolicy(name = `finalizers.${GROUP}`) {
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
              operations: ['CREATE'],
              resources: [FEATURE_FLAGS.plural, ENVIRONMENTS.plural],
            },
          ],
        },
        mutations: [
          {
            patchType: 'ApplyConfiguration',
            // metadata.finalizers is a set: applying it adds ours beside any the request carries
            applyConfiguration: {
              expression: `Object{metadata: Object.metadata{finalizers: ["${FINALIZER}"]}}`,
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
