import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { matchesLabels, parseLabelSelector } from '../../core/src/index.ts';
import { tool } from '../support/tools.ts';

// The chart's evaluator groups (evaluator.groups), rendered by `helm template`: one Deployment, Service and
// PodDisruptionBudget per group, each with the TENANT_SELECTOR its namespaceSelector stands for.

const CHART = 'charts/exclusive-change';

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}
interface Container {
  env: { name: string; value?: string }[];
  resources: { limits?: { memory?: string } };
}
type DeploymentSpec = {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } };
};

async function render(values: string[]): Promise<K8sObject[]> {
  const result = await tool('XC_HELM', ['template', 'xc', CHART, '--kube-version', '1.33.0', ...values]);
  if (!result.ok) throw new Error(result.out);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

async function refusal(values: string[]): Promise<string> {
  const result = await tool('XC_HELM', ['template', 'xc', CHART, '--kube-version', '1.33.0', ...values]);
  expect(result.ok).toBe(false);
  return result.out;
}

const named = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((object) => object.kind === kind && object.metadata.name === name);
const evaluatorsOf = (objects: K8sObject[], kind: string) =>
  objects.filter(
    (object) =>
      object.kind === kind && object.metadata.labels?.['app.kubernetes.io/component'] === 'evaluator',
  );
const envOf = (deployment: K8sObject) =>
  new Map(
    (deployment.spec as DeploymentSpec).template.spec.containers[0]!.env.map((entry) => [
      entry.name,
      entry.value,
    ]),
  );
const isSubset = (subset: Record<string, string>, of: Record<string, string>) =>
  Object.entries(subset).every(([key, value]) => of[key] === value);

const TWO_GROUPS = [
  '--set-json',
  `evaluator.groups=${JSON.stringify([
    {
      name: 'gold',
      namespaceSelector: { matchLabels: { 'exclusive-change.io/tier': 'gold', region: 'eu' } },
      replicas: 4,
      resources: { limits: { memory: '1Gi' } },
    },
    {
      name: 'standard',
      namespaceSelector: {
        matchExpressions: [
          { key: 'exclusive-change.io/tier', operator: 'NotIn', values: ['gold', 'platinum'] },
          { key: 'legacy', operator: 'DoesNotExist' },
          { key: 'team', operator: 'Exists' },
          { key: 'region', operator: 'In', values: ['eu', 'us'] },
        ],
      },
    },
  ])}`,
];

describe('evaluator groups in the chart', () => {
  it('renders one evaluator serving every tenant without groups, as before', async () => {
    const objects = await render([]);
    const deployments = evaluatorsOf(objects, 'Deployment');
    expect(deployments.map((object) => object.metadata.name)).toEqual(['xc-exclusive-change-evaluator']);
    expect(envOf(deployments[0]!).has('TENANT_SELECTOR')).toBe(false);
    expect((deployments[0]!.spec as DeploymentSpec).selector.matchLabels).not.toHaveProperty(
      'exclusive-change.io/evaluator-group',
    );
    expect(named(objects, 'Service', 'xc-exclusive-change-evaluator')).toBeDefined();
  });

  it('renders a Deployment, Service and PodDisruptionBudget per group, each selecting only its own pods', async () => {
    const objects = await render(TWO_GROUPS);
    for (const kind of ['Deployment', 'PodDisruptionBudget'])
      expect(evaluatorsOf(objects, kind).map((object) => object.metadata.name)).toEqual([
        'xc-exclusive-change-evaluator-gold',
        'xc-exclusive-change-evaluator-standard',
      ]);
    expect(named(objects, 'Service', 'xc-exclusive-change-evaluator')).toBeUndefined();
    const pods = Object.fromEntries(
      ['gold', 'standard'].map((group) => {
        const deployment = named(objects, 'Deployment', `xc-exclusive-change-evaluator-${group}`)!;
        return [group, (deployment.spec as DeploymentSpec).template.metadata.labels];
      }),
    );
    for (const [group, other] of [
      ['gold', 'standard'],
      ['standard', 'gold'],
    ] as const) {
      const name = `xc-exclusive-change-evaluator-${group}`;
      const serviceSelector = named(objects, 'Service', name)!.spec.selector as Record<string, string>;
      const deploymentSelector = (named(objects, 'Deployment', name)!.spec as DeploymentSpec).selector
        .matchLabels;
      const budgetSelector = (
        named(objects, 'PodDisruptionBudget', name)!.spec.selector as DeploymentSpec['selector']
      ).matchLabels;
      for (const selector of [serviceSelector, deploymentSelector, budgetSelector]) {
        expect(isSubset(selector, pods[group]!)).toBe(true);
        expect(isSubset(selector, pods[other]!)).toBe(false);
      }
    }
    // Metrics and network policies see every group's pods.
    const metrics = named(objects, 'Service', 'xc-exclusive-change-evaluator-metrics')!;
    for (const labels of Object.values(pods))
      expect(isSubset(metrics.spec.selector as Record<string, string>, labels)).toBe(true);
  });

  it("gives each group its TENANT_SELECTOR and its own settings over the evaluator's", async () => {
    const objects = await render(TWO_GROUPS);
    const gold = named(objects, 'Deployment', 'xc-exclusive-change-evaluator-gold')!;
    const standard = named(objects, 'Deployment', 'xc-exclusive-change-evaluator-standard')!;
    expect(envOf(gold).get('TENANT_SELECTOR')).toBe('exclusive-change.io/tier=gold,region=eu');
    expect(envOf(standard).get('TENANT_SELECTOR')).toBe(
      'exclusive-change.io/tier notin (gold,platinum),!legacy,team,region in (eu,us)',
    );
    expect((gold.spec as DeploymentSpec).replicas).toBe(4);
    expect((standard.spec as DeploymentSpec).replicas).toBe(2);
    expect((gold.spec as DeploymentSpec).template.spec.containers[0]!.resources.limits?.memory).toBe('1Gi');
    expect((standard.spec as DeploymentSpec).template.spec.containers[0]!.resources.limits?.memory).toBe(
      '384Mi',
    );
  });

  it.each([
    [{ 'exclusive-change.io/tier': 'gold', region: 'eu' }, true, false],
    [{ 'exclusive-change.io/tier': 'gold', region: 'us', team: 'a' }, false, false],
    [{ region: 'us', team: 'a' }, false, true],
    [{ region: 'eu', team: 'a', legacy: 'yes' }, false, false],
    [{ 'exclusive-change.io/tier': 'silver', region: 'eu', team: 'a' }, false, true],
  ])(
    'the rendered selectors select namespace labels %j as Kubernetes would: gold %s, standard %s',
    async (labels, gold, standard) => {
      const objects = await render(TWO_GROUPS);
      const selected = (group: string) =>
        matchesLabels(
          parseLabelSelector(
            envOf(named(objects, 'Deployment', `xc-exclusive-change-evaluator-${group}`)!).get(
              'TENANT_SELECTOR',
            )!,
          ),
          labels,
        );
      expect([selected('gold'), selected('standard')]).toEqual([gold, standard]);
    },
  );

  it("sends the sample Ingress to the first group's Service, or to evaluator.ingress.group's", async () => {
    const backend = async (values: string[]) => {
      const ingress = (
        await render(['--set', 'evaluator.ingress.enabled=true', ...TWO_GROUPS, ...values])
      ).find((object) => object.kind === 'Ingress')!;
      const rules = ingress.spec.rules as { http: { paths: { backend: { service: { name: string } } }[] } }[];
      return rules[0]!.http.paths[0]!.backend.service.name;
    };
    expect(await backend([])).toBe('xc-exclusive-change-evaluator-gold');
    expect(await backend(['--set', 'evaluator.ingress.group=standard'])).toBe(
      'xc-exclusive-change-evaluator-standard',
    );
    expect(
      await refusal([
        '--set',
        'evaluator.ingress.enabled=true',
        '--set',
        'evaluator.ingress.group=nope',
        ...TWO_GROUPS,
      ]),
    ).toContain('no evaluator group is named "nope"');
  });

  it.each([
    [
      'a name used twice',
      [
        { name: 'a', namespaceSelector: {} },
        { name: 'a', namespaceSelector: {} },
      ],
      'used twice',
    ],
    ['a name that is no DNS label', [{ name: 'Gold', namespaceSelector: {} }], 'name'],
    ['a group without a selector', [{ name: 'gold' }], 'namespaceSelector'],
    [
      'an operator Kubernetes does not have',
      [
        {
          name: 'gold',
          namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'Gt', values: ['1'] }] },
        },
      ],
      'operator',
    ],
  ])('refuses %s', async (_what, groups, message) => {
    expect(await refusal(['--set-json', `evaluator.groups=${JSON.stringify(groups)}`])).toContain(message);
  });
});
