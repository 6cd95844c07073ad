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
