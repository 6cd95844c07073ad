import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { INVALIDATE_CHANNEL, type InvalidationMessage } from '../../core/src/index.ts';
import { redisUrl } from '../../tests/support/evaluator-harness.ts';
import { eventually } from '../../tests/support/eventually.ts';
import { kubectl, kubectlJson, releaseNamespace } from '../../tests/support/kubectl.ts';
import { EventStreamReader } from '../../tests/support/event-stream.ts';
import { managementEnv, managementToken } from '../../tests/support/management-client.ts';
import { freePort } from '../../tests/support/processes.ts';
import { TcpProxy } from '../../tests/support/tcp-proxy.ts';
import { adminUrl, databaseUrl, withAdmin } from '../../tests/support/test-database.ts';
import { inProcessOperatorConfig } from './testing/in-process-config.ts';
import { startOperator, type RunningOperator } from './operator-service.ts';

// Faults against the real control plane: operator processes killed with SIGKILL, two replicas and a Lease,
// Postgres and Redis cut away through TCP proxies. Nothing may be lost or written twice.

const namespace = `resilience-${randomUUID().slice(0, 8)}`;
const databaseName = `xc_resilience_${randomUUID().replaceAll('-', '')}`;
let owner: pg.Client;
const children: ChildProcess[] = [];

const flagManifest = (name: string, percentage: number) => `apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: ${name}, namespace: ${namespace} }
spec: { rollout: { percentage: ${percentage} } }
`;
const environmentManifest = `apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production, namespace: ${namespace} }
spec: { default: true }
`;

async function apply(manifest: string): Promise<void> {
  const result = await kubectl(['apply', '-f', '-'], manifest);
  if (!result.ok) throw new Error(result.out);
}

type FlagObject = {
  metadata: { name: string; generation: number };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason: string }[] };
};
const flagsOf = async () =>
  (await kubectlJson<{ items: FlagObject[] }>(['get', 'ff', '-n', namespace])).items;
const allSynced = (items: FlagObject[]) =>
  items.every(
    (item) =>
      item.status?.observedGeneration === item.metadata.generation &&
      item.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );

/**
 * The audit invariant under faults: per flag, the audited generations strictly increase (nothing written twice)
 * and end at the resource's current generation (nothing lost). Generations that came and went while no operator
 * ran are audited as one change: the API server keeps no history to replay them from.
 */
async function auditIsConsistent(): Promise<Map<string, number[]>> {
  const rows = (
    await owner.query<{ resource: string; generations: string[] }>(
      `SELECT a.resource, array_agg(a.generation::text ORDER BY a.seq) AS generations FROM audit_log a JOIN tenants t ON t.id = a.tenant_id
       WHERE t.slug = $1 AND a.kind = 'FeatureFlag' GROUP BY a.resource`,
      [namespace],
    )
  ).rows;
  const audited = new Map(rows.map((row) => [row.resource, row.generations.map(Number)]));
  for (const flag of await flagsOf()) {
    const generations = audited.get(flag.metadata.name) ?? [];
    expect({
      flag: flag.metadata.name,
      increasing: generations.every((g, i) => i === 0 || g > generations[i - 1]!),
      last: generations.at(-1),
    }).toEqual({
      flag: flag.metadata.name,
      increasing: true,
      last: flag.metadata.generation,
    });
  }
  return audited;
}

function startProcess(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['operator/src/main.ts'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

const baseEnv = () => ({
  DATABASE_URL: databaseUrl(databaseName),
  REDIS_URL: redisUrl(),
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'warn',
  POD_NAMESPACE: namespace,
  WATCH_NAMESPACES: namespace,
});

beforeAll(async () => {
  await withAdmin((client) => client.query(`CREATE DATABASE ${databaseName}`));
  owner = new pg.Client({ connectionString: databaseUrl(databaseName) });
  await owner.connect();
  expect((await kubectl(['create', 'namespace', namespace])).ok).toBe(true);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await releaseNamespace(namespace);
  await owner.end();
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
});

describe('operator processes killed mid-stream', () => {
  it('lose nothing and duplicate nothing: audited generations increase and end at the current one', async () => {
    let operator = startProcess({ ...baseEnv(), LEADER_ELECTION: 'false' });
    await apply(environmentManifest);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10; i++) await apply(flagManifest(`flag-${i}`, round * 10 + i));
      operator.kill('SIGKILL'); // mid-stream: some changes committed, some not, statuses behind
      operator = startProcess({ ...baseEnv(), LEADER_ELECTION: 'false' });
    }
    await eventually(flagsOf, (items) => items.length === 10 && allSynced(items));
    await auditIsConsistent();
    operator.kill('SIGKILL');
  }, 90_000);
});

describe('two replicas and a Lease', () => {
  it('elect one leader, and the other takes over within the lease time when the leader is killed', async () => {
    const lease = `xc-operator-${randomUUID().slice(0, 6)}`;
    const env = {
      ...baseEnv(),
      LEADER_ELECTION: 'true',
      LEASE_NAME: lease,
      LEASE_DURATION_SECONDS: '4',
      LEASE_RENEW_DEADLINE_MS: '3000',
      LEASE_RETRY_PERIOD_MS: '500',
    };
    const replicas = {
      a: startProcess({ ...env, POD_NAME: 'replica-a' }),
      b: startProcess({ ...env, POD_NAME: 'replica-b' }),
    };
    const holder = () =>
      kubectlJson<{ spec: { holderIdentity?: string } }>(['get', 'lease', lease, '-n', namespace]).then(
        (l) => l.spec.holderIdentity ?? '',
        () => '',
      );
    const first = await eventually(holder, (name) => name.startsWith('replica-'));
    await apply(flagManifest('flag-0', 55));
    await eventually(flagsOf, allSynced);

    const killedAt = Date.now();
    replicas[first === 'replica-a' ? 'a' : 'b'].kill('SIGKILL');
    const second = await eventually(holder, (name) => name.startsWith('replica-') && name !== first, 15_000);
    const takeover = Date.now() - killedAt;
    expect(second).not.toBe(first);
    expect(takeover).toBeLessThan(4000 + 2 * 500 + 2000); // lease + two retry periods + kubectl polling
    await apply(flagManifest('flag-0', 66));
    await eventually(flagsOf, allSynced);
    const audited = await auditIsConsistent();
    const generation = (await flagsOf()).find((flag) => flag.metadata.name === 'flag-0')!.metadata.generation;
    expect(audited.get('flag-0')!.slice(-2)).toEqual([generation - 1, generation]); // both changes, one row each

    // A replica standing by (the console behind a Service reaches either) serves the management API from its
    // own watch: the list, and the event stream with the change and the leader's status that follows it.
    const port = await freePort();
    startProcess({
      ...env,
      ...managementEnv(),
      POD_NAME: 'replica-c',
      PORT: String(port),
    });
    const standby = `http://127.0.0.1:${port}`;
    await eventually(
      () =>
        fetch(`${standby}/readyz`).then(
          (response) => response.status,
          () => 0,
        ),
      (status) => status === 200,
    );
    expect(await holder()).toBe(second);
    const token = await managementToken('pm-1', { [namespace]: 'viewer' });
    const headers = { authorization: `Bearer ${token}`, 'x-tenant-id': namespace };
    const stream = await EventStreamReader.open(`${standby}/api/v1/flags/events`, headers);
    expect(stream.status).toBe(200);
    await stream.next((event) => event.event === 'ready');
    await apply(flagManifest('flag-0', 77));
    const changed = await stream.next(
      (event) =>
        event.event === 'flag' &&
        (JSON.parse(event.data) as { rollout_percentage?: number }).rollout_percentage === 77,
    );
    expect(changed).not.toBeNull();
    await stream.next((event) => {
      if (event.event !== 'flag') return false;
      const view = JSON.parse(event.data) as {
        resource: {
          generation: number;
          conditions: { type: string; status: string; observedGeneration?: number }[];
        };
      };
      return view.resource.conditions.some(
        (condition) =>
          condition.type === 'Synced' &&
          condition.status === 'True' &&
          condition.observedGeneration === view.resource.generation,
      );
    });
    stream.close();
    const listed = (await (await fetch(`${standby}/api/v1/flags`, { headers })).json()) as {
      flags: { key: string; rollout_percentage: number }[];
    };
    expect(listed.flags.find((flag) => flag.key === 'flag-0')?.rollout_percentage).toBe(77);
  }, 90_000);
});

describe('Postgres and Redis cut away', () => {
  const pgTarget = new URL(adminUrl());
  const redisTarget = new URL(redisUrl());
  const pgProxy = new TcpProxy({ host: pgTarget.hostname, port: Number(pgTarget.port) });
  const redisProxy = new TcpProxy({ host: redisTarget.hostname, port: Number(redisTarget.port) });
  const invalidations: InvalidationMessage[] = [];
  let subscriber: Redis;
  let operator: RunningOperator;

  beforeAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all([pgProxy.start(), redisProxy.start()]);
    subscriber = new Redis(redisUrl());
    await subscriber.subscribe(INVALIDATE_CHANNEL);
    subscriber.on('message', (_channel: string, raw: string) =>
      invalidations.push(JSON.parse(raw) as InvalidationMessage),
    );
    const through = (url: string, port: number) =>
      Object.assign(new URL(url), { port: String(port) }).toString();
    operator = await startOperator(
      inProcessOperatorConfig(through(databaseUrl(databaseName), pgProxy.port), {
        REDIS_URL: through(redisUrl(), redisProxy.port),
        WATCH_NAMESPACES: namespace,
      }),
      pino({ level: 'silent' }),
    );
    await eventually(flagsOf, allSynced);
  });

  afterAll(async () => {
    await operator.stop();
    subscriber.disconnect();
    await Promise.all([pgProxy.cut(), redisProxy.cut()]);
  });

  it('with Postgres gone, says so in the conditions, backs off, and converges with its audit rows when it returns', async () => {
    await pgProxy.cut();
    await apply(flagManifest('flag-1', 77));
    const failing = await eventually(
      () => kubectlJson<FlagObject>(['get', 'ff', 'flag-1', '-n', namespace]),
      (flag) =>
        flag.status?.conditions?.some((c) => c.type === 'Synced' && c.reason === 'DatabaseUnavailable') ??
        false,
    );
    expect(failing.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'DatabaseUnavailable',
    });
    await pgProxy.restore();
    await eventually(flagsOf, allSynced);
    const audited = await auditIsConsistent();
    expect(audited.get('flag-1')!.at(-1)).toBe(failing.metadata.generation);
  }, 60_000);

  it('with Redis gone, still commits; invalidations resume when it returns', async () => {
    const tenant = (await owner.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [namespace]))
      .rows[0]!.id;
    await redisProxy.cut();
    const before = invalidations.filter((message) => message.tenantId === tenant).length;
    await apply(flagManifest('flag-2', 88));
    await eventually(flagsOf, allSynced);
    const stored = await owner.query(
      "SELECT spec->'rollout'->>'percentage' AS percentage FROM flags WHERE tenant_id = $1 AND key = 'flag-2' AND status = 'active'",
      [tenant],
    );
    expect(stored.rows).toEqual([{ percentage: '88' }]);
    expect(invalidations.filter((message) => message.tenantId === tenant).length).toBe(before);
    await redisProxy.restore();
    await new Promise((resolve) => setTimeout(resolve, 1500)); // ioredis reconnects with backoff
    await apply(flagManifest('flag-2', 89));
    await eventually(
      async () => invalidations.filter((message) => message.tenantId === tenant).length,
      (count) => count > before,
    );
    // the count can rise first from the change made while Redis was away, announced once it is back
    await eventually(flagsOf, allSynced);
    await auditIsConsistent();
  }, 60_000);
});
