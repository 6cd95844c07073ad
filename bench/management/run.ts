// bench/management: writes through the management API, and how long until every evaluator serves them.
//   For each of N successive writes (PATCH /api/v1/flags/bench with a JWT, alternating 0 % and 100 %):
//   - answered: the PATCH's own latency (the write reaches the API server; the operator's reconcile of the
//     write before it is awaited, so each write is one generation and one audit row);
//   - served by all: from sending the PATCH until both evaluator processes answer the new value.
// Usage: npm run bench:management [-- --writes 200]
import { cpus } from 'node:os';
import { callManagement, managementEnv, managementToken } from '../../tests/support/management-client.ts';
import { environmentManifest } from '../../tests/e2e/e2e-stack.ts';
import { benchStack, latencySummary, untilServed, waitPropagated } from '../support/served.ts';
import { arg } from '../support/cli.ts';
import { recordResults } from '../support/results.ts';
import {
  ensureControlPlane,
  ensureServices,
  stopControlPlane,
  stopServices,
} from '../support/test-infrastructure.ts';

const WRITES = arg('writes', 200);

const services = ensureServices();
const controlPlane = ensureControlPlane();
const stack = await benchStack('management', {
  operatorEnv: { ...managementEnv(), KUBECONFIG: process.env.XC_OPERATOR_KUBECONFIG! },
});

try {
  await stack.apply(environmentManifest());
  const key = await stack.apiKey();
  const token = await managementToken('bench-writer', { [stack.namespace]: 'editor' }, { expires: '2h' });
  const api = (method: string, path: string, body: unknown) =>
    callManagement(stack.operators[0]!.url, method, path, { token, tenant: stack.namespace, body });
  const created = await api('POST', '/api/v1/flags?wait=propagated', { key: 'bench', rollout_percentage: 0 });
  if (created.status !== 201)
    throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
  await waitPropagated(stack, 'bench');

  const answered: number[] = [];
  const served: number[] = [];
  for (let i = 1; i <= WRITES; i++) {
    const expected = i % 2 === 1;
    const sentAt = performance.now();
    const written = await api('PATCH', '/api/v1/flags/bench', { rollout_percentage: expected ? 100 : 0 });
    if (written.status !== 200)
      throw new Error(`write ${i} answered ${written.status}: ${JSON.stringify(written.body)}`);
    answered.push(performance.now() - sentAt);
    served.push(await untilServed(stack, key, 'bench', expected, sentAt, 10_000));
  }

  const figures = { writes: WRITES, answered: latencySummary(answered), served: latencySummary(served) };
  console.log(
    `bench/management on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}: kube-apiserver, etcd, Postgres, Redis, the operator and 2 evaluator processes on this machine`,
  );
  console.table([
    {
      measure: `PATCH answered (${WRITES} writes)`,
      'p50 ms': figures.answered.p50,
      'p99 ms': figures.answered.p99,
      'max ms': figures.answered.max,
      target: '',
    },
    {
      measure: 'PATCH sent → served by both evaluators',
      'p50 ms': figures.served.p50,
      'p99 ms': figures.served.p99,
      'max ms': figures.served.max,
      target: 'p99 < 300 ms',
    },
  ]);
  recordResults('management', figures);
} finally {
  await stack.stop();
  if (controlPlane.started) stopControlPlane();
  if (services.started) stopServices();
}
