import { readdir } from 'node:fs/promises';
import { MIGRATIONS_DIR } from '../../db/src/migrate.ts';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { INVALIDATE_CHANNEL, type InvalidationMessage } from '../../core/src/index.ts';
import { verifyAuditChain } from '../../db/src/audit-chain.ts';
import { loadConfig as loadEvaluatorConfig } from '../../evaluator/src/config.ts';
import { startEvaluator, type RunningEvaluator } from '../../evaluator/src/evaluator-service.ts';
import { redisUrl } from '../../tests/support/evaluator-harness.ts';
import { eventually } from '../../tests/support/eventually.ts';
import {
  apiKeyInSecret,
  kubectl,
  kubectlJson,
  releaseNamespace,
  waitForCondition,
} from '../../tests/support/kubectl.ts';
import { databaseUrl, withAdmin } from '../../tests/support/test-database.ts';
import { inProcessOperatorConfig } from './testing/in-process-config.ts';
import { startOperator, type RunningOperator } from './operator-service.ts';

// The operator against the real kube-apiserver, Postgres and Redis: kubectl apply in, rows, audit, Secrets,
// invalidations and status out; then an evaluator serves what it wrote, with the key from the Secret.

const namespace = `shop-${randomUUID().slice(0, 8)}`;
const databaseName = `xc_operator_${randomUUID().replaceAll('-', '')}`;
let operator: RunningOperator;
let evaluator: RunningEvaluator;
let owner: pg.Client;
let subscriber: Redis;
const invalidations: InvalidationMessage[] = [];

const examples = () =>
  readFileSync('examples/shop.yaml', 'utf8').replaceAll('namespace: shop', `namespace: ${namespace}`);
const apply = async (manifest: string) => {
  const result = await kubectl(['apply', '-f', '-'], manifest);
  if (!result.ok) throw new Error(result.out);
};
const query = async <T extends pg.QueryResultRow>(sql: string, values: unknown[] = []) =>
  (await owner.query<T>(sql, values)).rows;
/** The API key the operator wrote to the Environment's Secret. */
const apiKeyFromSecret = () => apiKeyInSecret('production-checkout-service-api-key', namespace);

const tenantId = async () =>
  (await query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [namespace]))[0]!.id;

const resource = <T>(name: string) => kubectlJson<T>(['get', name, '-n', namespace]);
const waitReady = (kind: string, name: string) => waitForCondition(`${kind}/${name}`, namespace);

beforeAll(async () => {
  await withAdmin((client) => client.query(`CREATE DATABASE ${databaseName}`));
  owner = new pg.Client({ connectionString: databaseUrl(databaseName) });
  subscriber = new Redis(redisUrl());
  await subscriber.subscribe(INVALIDATE_CHANNEL);
  subscriber.on('message', (_channel: string, raw: string) =>
    invalidations.push(JSON.parse(raw) as InvalidationMessage),
  );
  expect((await kubectl(['create', 'namespace', namespace])).ok).toBe(true);
  const config = inProcessOperatorConfig(databaseUrl(databaseName), { WATCH_NAMESPACES: namespace });
  operator = await startOperator(config, pino({ level: 'silent' }));
  await owner.connect();
}, 60_000);

afterAll(async () => {
  await evaluator?.stop();
  await operator?.stop();
  await releaseNamespace(namespace);
  subscriber?.disconnect();
  await owner?.end();
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
});

describe('the operator', () => {
  it('migrates at start-up and reports ready', async () => {
    expect(operator.ready()).toBe(true);
    const migrations = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.sql'));
    expect(await query('SELECT name FROM xc_migrations')).toHaveLength(migrations.length);
    expect((await fetch(`${operator.url}/readyz`)).status).toBe(200);
  });

  it('turns the examples into rows, one audit row per change, a Secret holding the key and Postgres only its hash', async () => {
    await apply(examples());
    await waitReady('featureflag', 'dark-mode');
    await waitReady('featureflag', 'checkout-button');
    await waitReady('environment', 'production');
    const tenant = await tenantId();
    expect(
      await query('SELECT key, generation, status FROM flags WHERE tenant_id = $1 ORDER BY key', [tenant]),
    ).toEqual([
      { key: 'checkout-button', generation: '1', status: 'active' },
      { key: 'dark_mode', generation: '1', status: 'active' },
    ]);
    const configs = await query<{ config: { key: string; rollout: { percentage: number } | null } }>(
      'SELECT config FROM flag_configs WHERE tenant_id = $1',
      [tenant],
    );
    expect(configs.find((row) => row.config.key === 'dark_mode')!.config.rollout!.percentage).toBe(5); // the production override

    const key = await apiKeyFromSecret();
    expect(key).toMatch(/^xc_live_[0-9A-Za-z]{43}$/);
    const stored = await query<{ key_hash: Buffer; prefix: string }>(
      'SELECT key_hash, prefix FROM api_keys WHERE tenant_id = $1 AND is_active',
      [tenant],
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]!.key_hash.equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(JSON.stringify(await query('SELECT * FROM api_keys'))).not.toContain(key);

    const audit = await query<{ kind: string; action: string; resource: string }>(
      'SELECT kind, action, resource FROM audit_log WHERE tenant_id = $1 ORDER BY seq',
      [tenant],
    );
    expect(audit.filter((row) => row.kind === 'FeatureFlag')).toEqual(
      expect.arrayContaining([
        { kind: 'FeatureFlag', action: 'create', resource: 'dark-mode' },
        { kind: 'FeatureFlag', action: 'create', resource: 'checkout-button' },
      ]),
    );
    expect(audit.filter((row) => row.kind === 'FeatureFlag')).toHaveLength(2);
    expect(audit.filter((row) => row.action === 'create-api-key')).toHaveLength(1);

    const events = await eventually(
      () =>
        kubectlJson<{ items: { reason: string; regarding: { name: string } }[] }>([
          'get',
          'events.events.k8s.io',
          '-n',
          namespace,
        ]),
      (list) => list.items.some((event) => event.reason === 'Synced' && event.regarding.name === 'dark-mode'),
    );
    expect(
      events.items.some((event) => event.reason === 'Synced' && event.regarding.name === 'production'),
    ).toBe(true);

    const table = await kubectl(['get', 'ff', '-n', namespace]);
    expect(table.out).toMatch(/dark-mode\s+ENABLED\s+25\s+True/);
  });

  it('writes one audit row and one invalidation per generation change, and nothing for a no-op apply', async () => {
    const tenant = await tenantId();
    const before = invalidations.filter((message) => message.tenantId === tenant).length;
    await apply(examples().replace('percentage: 25', 'percentage: 30'));
    await eventually(
      () => resource<{ status?: { observedGeneration?: number } }>('ff/dark-mode'),
      (flag) => flag.status?.observedGeneration === 2,
    );
    await eventually(
      async () => invalidations.filter((message) => message.tenantId === tenant).length,
      (count) => count === before + 1,
    );
    await apply(examples().replace('percentage: 25', 'percentage: 30'));
    await operator.queue.whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const flagAudit = await query(
      'SELECT generation FROM audit_log WHERE tenant_id = $1 AND resource = $2 ORDER BY seq',
      [tenant, 'dark-mode'],
    );
    expect(flagAudit).toEqual([{ generation: '1' }, { generation: '2' }]);
    expect(invalidations.filter((message) => message.tenantId === tenant).length).toBe(before + 1);
  });

  it('serves what it wrote through an evaluator, using the key from the Secret', async () => {
    const key = await apiKeyFromSecret();
    evaluator = await startEvaluator(
      loadEvaluatorConfig({
        DATABASE_URL: databaseUrl(databaseName),
        REDIS_URL: redisUrl(),
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: '0', // not the default 9464: a local `npm start` on the same machine holds that one
        LOG_LEVEL: 'silent',
        DOCS_UI: 'false',
      }),
      pino({ level: 'silent' }),
    );
    const response = await fetch(`${evaluator.url}/ofrep/v1/evaluate/flags/checkout-button`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { email: 'qa-1@x', user_id: 'u' } }),
    });
    expect(await response.json()).toMatchObject({
      key: 'checkout-button',
      value: '#1976d2',
      variant: 'blue',
      reason: 'TARGETING_MATCH',
    });
  });

  it('revokes a key whose entry leaves the spec: row inactive, Secret deleted, evaluator refuses it', async () => {
    const key = await apiKeyFromSecret();
    await apply(examples().replace('  apiKeys:\n    - name: checkout-service\n', '  apiKeys: []\n'));
    await eventually(
      async () =>
        (await kubectl(['get', 'secret', 'production-checkout-service-api-key', '-n', namespace])).ok,
      (exists) => !exists,
    );
    expect(await query('SELECT is_active FROM api_keys WHERE tenant_id = $1', [await tenantId()])).toEqual([
      { is_active: false },
    ]);
    await eventually(
      async () =>
        (
          await fetch(`${evaluator.url}/ofrep/v1/evaluate/flags/checkout-button`, {
            method: 'POST',
            headers: { 'x-api-key': key, 'content-type': 'application/json' },
            body: '{}',
          })
        ).status,
      (status) => status === 401,
    );
  });

  it('archives a deleted flag before letting it go, and the audit chain holds', async () => {
    const tenant = await tenantId();
    expect((await kubectl(['delete', 'ff', 'checkout-button', '-n', namespace, '--timeout=30s'])).ok).toBe(
      true,
    );
    expect(
      await query("SELECT status FROM flags WHERE tenant_id = $1 AND key = 'checkout-button'", [tenant]),
    ).toEqual([{ status: 'archived' }]);
    expect(
      await query(
        "SELECT count(*)::int AS n FROM flag_configs fc JOIN flags f ON f.id = fc.flag_id WHERE f.key = 'checkout-button'",
      ),
    ).toEqual([{ n: 0 }]);
    expect(
      await query(
        "SELECT action FROM audit_log WHERE tenant_id = $1 AND resource = 'checkout-button' ORDER BY seq",
        [tenant],
      ),
    ).toEqual([{ action: 'create' }, { action: 'archive' }]);
    expect(await verifyAuditChain(owner, tenant)).toMatchObject({ ok: true });
  });

  // Regression (hostile-tenant probe, item 4): an Environment deleted and applied again re-activated its row
  // as "not created", so its flags were never written for it again: FLAG_NOT_FOUND until the 5-minute resync,
  // with the status saying Ready and no audit row for the re-creation.
  it('serves the flags of an Environment deleted and applied again, and audits both', async () => {
    await apply(examples());
    await waitReady('environment', 'production');
    expect(
      (await kubectl(['delete', 'environment', 'production', '-n', namespace, '--timeout=30s'])).ok,
    ).toBe(true);
    const tenant = await tenantId();
    expect(
      await query(
        "SELECT count(*)::int AS n FROM flag_configs fc JOIN environments e ON e.id = fc.environment_id WHERE e.tenant_id = $1 AND e.key = 'production'",
        [tenant],
      ),
    ).toEqual([{ n: 0 }]);
    const restored = Date.now();
    await apply(examples());
    await waitReady('environment', 'production');
    const key = await eventually(
      () => apiKeyFromSecret().catch(() => ''),
      (value) => value.startsWith('xc_live_'),
    );
    const answer = await eventually(
      async () => {
        const response = await fetch(`${evaluator.url}/ofrep/v1/evaluate/flags/dark_mode`, {
          method: 'POST',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ context: { user_id: 'u' } }),
        });
        return { status: response.status, body: (await response.json()) as { reason?: string } };
      },
      (result) => result.status === 200,
      10_000,
    );
    expect(answer.body.reason).toBe('SPLIT');
    expect(Date.now() - restored).toBeLessThan(10_000);
    const environmentAudit = await query<{ action: string }>(
      "SELECT action FROM audit_log WHERE tenant_id = $1 AND kind = 'Environment' AND action IN ('create', 'delete') ORDER BY seq",
      [tenant],
    );
    expect(environmentAudit.map((row) => row.action)).toEqual(['create', 'delete', 'create']);
    const status = await resource<{ status: { conditions: { type: string; status: string }[] } }>(
      'environment/production',
    );
    expect(status.status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]),
    );
  });
});
