import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { tool } from '../support/tools.ts';

// The chart's TLS and Sentinel values (database.tls, redis.tls, redis.sentinel), rendered by `helm template`:
// the variables both apps read, the CA Secrets mounted where those variables point, and the refusals.

const CHART = 'charts/exclusive-change';

interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface PodSpec {
  containers: { env: EnvEntry[]; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }[];
  volumes: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: { template: { spec: PodSpec } };
}

async function helmTemplate(values: string[]) {
  return tool('XC_HELM', ['template', 'xc', CHART, '--kube-version', '1.33.0', ...values]);
}

/** The operator's and the evaluators' pod specs. */
async function podSpecs(values: string[]): Promise<PodSpec[]> {
  const result = await helmTemplate(values);
  if (!result.ok) throw new Error(result.out);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object?.kind === 'Deployment')
    .map((deployment) => deployment.spec.template.spec);
}

const envOf = (spec: PodSpec) => new Map(spec.containers[0]!.env.map((entry) => [entry.name, entry]));
const DATA_STORE_VARIABLES = [
  'DATABASE_SSLMODE',
  'DATABASE_CA_FILE',
  'REDIS_URL',
  'REDIS_CA_FILE',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_MASTER',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
];

describe('the chart’s data-store TLS and Sentinel values', () => {
  it('sets none of the variables by default, and mounts nothing', async () => {
    const specs = await podSpecs([]);
    expect(specs.length).toBeGreaterThanOrEqual(2);
    for (const spec of specs) {
      expect(DATA_STORE_VARIABLES.filter((name) => envOf(spec).has(name))).toEqual([]);
      expect(spec.volumes.map((volume) => volume.name)).toEqual(['tmp']);
    }
  });

  it('mounts both CA Secrets and points both apps at them, with verify-full and Sentinel', async () => {
    const specs = await podSpecs([
      '--set',
      'database.tls.sslMode=verify-full,database.tls.caSecret=flags-db-ca',
      '--set',
      'redis.tls.caSecret=redis-ca,redis.tls.caKey=ca.pem',
      '--set-json',
      'redis.sentinel.hosts=["redis-node-0.redis-headless:26379","redis-node-1.redis-headless:26379"]',
      '--set',
      'redis.sentinel.masterName=mymaster,redis.sentinel.existingSecret=redis,redis.sentinel.passwordKey=redis-password,redis.sentinel.sentinelPasswordKey=redis-password',
    ]);
    for (const spec of specs) {
      const env = envOf(spec);
      expect(Object.fromEntries(DATA_STORE_VARIABLES.map((name) => [name, env.get(name)?.value]))).toEqual({
        DATABASE_SSLMODE: 'verify-full',
        DATABASE_CA_FILE: '/etc/exclusive-change/database-ca/ca.crt',
        REDIS_URL: undefined,
        REDIS_CA_FILE: '/etc/exclusive-change/redis-ca/ca.pem',
        REDIS_SENTINELS: 'redis-node-0.redis-headless:26379,redis-node-1.redis-headless:26379',
        REDIS_SENTINEL_MASTER: 'mymaster',
        REDIS_PASSWORD: undefined,
        REDIS_SENTINEL_PASSWORD: undefined,
      });
      for (const name of ['REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD'])
        expect(env.get(name)?.valueFrom).toEqual({ secretKeyRef: { name: 'redis', key: 'redis-password' } });
      const mounts = new Map(spec.containers[0]!.volumeMounts.map((mount) => [mount.name, mount]));
      expect(mounts.get('database-ca')).toEqual({
        name: 'database-ca',
        mountPath: '/etc/exclusive-change/database-ca',
        readOnly: true,
      });
      expect(mounts.get('redis-ca')?.mountPath).toBe('/etc/exclusive-change/redis-ca');
      const volumes = new Map(spec.volumes.map((volume) => [volume.name, volume.secret]));
      expect(volumes.get('database-ca')).toEqual({
        secretName: 'flags-db-ca',
        items: [{ key: 'ca.crt', path: 'ca.crt' }],
      });
      expect(volumes.get('redis-ca')).toEqual({
        secretName: 'redis-ca',
        items: [{ key: 'ca.pem', path: 'ca.pem' }],
      });
    }
  });

  it.each([
    [
      [
        '--set',
        'redis.existingSecret=r',
        '--set-json',
        'redis.sentinel.hosts=["s:26379"]',
        '--set',
        'redis.sentinel.masterName=m',
      ],
      'not both',
    ],
    [['--set-json', 'redis.sentinel.hosts=["s:26379"]'], 'redis.sentinel.masterName is required'],
    [['--set-json', 'redis.sentinel.hosts=["s"]'], '/redis/sentinel/hosts/0'],
    [['--set', 'database.tls.sslMode=prefer'], '/database/tls/sslMode'],
    [['--set', 'redis.tls.caFile=x'], 'caFile'],
  ])('refuses %j, naming the value', async (values, words) => {
    const result = await helmTemplate(values);
    expect(result.ok).toBe(false);
    expect(result.out).toContain(words);
  });
});
