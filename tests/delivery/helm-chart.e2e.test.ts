import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { kubectl } from '../support/kubectl.ts';
import { tool } from '../support/tools.ts';

// The Helm chart against the real test control plane: lint, schema, server-side dry run of everything it
// renders (Pod Security "restricted" warnings included), then a real install and uninstall.

const CHART = 'charts/exclusive-change';
const ALL_FEATURES = `${CHART}/ci/all-features-values.yaml`;
const suffix = randomBytes(3).toString('hex');
const namespace = `xc-chart-${suffix}`;
const tenants = [`xc-games-${suffix}`, `xc-shop-${suffix}`];
// The all-features values name tenants shop and games; these tests use their own.
const WATCHED = ['--set', `operator.watchNamespaces={${tenants.join(',')}}`];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

const helm = (args: string[]) => tool('XC_HELM', args);

interface Container {
  securityContext: unknown;
  resources: { limits: { memory?: string } };
  readinessProbe: { httpGet: { path: string } };
  env: { name: string; value?: string; valueFrom?: unknown }[];
}
interface PodSpec {
  securityContext: unknown;
  automountServiceAccountToken?: boolean;
  containers: Container[];
}
const podSpec = (deployment: K8sObject) => (deployment.spec as { template: { spec: PodSpec } }).template.spec;

const STREAM_VARIABLES = [
  'STREAM_MAX_PER_REPLICA',
  'STREAM_MAX_PER_KEY',
  'STREAM_HEARTBEAT_MS',
  'STREAM_TOKEN_TTL_SECONDS',
  'STREAM_INACTIVITY_DELAY_SECONDS',
  'STREAM_BASE_URL',
  'MAX_CONNECTIONS',
];

/** The evaluator container's environment, by variable. */
function evaluatorEnv(objects: K8sObject[]): Map<string, Container['env'][number]> {
  const deployment = objects.find(
    (object) => object.kind === 'Deployment' && object.metadata.name.endsWith('-evaluator'),
  )!;
  return new Map(podSpec(deployment).containers[0]!.env.map((entry) => [entry.name, entry]));
}

async function render(args: string[] = []): Promise<{ text: string; objects: K8sObject[] }> {
  const result = await helm([
    'template',
    'xc',
    CHART,
    '-n',
    namespace,
    '--kube-version',
    '1.37.2',
    '--api-versions',
    'admissionregistration.k8s.io/v1/MutatingAdmissionPolicy',
    ...args,
  ]);
  if (!result.ok) throw new Error(result.out);
  const objects = parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
  return { text: result.stdout, objects };
}

async function createNamespace(name: string): Promise<void> {
  const manifest = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  });
  const result = await kubectl(['apply', '-f', '-'], manifest);
  if (!result.ok) throw new Error(result.out);
}

beforeAll(async () => {
  for (const name of [namespace, ...tenants]) await createNamespace(name);
});

afterAll(async () => {
  await helm(['uninstall', 'xc', '-n', namespace]);
  for (const name of [namespace, ...tenants]) await kubectl(['delete', 'namespace', name, '--wait=false']);
});

describe('charts/exclusive-change', () => {
  it('passes helm lint --strict with the defaults and with every option on', async () => {
    for (const values of [[], ['-f', ALL_FEATURES]]) {
      const result = await helm(['lint', '--strict', CHART, ...values]);
      expect(result.out).toContain('0 chart(s) failed');
      expect(result.ok).toBe(true);
    }
  });

  it.each([
    ['evaluator.replicas=0', '/evaluator/replicas'],
    ['evaluator.replica=2', 'replica'],
    ['database.existingSecret=', '/database/existingSecret'],
    ['evaluator.streams.heartbeatMs=10', '/evaluator/streams/heartbeatMs'],
    ['evaluator.streams.maxPerReplica=20000', 'evaluator.streams.maxPerReplica must not exceed'],
  ])('refuses --set %s, naming the field', async (value, field) => {
    const result = await helm([
      'template',
      'xc',
      CHART,
      '--kube-version',
      '1.37.2',
      '--api-versions',
      'admissionregistration.k8s.io/v1/MutatingAdmissionPolicy',
      '--set',
      value,
    ]);
    expect(result.ok).toBe(false);
    expect(result.out).toContain(field);
  });

  it('renders output the API server accepts, CRDs included, with no Pod Security warning', async () => {
    for (const values of [[], ['-f', ALL_FEATURES, ...WATCHED, '--set', 'serviceMonitor.enabled=false']]) {
      const { text } = await render(['--include-crds', ...values]);
      const result = await kubectl(['apply', '--dry-run=server', '-f', '-'], text);
      expect(result.out).not.toMatch(/PodSecurity/);
      expect(result.ok).toBe(true);
    }
  });

  it('accepts the throwaway Postgres and Redis the kind end-to-end run installs', async () => {
    const result = await kubectl([
      'apply',
      '--dry-run=server',
      '-n',
      namespace,
      '-f',
      'tests/e2e-kind/dependencies.yaml',
    ]);
    expect(result.out).toContain('deployment.apps/postgres created (server dry run)');
    expect(result.ok).toBe(true);
  });

  it('runs every container non-root, read-only, with no capabilities and the runtime seccomp profile', async () => {
    const { objects } = await render(['-f', ALL_FEATURES]);
    const deployments = objects.filter((object) => object.kind === 'Deployment');
    expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual([
      'xc-exclusive-change-evaluator',
      'xc-exclusive-change-operator',
    ]);
    for (const deployment of deployments) {
      const pod = podSpec(deployment);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.resources.limits.memory).toBeDefined();
        expect(container.readinessProbe.httpGet.path).toBe('/readyz');
        const env = new Map(container.env.map((entry) => [entry.name, entry]));
        expect(env.get('DATABASE_URL')).toMatchObject({ valueFrom: { secretKeyRef: { key: 'url' } } });
        expect(env.get('NODE_OPTIONS')).toMatchObject({
          value: expect.stringMatching(/^--max-old-space-size=\d+( --max-semi-space-size=\d+)?$/),
        });
      }
    }
    const evaluator = deployments.find((deployment) => deployment.metadata.name.endsWith('evaluator'))!;
    expect(podSpec(evaluator).automountServiceAccountToken).toBe(false);
  });

  it('passes the stream settings to the evaluator, signing stream URLs with a Secret of the release', async () => {
    const { objects } = await render([
      '--set',
      'evaluator.streams.maxPerReplica=1234',
      '--set',
      'evaluator.streams.maxPerKey=321',
      '--set',
      'evaluator.streams.heartbeatMs=5000',
      '--set',
      'evaluator.streams.baseUrl=https://flags.example.com/eval',
    ]);
    const env = evaluatorEnv(objects);
    expect(Object.fromEntries(STREAM_VARIABLES.map((name) => [name, env.get(name)?.value]))).toEqual({
      STREAM_MAX_PER_REPLICA: '1234',
      STREAM_MAX_PER_KEY: '321',
      STREAM_HEARTBEAT_MS: '5000',
      STREAM_TOKEN_TTL_SECONDS: '3600',
      STREAM_INACTIVITY_DELAY_SECONDS: '120',
      STREAM_BASE_URL: 'https://flags.example.com/eval',
      MAX_CONNECTIONS: '10000',
    });
    const secretName = 'xc-exclusive-change-evaluator-stream-token';
    expect(env.get('STREAM_TOKEN_SECRET')).toEqual({
      name: 'STREAM_TOKEN_SECRET',
      valueFrom: { secretKeyRef: { name: secretName, key: 'secret' } },
    });
    const secret = objects.find(
      (object) => object.kind === 'Secret' && object.metadata.name === secretName,
    ) as (K8sObject & { data: Record<string, string> }) | undefined;
    // The evaluator refuses a secret under 32 characters.
    expect(Buffer.from(secret!.data.secret!, 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    // Without a base URL the variable is left out: stream URLs are paths on the client's own OFREP origin.
    expect(evaluatorEnv((await render()).objects).has('STREAM_BASE_URL')).toBe(false);
  });

  it("takes the stream secret from the user's Secret when named, and renders none of its own", async () => {
    const { objects } = await render([
      '--set',
      'evaluator.streams.tokenSecret.existingSecret=shared-stream-secret',
      '--set',
      'evaluator.streams.tokenSecret.key=token',
    ]);
    expect(evaluatorEnv(objects).get('STREAM_TOKEN_SECRET')?.valueFrom).toEqual({
      secretKeyRef: { name: 'shared-stream-secret', key: 'token' },
    });
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
  });

  it.each([[[]], [['--set', 'evaluator.terminationGracePeriodSeconds=90']]])(
    'gives the evaluator more time to stop than it takes to close its streams and drain (%j)',
    async (args) => {
      const { objects } = await render(args);
      const deployment = objects.find(
        (object) => object.kind === 'Deployment' && object.metadata.name.endsWith('-evaluator'),
      )!;
      const grace = (podSpec(deployment) as PodSpec & { terminationGracePeriodSeconds: number })
        .terminationGracePeriodSeconds;
      const drain = Number(evaluatorEnv(objects).get('SHUTDOWN_GRACE_MS')?.value);
      const container = podSpec(deployment).containers[0] as {
        lifecycle?: { preStop?: { sleep?: { seconds: number } } };
      };
      const pause = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(pause).toBeGreaterThan(0);
      expect(drain).toBeGreaterThan(0);
      expect(pause * 1000 + drain).toBeLessThan(grace * 1000);
    },
  );

  it('renders an Ingress to the evaluator only when enabled, with timeouts that keep streams open', async () => {
    expect((await render()).objects.some((object) => object.kind === 'Ingress')).toBe(false);
    const { objects } = await render([
      '--set',
      'evaluator.ingress.enabled=true',
      '--set',
      'evaluator.ingress.className=nginx',
      '--set',
      'evaluator.ingress.hosts[0].host=flags.shop.example',
      '--set',
      'evaluator.ingress.hosts[0].paths[0].path=/',
      '--set',
      'evaluator.ingress.hosts[0].paths[0].pathType=Prefix',
      '--set',
      'evaluator.ingress.tls[0].secretName=flags-tls',
      '--set',
      'evaluator.ingress.tls[0].hosts[0]=flags.shop.example',
      '--set',
      'evaluator.streams.maxPerReplica=777',
    ]);
    const ingress = objects.find((object) => object.kind === 'Ingress') as K8sObject & {
      metadata: { annotations: Record<string, string> };
      spec: {
        ingressClassName: string;
        tls: unknown[];
        rules: {
          host: string;
          http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] };
        }[];
      };
    };
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ secretName: 'flags-tls', hosts: ['flags.shop.example'] }]);
    expect(ingress.spec.rules.map((rule) => rule.host)).toEqual(['flags.shop.example']);
    const heartbeatSeconds = Number(evaluatorEnv(objects).get('STREAM_HEARTBEAT_MS')?.value) / 1000;
    const annotations = ingress.metadata.annotations;
    for (const timeout of ['proxy-read-timeout', 'proxy-send-timeout'])
      expect(Number(annotations[`nginx.ingress.kubernetes.io/${timeout}`])).toBeGreaterThanOrEqual(
        10 * heartbeatSeconds,
      );
    expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    // The backend is the evaluator's Service, on the port it names.
    const service = objects.find(
      (object) => object.kind === 'Service' && object.metadata.name === 'xc-exclusive-change-evaluator',
    ) as K8sObject & { spec: { ports: { name: string }[] } };
    for (const path of ingress.spec.rules[0]!.http.paths) {
      expect(path.backend.service.name).toBe(service.metadata.name);
      expect(service.spec.ports.map((port) => port.name)).toContain(path.backend.service.port.name);
    }
    expect(evaluatorEnv(objects).get('STREAM_MAX_PER_REPLICA')?.value).toBe('777');
  });

  it('grants the operator no list or watch of Secrets, and Secrets only in watched namespaces when given', async () => {
    const { objects } = await render(['-f', ALL_FEATURES, ...WATCHED]);
    const rules = objects
      .filter((object) => object.kind === 'ClusterRole' || object.kind === 'Role')
      .flatMap((role) => (role as unknown as { rules: { resources: string[]; verbs: string[] }[] }).rules);
    const secretVerbs = rules
      .filter((rule) => rule.resources.includes('secrets'))
      .flatMap((rule) => rule.verbs);
    expect(secretVerbs.sort()).toEqual(['create', 'delete', 'get']);
    expect(rules.flatMap((rule) => rule.verbs)).not.toContain('*');
    const tenantBindings = objects.filter(
      (object) => object.kind === 'RoleBinding' && object.metadata.name.endsWith('-tenants'),
    );
    expect(tenantBindings.map((binding) => binding.metadata.namespace).sort()).toEqual(tenants);
    expect(
      objects.some(
        (object) => object.kind === 'ClusterRoleBinding' && object.metadata.name.endsWith('-tenants'),
      ),
    ).toBe(false);
  });

  it('lets the operator write FeatureFlags and Environments only with the management API writing', async () => {
    const writeVerbs = async (args: string[]) =>
      (await render(args)).objects
        .filter((object) => object.kind === 'ClusterRole' && object.metadata.name.endsWith('-operator'))
        .flatMap((role) => (role as unknown as { rules: { resources: string[]; verbs: string[] }[] }).rules)
        .filter((rule) => rule.resources.includes('featureflags'))
        .flatMap((rule) => rule.verbs)
        .filter((verb) => ['create', 'update', 'delete'].includes(verb))
        .sort();
    expect(await writeVerbs([])).toEqual([]);
    expect(await writeVerbs(['-f', ALL_FEATURES])).toEqual(['create', 'delete', 'update']);
    expect(await writeVerbs(['-f', ALL_FEATURES, '--set', 'operator.managementApi.writes=false'])).toEqual(
      [],
    );
  });

  it("installs the actor policy where the API server serves it, exempting the release's operator", async () => {
    const { objects } = await render(['-n', 'flags-system']);
    const policy = objects.find((object) => object.kind === 'MutatingAdmissionPolicy') as unknown as {
      spec: { matchConditions: { expression: string }[] };
    };
    expect(policy.spec.matchConditions[0]!.expression).toContain(
      'system:serviceaccount:flags-system:xc-exclusive-change-operator',
    );
    const old = await helm(['template', 'xc', CHART, '--kube-version', '1.35.4']);
    expect(old.ok).toBe(true);
    expect(old.stdout).not.toContain('MutatingAdmissionPolicy');
  });

  it('points each ServiceMonitor at a Service it selects', async () => {
    const { objects } = await render(['-f', ALL_FEATURES]);
    const services = objects.filter((object) => object.kind === 'Service');
    const monitors = objects.filter((object) => object.kind === 'ServiceMonitor');
    expect(monitors).toHaveLength(2);
    for (const monitor of monitors) {
      const selector = (monitor.spec as { selector: { matchLabels: Record<string, string> } }).selector
        .matchLabels;
      const selected = services.filter((service) =>
        Object.entries(selector).every(([key, value]) => service.metadata.labels?.[key] === value),
      );
      expect(selected).toHaveLength(1);
    }
  });

  it('installs every object into the control plane, keeps the stream secret across an upgrade, and uninstall removes them and keeps the CRDs', async () => {
    const release = ['xc', CHART, '-n', namespace, '-f', ALL_FEATURES, ...WATCHED];
    const install = await helm(['install', ...release, '--set', 'serviceMonitor.enabled=false']);
    expect(install.out).toContain('STATUS: deployed');
    const streamSecret = async () =>
      (
        await kubectl([
          'get',
          'secret',
          'xc-exclusive-change-evaluator-stream-token',
          '-n',
          namespace,
          '-o',
          'jsonpath={.data.secret}',
        ])
      ).out;
    const installed = await streamSecret();
    expect(Buffer.from(installed, 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    // Stream URLs handed out before an upgrade still open after it, on every replica.
    const upgrade = await helm([
      'upgrade',
      ...release,
      '--set',
      'serviceMonitor.enabled=false',
      '--set',
      'evaluator.streams.maxPerKey=1000',
    ]);
    expect(upgrade.out).toContain('STATUS: deployed');
    expect(await streamSecret()).toBe(installed);
    const manifest = await helm(['get', 'manifest', 'xc', '-n', namespace]);
    const objects = parseAllDocuments(manifest.stdout)
      .map((document) => document.toJS() as K8sObject | null)
      .filter((object): object is K8sObject => object !== null);
    expect(objects.length).toBeGreaterThanOrEqual(15);
    const get = (object: K8sObject) =>
      kubectl([
        'get',
        `${object.kind}.${object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : ''}`.replace(
          /\.$/,
          '',
        ),
        object.metadata.name,
        ...(object.metadata.namespace || isNamespaced(object)
          ? ['-n', object.metadata.namespace ?? namespace]
          : []),
        '-o',
        'name',
      ]);
    for (const object of objects)
      expect({ object: object.metadata.name, found: (await get(object)).ok }).toEqual({
        object: object.metadata.name,
        found: true,
      });

    const uninstall = await helm(['uninstall', 'xc', '-n', namespace, '--wait']);
    expect(uninstall.ok).toBe(true);
    for (const object of objects)
      expect({ object: object.metadata.name, found: (await get(object)).ok }).toEqual({
        object: object.metadata.name,
        found: false,
      });
    for (const crd of ['featureflags.flags.exclusive-change.io', 'environments.flags.exclusive-change.io'])
      expect((await kubectl(['get', 'crd', crd, '-o', 'name'])).ok).toBe(true);
  });
});

const CLUSTER_SCOPED = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'CustomResourceDefinition',
  'Namespace',
]);
const isNamespaced = (object: K8sObject) => !CLUSTER_SCOPED.has(object.kind);
