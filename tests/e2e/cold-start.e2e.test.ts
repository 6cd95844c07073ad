import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { LAST_GOOD_ENVIRONMENTS_KEY, LAST_GOOD_KEY_RING_KEY, rolloutBucket } from '../../core/src/index.ts';
import { auditLosses, featureFlagAuditRows, loadFigures, recordChaosCase } from '../support/chaos-figures.ts';
import { eventually } from '../support/eventually.ts';
import { E2EStack, environmentManifest, flagManifest, type ProcessHandle } from './e2e-stack.ts';

// A new evaluator replica started while Postgres is down (a node drained during a database failover): it
// becomes ready from the last good snapshots and key ring other replicas left in Redis, serves every
// environment under load without a failed evaluation, and catches up once Postgres returns. With neither a
// database nor a snapshot it stays not ready. The first case's figures go to tests/support/chaos-figures.ts for
// bench/chaos.

const FLAGS = 3;
const USERS = Array.from({ length: 20 }, (_, index) => `user-${index}`);
let stack: E2EStack;
const keys: string[] = [];

const percentageOf = (tenant: number, flag: number, round: number) =>
  (tenant * 31 + flag * 17 + round * 7) % 101;

async function applyRound(round: number): Promise<void> {
  for (const [tenant, namespace] of stack.namespaces.entries())
    for (let flag = 0; flag < FLAGS; flag++)
      await stack.apply(flagManifest(`flag-${flag}`, percentageOf(tenant, flag, round)), namespace);
}

/** Whether `evaluator` answers, for every tenant, flag and user, what round `round`'s manifests imply. */
async function servesRound(evaluator: ProcessHandle, round: number): Promise<boolean> {
  for (const [tenant, key] of keys.entries())
    for (const user of USERS) {
      const response = await fetch(`${evaluator.url}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ context: { targetingKey: user } }),
      }).catch(() => null);
      if (response?.status !== 200) return false;
      const { flags } = (await response.json()) as { flags: { key: string; value: unknown }[] };
      for (let flag = 0; flag < FLAGS; flag++) {
        const wanted = rolloutBucket(user, `flag-${flag}`) < percentageOf(tenant, flag, round);
        if (flags.find((each) => each.key === `flag-${flag}`)?.value !== wanted) return false;
      }
    }
  return true;
}

const readiness = async (evaluator: ProcessHandle) =>
  (await fetch(`${evaluator.url}/readyz`).catch(() => null))?.status ?? 0;

/** Single evaluations with every tenant's key, `connections` at a time, for `seconds`. */
async function load(evaluator: ProcessHandle, seconds: number) {
  const startedAt = performance.now();
  const results = await Promise.all(
    keys.map(
      (key) =>
        new Promise<autocannon.Result>((resolve, reject) =>
          autocannon(
            {
              url: `${evaluator.url}/ofrep/v1/evaluate/flags/flag-0`,
              method: 'POST',
              connections: 4,
              duration: seconds,
              headers: { 'content-type': 'application/json', 'x-api-key': key },
              body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
            },
            (error, result) => (error ? reject(error) : resolve(result)),
          ),
        ),
    ),
  );
  return loadFigures(results, performance.now() - startedAt);
}

beforeAll(async () => {
  stack = await E2EStack.start({ evaluators: 1, tenants: 2, pollIntervalMs: 2000 });
  for (const namespace of stack.namespaces) await stack.apply(environmentManifest(), namespace);
  await applyRound(0);
  for (const namespace of stack.namespaces) keys.push(await stack.apiKey('production', 'service', namespace));
  await eventually(
    () => servesRound(stack.evaluators[0]!, 0),
    (ok) => ok,
    60_000,
  );
}, 120_000);

afterAll(async () => {
  await stack?.postgres.restore().catch(() => undefined);
  await stack?.stop();
});

describe('an evaluator started while Postgres is down', () => {
  it('serves every environment from Redis with no failed evaluation, then catches up', async () => {
    const owner = await stack.owner();
    const auditedBefore = await featureFlagAuditRows(owner);
    let during: Awaited<ReturnType<typeof load>>;
    let restoredAt: number;
    await stack.postgres.cut();
    try {
      const fresh = await stack.startEvaluator();
      expect(await readiness(fresh)).toBe(200);
      expect(await servesRound(fresh, 0)).toBe(true);
      during = await load(fresh, 5);
      expect(during.answered).toBeGreaterThan(100);
      expect(during.failedEvaluations).toBe(0);
      expect(fresh.output()).toContain('serving the last good state from Redis');
    } finally {
      await stack.postgres.restore();
      restoredAt = performance.now();
    }
    await applyRound(1);
    for (const evaluator of stack.evaluators)
      await eventually(
        () => servesRound(evaluator, 1),
        (ok) => ok,
        60_000,
      );
    const convergeMs = Math.round(performance.now() - restoredAt);
    const losses = await auditLosses(owner, stack.namespaces);
    recordChaosCase({
      fault: 'Postgres stopped, a fresh evaluator started from Redis',
      load: during.load,
      failedEvaluations: during.failedEvaluations,
      lostAuditRows: losses.reduce((sum, loss) => sum + loss.lost, 0),
      convergeMs,
      changes: stack.namespaces.length * FLAGS,
      auditRows: (await featureFlagAuditRows(owner)) - auditedBefore,
      evaluators: stack.evaluators.length,
    });
    expect(losses).toEqual([]);
  }, 180_000);

  it('serves nothing a Redis writer without the release secret forged', async () => {
    const redis = new Redis(stack.redis.url);
    await stack.postgres.cut();
    try {
      const forgedKey = 'xc_live_' + 'f'.repeat(32);
      const keyHash = createHash('sha256').update(forgedKey).digest('hex');
      const [environmentId, raw] = Object.entries(await redis.hgetall(LAST_GOOD_ENVIRONMENTS_KEY))[0]!;
      const { tenantId } = JSON.parse(raw) as { tenantId: string };
      await redis.set(
        LAST_GOOD_KEY_RING_KEY,
        JSON.stringify([{ keyHash, apiKeyId: 'forged', tenantId, environmentId, kind: 'server' }]),
      );
      const fresh = await stack.startEvaluator();
      expect(await readiness(fresh)).toBe(503);
      expect(fresh.output()).toContain('not sealed by this release');
    } finally {
      redis.disconnect();
      await stack.postgres.restore();
    }
  }, 120_000);

  it('stays not ready when Redis holds no snapshot either', async () => {
    const redis = new Redis(stack.redis.url);
    await stack.postgres.cut();
    try {
      await redis.flushall();
      const fresh = await stack.startEvaluator();
      for (let check = 0; check < 5; check++) {
        expect(await readiness(fresh)).toBe(503);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      redis.disconnect();
      await stack.postgres.restore();
    }
    const last = stack.evaluators.at(-1)!;
    await eventually(
      () => readiness(last),
      (status) => status === 200,
      60_000,
    );
  }, 120_000);
});
