import { describe, expect, it } from '@jest/globals';
import { useApiBed } from './api-test-bed.ts';

// The evaluator's boundaries, called in process: who may call, what bad input gets, what operators see.

const api = useApiBed();
const call: typeof api.call = (...args) => api.call(...args);

describe('authentication and tenant isolation', () => {
  it.each([
    ['no key', {}],
    ['a malformed key', { 'x-api-key': 'nope' }],
    ['an unknown key', { 'x-api-key': `xc_live_${'A'.repeat(43)}` }],
    ['a bearer token that is not a key', { authorization: 'Bearer abc' }],
  ])('refuses %s with 401 and no detail', async (_name, headers) => {
    const seed = await api.evaluator.app.inject({
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
    const ofrep = await api.evaluator.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/banner',
      payload: {},
      headers: { 'x-api-key': '', ...headers },
    });
    expect(ofrep.statusCode).toBe(401);
    expect(ofrep.body).toBe('');
  });

  it('accepts the key as a bearer token', async () => {
    const response = await api.evaluator.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/banner',
      payload: {},
      headers: { authorization: `Bearer ${api.shopKey}` },
    });
    expect(response.statusCode).toBe(200);
  });

  it("never shows one tenant's flags to another tenant's key", async () => {
    expect((await call('POST', '/ofrep/v1/evaluate/flags/vault', {}, {}, api.shopKey)).status).toBe(404);
    expect((await call('POST', '/ofrep/v1/evaluate/flags/banner', {}, {}, api.bankKey)).status).toBe(404);
    expect((await call('POST', '/api/v1/evaluate', { flag_key: 'banner' }, {}, api.bankKey)).status).toBe(
      404,
    );
    const bankFlags = await call('POST', '/ofrep/v1/evaluate/flags', {}, {}, api.bankKey);
    expect((bankFlags.body!.flags as { key: string }[]).map((flag) => flag.key)).toEqual(['vault']);
    const bankConfig = await call('GET', '/api/v1/flags/config', undefined, {}, api.bankKey);
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
    const before = api.evaluator.keys.databaseLookups;
    const requests = Array.from({ length: 10_000 }, (_, i) =>
      api.evaluator.app.inject({
        method: 'POST',
        url: '/ofrep/v1/evaluate/flags/banner',
        payload: {},
        headers: { 'x-api-key': `xc_live_${String(i).padStart(43, 'Z')}` },
      }),
    );
    const statuses = new Set((await Promise.all(requests)).map((response) => response.statusCode));
    expect(statuses).toEqual(new Set([401]));
    const lookups = api.evaluator.keys.databaseLookups - before;
    // The bucket holds 20 look-ups and refills at 20/s: the whole flood may cost at most a few seconds' worth.
    expect(lookups).toBeLessThanOrEqual(100);
  });
});

describe('operations', () => {
  it('serves the OpenAPI document, health, readiness and metrics', async () => {
    const docs = await api.evaluator.app.inject({ method: 'GET', url: '/docs/json' });
    expect(Object.keys(docs.json().paths)).toEqual(
      expect.arrayContaining([
        '/ofrep/v1/evaluate/flags/{key}',
        '/ofrep/v1/evaluate/flags',
        '/api/v1/evaluate',
      ]),
    );
    expect((await api.evaluator.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await api.evaluator.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const metrics = await (await fetch(`${api.evaluator.metricsUrl}/metrics`)).text();
    expect(metrics).toContain('xc_evaluations_total{reason="TARGETING_MATCH"}');
    expect(metrics).toContain('xc_evaluation_errors_total{code="FLAG_NOT_FOUND"}');
    expect(metrics).toMatch(/^xc_snapshots [1-9]/m);
    expect(metrics).toContain('xc_snapshot_age_max_seconds');
  });

  // Regression (hostile-tenant probe, item 9): the port every tenant calls listed every tenant's environment
  // ids and revisions on /metrics, and no series may name an environment wherever it is served.
  it('keeps /metrics off the port workloads call, and names no environment in it', async () => {
    expect((await api.evaluator.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    const metrics = await (await fetch(`${api.evaluator.metricsUrl}/metrics`)).text();
    for (const snapshot of api.evaluator.snapshots.all())
      expect(metrics).not.toContain(snapshot.environmentId);
    expect(metrics).not.toMatch(/environment_id|tenant/);
  });
});
