import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kubectl, kubectlJson } from '../support/kubectl.ts';
import { E2EStack, environmentManifest, flagManifest } from './e2e-stack.ts';

// End to end: kubectl apply → operator → Postgres and Redis → two evaluator processes, and the Propagated
// condition that tells the user when every evaluator serves the change.

let stack: E2EStack;
let key: string;

beforeAll(async () => {
  stack = await E2EStack.start({ evaluators: 2 });
  await stack.apply(environmentManifest());
  await stack.apply(flagManifest('rollout', 0));
  key = await stack.apiKey();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function served(url: string): Promise<unknown> {
  const response = await fetch(`${url}/ofrep/v1/evaluate/flags/rollout`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: 'user-123' } }),
  });
  return ((await response.json()) as { value?: unknown }).value;
}

const waitPropagated = () =>
  kubectl([
    'wait',
    '--for=condition=Propagated',
    'featureflag/rollout',
    '-n',
    stack.namespace,
    '--timeout=30s',
  ]);

describe('Propagated', () => {
  it('turns True once every evaluator serves the generation, and kubectl wait returns then', async () => {
    expect((await waitPropagated()).ok).toBe(true);
    expect(await Promise.all(stack.evaluators.map((evaluator) => served(evaluator.url)))).toEqual([
      false,
      false,
    ]);
    for (const percentage of [100, 0, 100]) {
      await stack.apply(flagManifest('rollout', percentage));
      const waited = await waitPropagated();
      expect(waited.ok).toBe(true);
      const expected = percentage === 100;
      expect(await Promise.all(stack.evaluators.map((evaluator) => served(evaluator.url)))).toEqual([
        expected,
        expected,
      ]);
    }
    const flag = await kubectlJson<{
      metadata: { generation: number };
      status: {
        conditions: {
          type: string;
          status: string;
          reason: string;
          message: string;
          observedGeneration: number;
        }[];
      };
    }>(['get', 'featureflag', 'rollout', '-n', stack.namespace]);
    expect(flag.status.conditions.find((condition) => condition.type === 'Propagated')).toMatchObject({
      status: 'True',
      reason: 'Served',
      message: 'served by 2 live evaluator(s)',
      observedGeneration: flag.metadata.generation,
    });
  }, 60_000);

  it('is False while an evaluator that is alive has not caught up', async () => {
    // A third replica reporting an old revision, as a stuck evaluator would.
    const { Redis } = await import('ioredis');
    const redis = new Redis(stack.redis.url);
    const environmentId = (
      await (
        await stack.owner()
      ).query<{ id: string }>('SELECT id FROM environments WHERE key = $1', ['production'])
    ).rows[0]!.id;
    const stuck = () =>
      redis.hset(`xc:served:${environmentId}`, 'stuck', JSON.stringify({ revision: 0, at: Date.now() }));
    await stuck();
    const heartbeat = setInterval(() => void stuck(), 500);
    try {
      await stack.apply(flagManifest('rollout', 50));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const flag = await kubectlJson<{
        status: { conditions: { type: string; status: string; reason: string }[] };
      }>(['get', 'featureflag', 'rollout', '-n', stack.namespace]);
      expect(flag.status.conditions.find((condition) => condition.type === 'Propagated')).toMatchObject({
        status: 'False',
        reason: 'Propagating',
      });
    } finally {
      clearInterval(heartbeat);
      await redis.hdel(`xc:served:${environmentId}`, 'stuck');
      redis.disconnect();
    }
    expect((await waitPropagated()).ok).toBe(true);
  }, 60_000);
});
