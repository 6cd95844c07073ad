// bench/propagation: kubectl-style changes to a FeatureFlag, and how long until every evaluator serves them.
//   For each of N successive changes (a merge patch through the API server, alternating 0 % and 100 %):
//   - served by all: from sending the patch until both evaluator processes answer the new value;
//   - Propagated: until the FeatureFlag's Propagated condition is True for the new generation.
//   Then the same with the stack's Redis killed: changes arrive through the evaluators' revision poll.
// Usage: npm run bench:propagation [-- --changes 200 --redis-down-changes 3]
import { arg } from '../support/cli.ts';
import { cpus } from 'node:os';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../core/src/index.ts';
import { environmentManifest, flagManifest } from '../../tests/e2e/e2e-stack.ts';
import { benchStack, latencySummary, untilServed, waitPropagated } from '../support/served.ts';
import { recordResults } from '../support/results.ts';
import {
  ensureControlPlane,
  ensureServices,
  stopControlPlane,
  stopServices,
} from '../support/test-infrastructure.ts';

const CHANGES = arg('changes', 200);
const REDIS_DOWN_CHANGES = arg('redis-down-changes', 3);

const services = ensureServices();
const controlPlane = ensureControlPlane();
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const custom = kubeConfig.makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const stack = await benchStack('propagation');

async function propagatedGeneration(): Promise<number | null> {
  const flag = (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: stack.namespace,
    plural: 'featureflags',
    name: 'bench',
  })) as { status?: { conditions?: { type: string; status: string; observedGeneration: number }[] } };
  const condition = flag.status?.conditions?.find(
    (each) => each.type === 'Propagated' && each.status === 'True',
  );
  return condition?.observedGeneration ?? null;
}

/** One change through the API server, as kubectl would send it; returns the new generation. */
async function patch(percentage: number): Promise<number> {
  const patched = (await custom.patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      namespace: stack.namespace,
      plural: 'featureflags',
      name: 'bench',
      body: { spec: { rollout: { percentage } } },
    },
    mergePatch,
  )) as { metadata: { generation: number } };
  return patched.metadata.generation;
}

/** Sends one change and measures until every evaluator serves it, and until Propagated says so. */
async function change(
  key: string,
  percentage: number,
  timeoutMs: number,
): Promise<{ served: number; propagated: number }> {
  const sentAt = performance.now();
  const generation = await patch(percentage);
  const served = await untilServed(stack, key, 'bench', percentage === 100, sentAt, timeoutMs);
  let propagated = 0;
  while (!propagated) {
    if ((await propagatedGeneration()) === generation) propagated = performance.now() - sentAt;
    else if (performance.now() - sentAt > timeoutMs) throw new Error(`not Propagated after ${timeoutMs} ms`);
    else await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { served, propagated };
}

try {
  await stack.apply(environmentManifest());
  await stack.apply(flagManifest('bench', 0));
  const key = await stack.apiKey();
  await waitPropagated(stack, 'bench');

  const withRedis: { served: number; propagated: number }[] = [];
  for (let i = 1; i <= CHANGES; i++) withRedis.push(await change(key, i % 2 ? 100 : 0, 10_000));

  await stack.redis.kill();
  const withoutRedis: number[] = [];
  for (let i = 1; i <= REDIS_DOWN_CHANGES; i++) {
    const sentAt = performance.now();
    const percentage = (CHANGES + i) % 2 ? 100 : 0;
    await patch(percentage);
    // Bounded by the evaluators' 30 s revision poll; no Propagated without Redis to read it from.
    withoutRedis.push(await untilServed(stack, key, 'bench', percentage === 100, sentAt, 60_000, 20));
  }

  const served = latencySummary(withRedis.map((each) => each.served));
  const propagated = latencySummary(withRedis.map((each) => each.propagated));
  const redisDown = latencySummary(withoutRedis);
  console.log(
    `bench/propagation on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}: kube-apiserver, etcd, Postgres, Redis, the operator and 2 evaluator processes on this machine`,
  );
  console.table([
    {
      measure: `patch → served by both evaluators (${CHANGES} changes)`,
      'p50 ms': served.p50,
      'p99 ms': served.p99,
      'max ms': served.max,
      target: 'p99 < 500 ms',
    },
    {
      measure: 'patch → Propagated=True',
      'p50 ms': propagated.p50,
      'p99 ms': propagated.p99,
      'max ms': propagated.max,
      target: '',
    },
    {
      measure: `Redis killed: patch → served by both (${REDIS_DOWN_CHANGES} changes)`,
      'p50 ms': redisDown.p50,
      'p99 ms': redisDown.p99,
      'max ms': redisDown.max,
      target: '<= 30 s poll',
    },
  ]);
  recordResults('propagation', {
    changes: CHANGES,
    served,
    propagated,
    redisDownChanges: REDIS_DOWN_CHANGES,
    redisDown,
  });
} finally {
  await stack.stop();
  if (controlPlane.started) stopControlPlane();
  if (services.started) stopServices();
}
