import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import autocannon from 'autocannon';
import { loadConfig } from '../../evaluator/src/config.ts';
import { eventually } from '../support/eventually.ts';
import { E2EStack, flagManifest } from './e2e-stack.ts';

// Per-key rate limits as a workload meets them: the release default lets a busy service through one replica
// untouched; a key's declared limit answers 429 with Retry-After past it, and changes with the Environment,
// without a restart.

const DEFAULT_PER_SECOND = loadConfig({ DATABASE_URL: 'postgres://unused' }).RATE_LIMIT_PER_SECOND;
let stack: E2EStack;

const environment = (limit: number | null) => `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production }
spec:
  apiKeys:
    - { name: busy }
    - { name: limited${limit === null ? '' : `, rateLimit: ${limit}`} }
`;

/** `count` evaluations with `key` at once; the statuses and the Retry-After of a refusal. */
async function burst(key: string, count: number) {
  const startedIn = Math.floor(Date.now() / 1000);
  const answers = await Promise.all(
    Array.from({ length: count }, () =>
      fetch(`${stack.evaluators[0]!.url}/ofrep/v1/evaluate/flags/checkout`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: '{"context":{"targetingKey":"u"}}',
      }),
    ),
  );
  const refused = answers.filter((answer) => answer.status === 429);
  return {
    /** One-second windows the burst spanned: a limit of N lets N a window through. */
    windows: Math.floor(Date.now() / 1000) - startedIn + 1,
    ok: answers.filter((answer) => answer.status === 200).length,
    refused: refused.length,
    retryAfter: refused.map((answer) => Number(answer.headers.get('retry-after'))),
  };
}

beforeAll(async () => {
  stack = await E2EStack.start({
    evaluators: 1,
    evaluatorEnv: { RATE_LIMIT_PER_SECOND: String(DEFAULT_PER_SECOND), LOG_LEVEL: 'warn' },
  });
  await stack.apply(environment(20));
  await stack.apply(flagManifest('checkout', 50));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('per-key rate limits', () => {
  it('let 5,000 evaluations a second on one key through one replica with the defaults', async () => {
    const key = await stack.apiKey('production', 'busy');
    await eventually(
      () => burst(key, 1),
      (answer) => answer.ok === 1,
    );
    const result = await new Promise<autocannon.Result>((resolve, reject) =>
      autocannon(
        {
          url: `${stack.evaluators[0]!.url}/ofrep/v1/evaluate/flags/checkout`,
          method: 'POST',
          connections: 20,
          overallRate: 5000,
          duration: 5,
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: '{"context":{"targetingKey":"u"}}',
        },
        (error, done) => (error ? reject(error) : resolve(done)),
      ),
    );
    process.stdout.write(
      `one key, default limit ${DEFAULT_PER_SECOND}/s: ${Math.round(result.requests.total / 5)} evaluations/s ` +
        `offered at 5000/s, ${result.non2xx} refused, ${result.errors} errors\n`,
    );
    expect(result.requests.total).toBeGreaterThan(5000);
    expect(result.non2xx + result.errors + result.timeouts).toBe(0);
  }, 60_000);

  it('answer 429 with Retry-After past a declared limit, and follow the Environment without a restart', async () => {
    const key = await stack.apiKey('production', 'limited');
    const limited = await eventually(
      () => burst(key, 100),
      (answer) => answer.ok > 0 && answer.refused > 0,
    );
    // Counted in one-second windows: the limit gets through in each window the burst spanned.
    expect(limited.ok).toBeLessThanOrEqual(20 * limited.windows);
    expect(limited.retryAfter.every((seconds) => seconds >= 1)).toBe(true);

    await stack.apply(environment(10_000));
    await eventually(
      () => burst(key, 100),
      (answer) => answer.refused === 0,
    );
    await stack.apply(environment(5));
    const tightened = await eventually(
      () => burst(key, 100),
      (answer) => answer.ok <= 5 * answer.windows && answer.refused > 0,
    );
    expect(tightened.refused).toBeGreaterThanOrEqual(100 - 5 * tightened.windows);
  }, 90_000);
});
