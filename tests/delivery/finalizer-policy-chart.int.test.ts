import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { FINALIZER } from '../../core/src/index.ts';
import { tool } from '../support/tools.ts';

// The chart's finalizer policy (admission.finalizerAtCreate), rendered by `helm template` against an API server
// that serves MutatingAdmissionPolicy: only where the operator reconciles, since a finalizer nobody removes
// would block every deletion in a namespace the operator does not watch.

const MAP = 'admissionregistration.k8s.io/v1/MutatingAdmissionPolicy';

interface Policy {
  kind: string;
  metadata: { name: string };
  spec: { matchConstraints: { namespaceSelector?: unknown }; mutations?: unknown[] };
}

async function finalizerPolicies(values: string[]): Promise<Policy[]> {
  const result = await tool('XC_HELM', [
    'template',
    'xc',
    'charts/exclusive-change',
    '--kube-version',
    '1.36.0',
    '--api-versions',
    MAP,
    ...values,
  ]);
  if (!result.ok) throw new Error(result.out);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as Policy | null)
    .filter((object): object is Policy => object?.kind === 'MutatingAdmissionPolicy')
    .filter((policy) => JSON.stringify(policy.spec.mutations).includes(FINALIZER));
}

describe('the finalizer policy', () => {
  it('covers every namespace when the operator watches every namespace', async () => {
    const [policy, ...others] = await finalizerPolicies([]);
    expect(others).toEqual([]);
    expect(policy!.metadata.name).toBe('xc-exclusive-change-finalizers');
    expect(policy!.spec.matchConstraints.namespaceSelector).toBeUndefined();
  });

  it('covers only the watched namespaces when operator.watchNamespaces lists some', async () => {
    const [policy] = await finalizerPolicies(['--set', 'operator.watchNamespaces={team-a,team-b}']);
    expect(policy!.spec.matchConstraints.namespaceSelector).toEqual({
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['team-a', 'team-b'] },
      ],
    });
  });

  it('is left out with admission.finalizerAtCreate=false', async () => {
    expect(await finalizerPolicies(['--set', 'admission.finalizerAtCreate=false'])).toEqual([]);
  });
});
