import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  openEvaluatorTestBed,
  redisUrl,
  type EvaluatorTestBed,
} from '../../tests/support/evaluator-harness.ts';
import {
  announce,
  putFlag,
  seedApiKey,
  seedEnvironment,
  type SeededEnvironment,
} from '../../tests/support/seed-rows.ts';
import { TcpProxy } from '../../tests/support/tcp-proxy.ts';
import { adminUrl } from '../../tests/support/test-database.ts';
import type { RunningEvaluator } from './evaluator-service.ts';

let bed: EvaluatorTestBed;
let shop: SeededEnvironment;
let key: string;

async function served(evaluator: RunningEvaluator): Promise<unknown> {
  const response = await fetch(`${evaluator.url}/ofrep/v1/evaluate/flags/banner`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: 'u1' } }),
  });
  if (response.status !== 200) throw new Error(`evaluation failed with ${response.status}`);
  return ((await response.json()) as { value: unknown }).value;
}

/** Milliseconds until every evaluator serves `value`, polling every millisecond; throws after `limitMs`. */
async function timeUntilServed(
  evaluators: RunningEvaluator[],
  value: string,
  limitMs: number,
): Promise<number> {
  const start = performance.now();
  const pending = new Set(evaluators);
  while (pending.size > 0) {
    for (const evaluator of [...pending]) if ((await served(evaluator)) === value) pending.delete(evaluator);
    if (performance.now() - start > limitMs) throw new Error(`not served within ${limitMs} ms`);
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return performance.now() - start;
}

async function change(value: string): Promise<number> {
  return putFlag(bed.owner, shop, 'banner', {
    variants: { a: 'first', b: 'second', c: 'third', d: 'fourth', e: 'fifth' },
    defaultVariant: value,
  });
}

beforeAll(async () => {
  bed = await openEvaluatorTestBed();
  shop = await seedEnvironment(bed.owner, 'shop');
  key = await seedApiKey(bed.owner, shop);
  await change('a');
});

afterAll(() => bed.close());

describe('propagation to two evaluators', () => {
  // The push path, not the 30 s revision poll: tens of milliseconds at rest (bench:propagation measures it);
  // the bound leaves a slow machine under the whole suite room, and is still far below the poll.
  it('serves a change announced on Redis on both, long before the revision poll', async () => {
    const evaluators = [await bed.start(), await bed.start()];
    expect(await served(evaluators[0]!)).toBe('first');
    const revision = await change('b');
    await announce(bed.redis, { tenantId: shop.tenantId, environmentId: shop.environmentId, revision });
    const servedMs = await timeUntilServed(evaluators, 'second', 3000);
    console.log(`a change announced on Redis was served by both evaluators in ${servedMs.toFixed(1)} ms`);
    await Promise.all(evaluators.map((evaluator) => evaluator.stop()));
    bed.evaluators.length = 0;
  });
});

describe('faults', () => {
  const postgresUrl = new URL(adminUrl());
  const redis = new URL(redisUrl());
  const pgProxy = new TcpProxy({ host: postgresUrl.hostname, port: Number(postgresUrl.port) });
  const redisProxy = new TcpProxy({ host: redis.hostname, port: Number(redis.port) });
  let evaluators: RunningEvaluator[];

  beforeAll(async () => {
    await Promise.all([pgProxy.start(), redisProxy.start()]);
    const through = (url: string, port: number) =>
      Object.assign(new URL(url), { port: String(port) }).toString();
    const overrides = {
      DATABASE_URL: through(bed.db.url, pgProxy.port),
      REDIS_URL: through(redisUrl(), redisProxy.port),
      REVISION_POLL_INTERVAL_MS: '1000',
    };
    evaluators = [await bed.start(overrides), await bed.start(overrides)];
  });

  afterAll(async () => {
    await Promise.all(evaluators.map((evaluator) => evaluator.stop()));
    bed.evaluators.length = 0;
    await Promise.all([pgProxy.cut(), redisProxy.cut()]);
  });

  it('with Redis gone, picks a change up within the revision poll', async () => {
    await redisProxy.cut();
    const revision = await change('c');
    await announce(bed.redis, { tenantId: shop.tenantId, environmentId: shop.environmentId, revision }); // lost: they cannot hear it
    const elapsed = await timeUntilServed(evaluators, 'third', 5000);
    expect(elapsed).toBeLessThan(5000);
    await redisProxy.restore();
  });

  it('with Postgres and Redis gone, keeps answering from memory', async () => {
    await Promise.all([pgProxy.cut(), redisProxy.cut()]);
    const deadline = performance.now() + 3000; // three revision polls fail meanwhile
    let answered = 0;
    while (performance.now() < deadline) {
      for (const evaluator of evaluators) {
        expect(await served(evaluator)).toBe('third');
        answered++;
      }
    }
    expect(answered).toBeGreaterThan(100);
    await Promise.all([pgProxy.restore(), redisProxy.restore()]);
  });

  it('recovers when both come back: the next change arrives again', async () => {
    const revision = await change('d');
    await announce(bed.redis, { tenantId: shop.tenantId, environmentId: shop.environmentId, revision });
    expect(await timeUntilServed(evaluators, 'fourth', 5000)).toBeLessThan(5000);
  });
});
