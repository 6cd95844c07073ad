import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rolloutVectors } from '../../core/test/fixtures.ts';
import { openEvaluatorTestBed, type EvaluatorTestBed } from '../../tests/support/evaluator-harness.ts';
import {
  putFlag,
  seedApiKey,
  seedEnvironment,
  type SeededEnvironment,
} from '../../tests/support/seed-rows.ts';
import type { RunningEvaluator } from './evaluator-service.ts';

let bed: EvaluatorTestBed;
let evaluator: RunningEvaluator;
let shop: SeededEnvironment;
let bank: SeededEnvironment;
let shopKey: string;
let bankKey: string;

async function call(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
  key = shopKey,
) {
  const response = await evaluator.app.inject({
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
}

beforeAll(async () => {
  bed = await openEvaluatorTestBed();
  shop = await seedEnvironment(bed.owner, 'shop');
  bank = await seedEnvironment(bed.owner, 'bank');
  shopKey = await seedApiKey(bed.owner, shop);
  bankKey = await seedApiKey(bed.owner, bank);
  await putFlag(bed.owner, shop, 'dark-mode', { rollout: { percentage: 100 } });
  await putFlag(bed.owner, shop, 'banner', {
    variants: { a: 'Hello', b: 'Hi' },
    defaultVariant: 'a',
    targeting: { if: [{ '==': [{ var: 'plan' }, 'gold'] }, 'b'] },
  });
  await putFlag(bed.owner, shop, 'limits', {
    variants: { small: { max: 1 }, big: { max: 100 } },
    defaultVariant: 'big',
    metadata: { team: 'core' },
  });
  await putFlag(bed.owner, shop, 'kill', {
    state: 'DISABLED',
    variants: { on: true, off: false },
    defaultVariant: 'on',
  });
  await putFlag(bed.owner, bank, 'vault', { variants: { open: 'yes', shut: 'no' }, defaultVariant: 'shut' });
  evaluator = await bed.start();
});

afterAll(() => bed.close());

describe('seed API', () => {
  it('evaluates one flag', async () => {
    expect(
      await call('POST', '/api/v1/evaluate', { flag_key: 'banner', context: { plan: 'gold' } }),
    ).toMatchObject({
      status: 200,
      body: { flag_key: 'banner', enabled: true, value: 'Hi', variant: 'b', reason: 'TARGETING_MATCH' },
    });
    expect((await call('POST', '/api/v1/evaluate', { flag_key: 'kill' })).body).toEqual({
      flag_key: 'kill',
      enabled: false,
      value: null,
      variant: null,
      reason: 'DISABLED',
    });
  });

  it('evaluates every flag, or the ones named, in bulk', async () => {
    const all = await call('POST', '/api/v1/evaluate/bulk', { context: { user_id: 'u1' } });
    expect((all.body!.flags as { flag_key: string }[]).map((flag) => flag.flag_key).sort()).toEqual([
      'banner',
      'dark-mode',
      'kill',
      'limits',
    ]);
    const some = await call('POST', '/api/v1/evaluate/bulk', { flag_keys: ['limits', 'nope'] });
    expect(some.body!.flags).toEqual([
      { flag_key: 'limits', enabled: true, value: { max: 100 }, variant: 'big', reason: 'STATIC' },
      {
        flag_key: 'nope',
        enabled: false,
        value: null,
        variant: null,
        reason: 'ERROR',
        error_code: 'FLAG_NOT_FOUND',
      },
    ]);
  });

  it('serves the compiled config with an ETag and answers 304 to it', async () => {
    const first = await call('GET', '/api/v1/flags/config');
    expect(first.status).toBe(200);
    expect((first.body!.flags as unknown[]).length).toBe(4);
    const again = await call('GET', '/api/v1/flags/config', undefined, {
      'if-none-match': first.headers.etag as string,
    });
    expect(again.status).toBe(304);
  });

  it('answers an unknown flag with a 404 problem', async () => {
    const response = await call('POST', '/api/v1/evaluate', { flag_key: 'missing' });
    expect(response).toMatchObject({
      status: 404,
      headers: { 'content-type': expect.stringContaining('application/problem+json') },
      body: { status: 404, title: 'Flag not found' },
    });
  });

  // Every vector at every percentage is the unit tier's (core/src/evaluation/rollout-vectors.test.ts): 30,000
  // injected requests here timed out on a machine three times slower. Over HTTP, a sample of percentages does.
  it('passes every seed rollout vector through /api/v1/evaluate at a sample of percentages', async () => {
    const flagKeys = [...new Set(rolloutVectors.map((vector) => vector.flag_key))];
    const seeded = await seedEnvironment(bed.owner, 'vectors');
    const key = await seedApiKey(bed.owner, seeded);
    await evaluator.keys.reload();
    for (const percentage of [0, 1, 25, 50, 99, 100]) {
      let revision = 0;
      for (const flagKey of flagKeys)
        revision = await putFlag(bed.owner, seeded, flagKey, { rollout: { percentage } });
      await evaluator.snapshots.ensure(seeded.tenantId, seeded.environmentId, revision);
      const answers = await Promise.all(
        rolloutVectors.map(async (vector) => {
          const response = await call(
            'POST',
            '/api/v1/evaluate',
            { flag_key: vector.flag_key, context: { user_id: vector.user_id } },
            {},
            key,
          );
          return { ...vector, percentage, enabled: response.body!.enabled };
        }),
      );
      expect(answers).toEqual(
        rolloutVectors.map((vector) => ({ ...vector, percentage, enabled: vector.bucket < percentage })),
      );
    }
  }, 120_000);
});

describe('OFREP', () => {
  it('evaluates one flag with OFREP bodies', async () => {
    expect(
      await call('POST', '/ofrep/v1/evaluate/flags/limits', { context: { targetingKey: 'u' } }),
    ).toMatchObject({
      status: 200,
      headers: { 'content-type': expect.stringContaining('application/json') },
      body: {
        key: 'limits',
        value: { max: 100 },
        variant: 'big',
        reason: 'STATIC',
        metadata: { team: 'core' },
      },
    });
  });

  it('answers DISABLED with no value, and accepts a request with no body', async () => {
    const response = await evaluator.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/kill',
      headers: { 'x-api-key': shopKey },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ key: 'kill', reason: 'DISABLED', metadata: {} });
  });

  it('answers FLAG_NOT_FOUND with 404 and the key', async () => {
    expect(await call('POST', '/ofrep/v1/evaluate/flags/missing', { context: {} })).toMatchObject({
      status: 404,
      body: { key: 'missing', errorCode: 'FLAG_NOT_FOUND' },
    });
  });

  it('gives bulk results an ETag that changes with any context attribute, and 304s an unchanged one', async () => {
    const first = await call('POST', '/ofrep/v1/evaluate/flags', {
      context: { targetingKey: 'u', plan: 'free' },
    });
    expect(first.status).toBe(200);
    expect((first.body!.flags as unknown[]).length).toBe(4);
    const etag = first.headers.etag as string;
    expect(
      (
        await call(
          'POST',
          '/ofrep/v1/evaluate/flags',
          { context: { plan: 'free', targetingKey: 'u' } },
          { 'if-none-match': etag },
        )
      ).status,
    ).toBe(304);
    const changed = await call(
      'POST',
      '/ofrep/v1/evaluate/flags',
      { context: { targetingKey: 'u', plan: 'gold' } },
      { 'if-none-match': etag },
    );
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });

  // Regression (hostile-tenant probe, item 9): `If-None-Match: *` got 304 for a client with nothing cached.
  it('answers If-None-Match: * with the flags, not 304', async () => {
    const response = await call(
      'POST',
      '/ofrep/v1/evaluate/flags',
      { context: {} },
      { 'if-none-match': '*' },
    );
    expect(response.status).toBe(200);
    expect((response.body!.flags as unknown[]).length).toBeGreaterThan(0);
  });
});

describe('authentication and tenant isolation', () => {
  it.each([
    ['no key', {}],
    ['a malformed key', { 'x-api-key': 'nope' }],
    ['an unknown key', { 'x-api-key': `xc_live_${'A'.repeat(43)}` }],
    ['a bearer token that is not a key', { authorization: 'Bearer abc' }],
  ])('refuses %s with 401 and no detail', async (_name, headers) => {
    const seed = await evaluator.app.inject({
      method: 'POST',
      url: '/api/v1/evaluate',
      payload: { flag_key: 'banner' },
      headers: { 'x-api-key': '', ...headers },
    });
    expect(seed.statusCode).toBe(401);
    expect(seed.json()).toEqual({
      type: 'https://exclusive-change.io/problems/unauthorized',
      title: 'Unauthorized',
      status: 401,
    });
    const ofrep = await evaluator.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/banner',
      payload: {},
      headers: { 'x-api-key': '', ...headers },
    });
    expect(ofrep.statusCode).toBe(401);
    expect(ofrep.body).toBe('');
  });

  it('accepts the key as a bearer token', async () => {
    const response = await evaluator.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/banner',
      payload: {},
      headers: { authorization: `Bearer ${shopKey}` },
    });
    expect(response.statusCode).toBe(200);
  });

  it("never shows one tenant's flags to another tenant's key", async () => {
    expect((await call('POST', '/ofrep/v1/evaluate/flags/vault', {}, {}, shopKey)).status).toBe(404);
    expect((await call('POST', '/ofrep/v1/evaluate/flags/banner', {}, {}, bankKey)).status).toBe(404);
    expect((await call('POST', '/api/v1/evaluate', { flag_key: 'banner' }, {}, bankKey)).status).toBe(404);
    const bankFlags = await call('POST', '/ofrep/v1/evaluate/flags', {}, {}, bankKey);
    expect((bankFlags.body!.flags as { key: string }[]).map((flag) => flag.key)).toEqual(['vault']);
    const bankConfig = await call('GET', '/api/v1/flags/config', undefined, {}, bankKey);
    expect((bankConfig.body!.flags as { key: string }[]).map((flag) => flag.key)).toEqual(['vault']);
  });
});

describe('bad input', () => {
  const deep = `{"context":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`;
  it.each([
    ['malformed JSON', '/api/v1/evaluate', '{"flag_key":', {}, 400],
    ['a non-string flag key', '/api/v1/evaluate', { flag_key: 42 }, {}, 400],
    ['a missing flag key', '/api/v1/evaluate', { context: {} }, {}, 400],
    ['a context that is not an object', '/api/v1/evaluate', { flag_key: 'banner', context: 'x' }, {}, 400],
    [
      '1,000-deep nesting',
      '/api/v1/evaluate',
      deep.replace('{"context"', '{"flag_key":"banner","context"'),
      {},
      400,
    ],
    [
      'a huge context string',
      '/api/v1/evaluate',
      { flag_key: 'banner', context: { s: 'x'.repeat(10_000) } },
      {},
      400,
    ],
    [
      'an oversized body',
      '/api/v1/evaluate',
      { flag_key: 'banner', context: { s: 'x'.repeat(70_000) } },
      {},
      413,
    ],
    [
      'the wrong content type',
      '/api/v1/evaluate',
      'flag_key=banner',
      { 'content-type': 'application/x-www-form-urlencoded' },
      415,
    ],
  ])('answers %s on /api/v1 with a problem', async (_name, url, body, headers, status) => {
    const response = await call('POST', url, body, headers as Record<string, string>);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({ status, title: expect.any(String) });
  });

  it.each([
    ['malformed JSON', '{"context":'],
    ['1,000-deep nesting', deep],
    ['a context that is not an object', { context: [1, 2] }],
    ['an oversized body', { context: { s: 'x'.repeat(70_000) } }],
  ])('answers %s on OFREP with 400 INVALID_CONTEXT and the key', async (_name, body) => {
    const response = await call('POST', '/ofrep/v1/evaluate/flags/banner', body);
    expect(response).toMatchObject({
      status: 400,
      body: { key: 'banner', errorCode: 'INVALID_CONTEXT', errorDetails: expect.any(String) },
    });
    const bulk = await call('POST', '/ofrep/v1/evaluate/flags', body);
    expect(bulk).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
  });

  it('answers unknown routes with a 404 problem', async () => {
    expect(await call('GET', '/nope')).toMatchObject({ status: 404, body: { title: 'No such route' } });
    expect(await call('DELETE', '/ofrep/v1/evaluate/flags/banner')).toMatchObject({ status: 404 });
  });

  it('keeps floods of random keys away from Postgres', async () => {
    const before = evaluator.keys.databaseLookups;
    const requests = Array.from({ length: 10_000 }, (_, i) =>
      evaluator.app.inject({
        method: 'POST',
        url: '/ofrep/v1/evaluate/flags/banner',
        payload: {},
        headers: { 'x-api-key': `xc_live_${String(i).padStart(43, 'Z')}` },
      }),
    );
    const statuses = new Set((await Promise.all(requests)).map((response) => response.statusCode));
    expect(statuses).toEqual(new Set([401]));
    const lookups = evaluator.keys.databaseLookups - before;
    // The bucket holds 20 look-ups and refills at 20/s: the whole flood may cost at most a few seconds' worth.
    expect(lookups).toBeLessThanOrEqual(100);
  });
});

describe('operations', () => {
  it('serves the OpenAPI document, health, readiness and metrics', async () => {
    const docs = await evaluator.app.inject({ method: 'GET', url: '/docs/json' });
    expect(Object.keys(docs.json().paths)).toEqual(
      expect.arrayContaining([
        '/ofrep/v1/evaluate/flags/{key}',
        '/ofrep/v1/evaluate/flags',
        '/api/v1/evaluate',
      ]),
    );
    expect((await evaluator.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await evaluator.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const metrics = await (await fetch(`${evaluator.metricsUrl}/metrics`)).text();
    expect(metrics).toContain('xc_evaluations_total{reason="TARGETING_MATCH"}');
    expect(metrics).toContain('xc_evaluation_errors_total{code="FLAG_NOT_FOUND"}');
    expect(metrics).toMatch(/^xc_snapshots [1-9]/m);
    expect(metrics).toContain('xc_snapshot_age_max_seconds');
  });

  // Regression (hostile-tenant probe, item 9): the port every tenant calls listed every tenant's environment
  // ids and revisions on /metrics, and no series may name an environment wherever it is served.
  it('keeps /metrics off the port workloads call, and names no environment in it', async () => {
    expect((await evaluator.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    const metrics = await (await fetch(`${evaluator.metricsUrl}/metrics`)).text();
    for (const snapshot of evaluator.snapshots.all()) expect(metrics).not.toContain(snapshot.environmentId);
    expect(metrics).not.toMatch(/environment_id|tenant/);
  });
});
