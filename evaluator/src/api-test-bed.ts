import { afterAll, beforeAll } from '@jest/globals';
import { openEvaluatorTestBed, type EvaluatorTestBed } from '../../tests/support/evaluator-harness.ts';
import {
  putFlag,
  seedApiKey,
  seedEnvironment,
  type SeededEnvironment,
} from '../../tests/support/seed-rows.ts';
import type { RunningEvaluator } from './evaluator-service.ts';

/**
 * The evaluator the API suites call in process (fastify inject): two tenants, shop and bank, each with an
 * environment and a key, and a handful of flags of every shape. Registers its own beforeAll and afterAll.
 */
export interface ApiBed {
  bed: EvaluatorTestBed;
  evaluator: RunningEvaluator;
  shop: SeededEnvironment;
  bank: SeededEnvironment;
  shopKey: string;
  bankKey: string;
  call(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
    key?: string,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> | undefined }>;
}

export function useApiBed(): ApiBed {
  const api = {} as ApiBed;
  api.call = async (method, url, body, headers = {}, key = api.shopKey) => {
    const response = await api.evaluator.app.inject({
      method,
      url,
      headers: {
        'x-api-key': key,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : undefined,
    };
  };

  beforeAll(async () => {
    const bed = await openEvaluatorTestBed();
    api.bed = bed;
    api.shop = await seedEnvironment(bed.owner, 'shop');
    api.bank = await seedEnvironment(bed.owner, 'bank');
    api.shopKey = await seedApiKey(bed.owner, api.shop);
    api.bankKey = await seedApiKey(bed.owner, api.bank);
    await putFlag(bed.owner, api.shop, 'dark-mode', { rollout: { percentage: 100 } });
    await putFlag(bed.owner, api.shop, 'banner', {
      variants: { a: 'Hello', b: 'Hi' },
      defaultVariant: 'a',
      targeting: { if: [{ '==': [{ var: 'plan' }, 'gold'] }, 'b'] },
    });
    await putFlag(bed.owner, api.shop, 'limits', {
      variants: { small: { max: 1 }, big: { max: 100 } },
      defaultVariant: 'big',
      metadata: { team: 'core' },
    });
    await putFlag(bed.owner, api.shop, 'kill', {
      state: 'DISABLED',
      variants: { on: true, off: false },
      defaultVariant: 'on',
    });
    await putFlag(bed.owner, api.bank, 'vault', {
      variants: { open: 'yes', shut: 'no' },
      defaultVariant: 'shut',
    });
    api.evaluator = await bed.start();
  });

  afterAll(() => api.bed.close());
  return api;
}
