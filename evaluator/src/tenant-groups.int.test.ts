import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { lastGoodEnvironmentsKey } from '../../core/src/index.ts';
import { inProcessOperatorConfig } from '../../operator/src/testing/in-process-config.ts';
import { startOperator, type RunningOperator } from '../../operator/src/operator-service.ts';
import { redisUrl } from '../../tests/support/evaluator-harness.ts';
import { eventually } from '../../tests/support/eventually.ts';
import { apiKeyInSecret, kubectl, releaseNamespace, waitForCondition } from '../../tests/support/kubectl.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/test-database.ts';
import { loadConfig } from './config.ts';
import { startEvaluator, type RunningEvaluator } from './evaluator-service.ts';
import { tenantGroupOf } from './snapshots/tenant-group.ts';

// Evaluator groups against the real kube-apiserver, Postgres and Redis, with the operator in process: two
// evaluators with different TENANT_SELECTORs each serve only the tenants whose namespace labels match, changes
// reach the group serving the tenant, and relabelling a namespace moves its tenant without a restart. The
// revision poll is set far beyond every wait here, so what these tests see came through Redis.

const suffix = randomUUID().slice(0, 8);
const LABEL = `xc-groups-${suffix}/tier`;
const GOLD = `${LABEL}=gold`;
const STANDARD = `${LABEL},${LABEL} notin (gold)`;
const tenants = { alpha: `xc-alpha-${suffix}`, beta: `xc-beta-${suffix}`, gamma: `xc-gamma-${suffix}` };
const NO_POLL_MS = '600000';
/** Generous for a slow, shared machine; far below NO_POLL_MS. */
const WAIT_MS = 20_000;

let db: TestDatabase;
let operator: RunningOperator;
let gold: RunningEvaluator;
let standard: RunningEvaluator;
let redis: Redis;
const keys: Record<string, string> = {};

const manifest = (namespace: string, value: string) => `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production, namespace: ${namespace} }
spec:
  default: true
  apiKeys: [{ name: app }]
---
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: banner, namespace: ${namespace} }
spec:
  variants: { shown: '${value}', hidden: 'none' }
  defaultVariant: shown
`;

async function apply(text: string): Promise<void> {
  const result = await kubectl(['apply', '-f', '-'], text);
  if (!result.ok) throw new Error(result.out);
}

async function label(namespace: string, tier: string): Promise<void> {
  const result = await kubectl(['label', 'namespace', namespace, `${LABEL}=${tier}`, '--overwrite']);
  if (!result.ok) throw new Error(result.out);
}

/** What `evaluator` answers for the banner with the key of `tenant`: the value, or the status when not 200. */
async function banner(evaluator: RunningEvaluator, tenant: keyof typeof tenants): Promise<string | number> {
  const response = await fetch(`${evaluator.url}/ofrep/v1/evaluate/flags/banner`, {
    method: 'POST',
    headers: { 'x-api-key': keys[tenant]!, 'content-type': 'application/json' },
    body: JSON.stringify({ context: {} }),
  });
  if (response.status !== 200) return response.status;
  return ((await response.json()) as { value: string }).value;
}

const startGroup = (selector: string, replica: string, databaseUrl = db.url) =>
  startEvaluator(
    loadConfig({
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl(),
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
      DOCS_UI: 'false',
      REPLICA_ID: replica,
      TENANT_SELECTOR: selector,
      REVISION_POLL_INTERVAL_MS: NO_POLL_MS,
      STREAM_TOKEN_SECRET: 'a'.repeat(32),
    }),
    pino({ level: 'silent' }),
  );

beforeAll(async () => {
  db = await createTestDatabase();
  redis = new Redis(redisUrl());
  for (const [tenant, namespace] of Object.entries(tenants)) {
    if (tenant === 'gamma') continue; // comes later
    expect((await kubectl(['create', 'namespace', namespace])).ok).toBe(true);
    await label(namespace, tenant === 'alpha' ? 'gold' : 'standard');
  }
  operator = await startOperator(
    inProcessOperatorConfig(db.url, { WATCH_NAMESPACES: Object.values(tenants).join(',') }),
    pino({ level: process.env.XC_DEBUG_LEVEL ?? 'silent' }),
  );
  for (const [tenant, namespace] of Object.entries(tenants)) {
    if (tenant === 'gamma') continue;
    await apply(manifest(namespace, `${tenant}-1`));
    await waitForCondition('environment/production', namespace);
    await waitForCondition('featureflag/banner', namespace);
    keys[tenant] = await apiKeyInSecret('production-app-api-key', namespace);
  }
  // The labels were recorded before the evaluators start: each starts with its own tenants.
  await eventually(countRecorded, (count) => count === 2);
  [gold, standard] = await Promise.all([
    startGroup(GOLD, `gold-${suffix}`),
    startGroup(STANDARD, `std-${suffix}`),
  ]);
}, 120_000);

async function countRecorded(): Promise<number> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const result = await client.query<{ count: string }>(
      'SELECT count(*) FROM namespace_labels WHERE namespace = ANY($1) AND labels ? $2',
      [[tenants.alpha, tenants.beta], LABEL],
    );
    return Number(result.rows[0]!.count);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await Promise.all([gold?.stop(), standard?.stop()]);
  await operator?.stop();
  for (const namespace of Object.values(tenants)) await releaseNamespace(namespace);
  redis?.disconnect();
  await db?.drop();
});

describe('evaluator groups', () => {
  it("serves each group's tenants only: another group's key is refused as an unknown key is", async () => {
    expect(await banner(gold, 'alpha')).toBe('alpha-1');
    expect(await banner(gold, 'beta')).toBe(401);
    expect(await banner(standard, 'beta')).toBe('beta-1');
    expect(await banner(standard, 'alpha')).toBe(401);
    expect(gold.keys.entries().map((key) => key.tenantId)).toEqual([
      gold.snapshots.all().next().value!.tenantId,
    ]);
    expect([...standard.snapshots.all()].map((snapshot) => snapshot.tenantId)).not.toContain(
      [...gold.snapshots.all()][0]!.tenantId,
    );
  });

  it("keeps each group's last good environment list apart in Redis", async () => {
    const listed = async (selector: string) =>
      Object.keys(await redis.hgetall(lastGoodEnvironmentsKey(tenantGroupOf(loadSelector(selector)).id)));
    expect(await listed(GOLD)).toEqual([...gold.snapshots.all()].map((snapshot) => snapshot.environmentId));
    expect(await listed(STANDARD)).toEqual(
      [...standard.snapshots.all()].map((snapshot) => snapshot.environmentId),
    );
  });

  it('brings a change to the group serving its tenant, through Redis', async () => {
    await apply(manifest(tenants.alpha, 'alpha-2'));
    await eventually(
      () => banner(gold, 'alpha'),
      (value) => value === 'alpha-2',
      WAIT_MS,
    );
    await apply(manifest(tenants.beta, 'beta-2'));
    await eventually(
      () => banner(standard, 'beta'),
      (value) => value === 'beta-2',
      WAIT_MS,
    );
    expect(await banner(gold, 'beta')).toBe(401);
  });

  it("starts a group's new replica while Postgres is down from that group's own last good state", async () => {
    const nowhere = 'postgres://xc@127.0.0.1:1/nowhere';
    const [coldGold, coldStandard] = await Promise.all([
      startGroup(GOLD, `gold-cold-${suffix}`, nowhere),
      startGroup(STANDARD, `std-cold-${suffix}`, nowhere),
    ]);
    try {
      expect([await banner(coldGold, 'alpha'), await banner(coldGold, 'beta')]).toEqual(['alpha-2', 401]);
      expect([await banner(coldStandard, 'beta'), await banner(coldStandard, 'alpha')]).toEqual([
        'beta-2',
        401,
      ]);
    } finally {
      await Promise.all([coldGold.stop(), coldStandard.stop()]);
    }
  });

  it('moves a relabelled tenant to the other group without a restart, and its changes follow it', async () => {
    await label(tenants.beta, 'gold');
    await eventually(
      () => banner(gold, 'beta'),
      (value) => value === 'beta-2',
      WAIT_MS,
    );
    await eventually(
      () => banner(standard, 'beta'),
      (value) => value === 401,
      WAIT_MS,
    );
    await apply(manifest(tenants.beta, 'beta-3'));
    await eventually(
      () => banner(gold, 'beta'),
      (value) => value === 'beta-3',
      WAIT_MS,
    );
    expect(await banner(standard, 'alpha')).toBe(401);
  });

  it('serves a tenant that did not exist when the group started, and its changes, without the poll', async () => {
    expect((await kubectl(['create', 'namespace', tenants.gamma])).ok).toBe(true);
    await label(tenants.gamma, 'gold');
    await apply(manifest(tenants.gamma, 'gamma-1'));
    await waitForCondition('environment/production', tenants.gamma);
    keys.gamma = await apiKeyInSecret('production-app-api-key', tenants.gamma);
    await eventually(
      () => banner(gold, 'gamma'),
      (value) => value === 'gamma-1',
      WAIT_MS,
    );
    expect(await banner(standard, 'gamma')).toBe(401);
    // Its first key was found by looking it up; its changes come on its channel, which the group now follows.
    await apply(manifest(tenants.gamma, 'gamma-2'));
    await eventually(
      () => banner(gold, 'gamma'),
      (value) => value === 'gamma-2',
      WAIT_MS,
    );
  });
});

function loadSelector(selector: string) {
  return loadConfig({ DATABASE_URL: 'postgres://localhost/x', TENANT_SELECTOR: selector }).TENANT_SELECTOR;
}
