import { kubectl } from '../../tests/support/kubectl.ts';
import { freshDatabase } from '../../tests/support/test-database.ts';
import { E2EStack, type E2EStackOptions } from '../../tests/e2e/e2e-stack.ts';
import { percentile } from './results.ts';

/** An end-to-end stack with two evaluator processes on a database of the bench's own. */
export function benchStack(bench: string, options: E2EStackOptions = {}): Promise<E2EStack> {
  const name = `xc_bench_${bench}_${Date.now().toString(36)}`;
  return E2EStack.start({
    evaluators: 2,
    ...options,
    database: async () => {
      const database = await freshDatabase(name);
      await database.owner.end();
      return { name, url: database.url, drop: database.drop };
    },
  });
}

/** What one evaluator answers for `flag` and user-123, over OFREP. */
export async function servedValue(url: string, key: string, flag: string): Promise<unknown> {
  const response = await fetch(`${url}/ofrep/v1/evaluate/flags/${flag}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: 'user-123' } }),
  });
  return ((await response.json()) as { value?: unknown }).value;
}

export const latencySummary = (values: number[]) => ({
  p50: Math.round(percentile(values, 50)),
  p99: Math.round(percentile(values, 99)),
  max: Math.round(Math.max(...values)),
});

/**
 * Milliseconds from `sentAt` until every evaluator of `stack` answers `expected` for `flag`, polling every
 * `pauseMs` (0: at once again); throws past `timeoutMs`.
 */
export async function untilServed(
  stack: E2EStack,
  key: string,
  flag: string,
  expected: unknown,
  sentAt: number,
  timeoutMs: number,
  pauseMs = 0,
): Promise<number> {
  for (;;) {
    const values = await Promise.all(
      stack.evaluators.map((evaluator) => servedValue(evaluator.url, key, flag)),
    );
    if (values.every((value) => value === expected)) return performance.now() - sentAt;
    if (performance.now() - sentAt > timeoutMs) throw new Error(`${flag} not served after ${timeoutMs} ms`);
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

/** Waits until the FeatureFlag's Propagated condition is True (`kubectl wait`, 60 s). */
export async function waitPropagated(stack: E2EStack, name: string): Promise<void> {
  const waited = await kubectl([
    'wait',
    '--for=condition=Propagated',
    `featureflag/${name}`,
    '-n',
    stack.namespace,
    '--timeout=60s',
  ]);
  if (!waited.ok) throw new Error(waited.out);
}
