import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { RunningEvaluator } from '../../evaluator/src/evaluator-service.ts';
import { openEvaluatorTestBed, type EvaluatorTestBed } from '../support/evaluator-harness.ts';
import { putFlag, seedApiKey, seedEnvironment } from '../support/seed-rows.ts';

// 10,000 generated requests against the evaluation routes of a real evaluator (Postgres, Redis, the key ring):
// every answer is one the API documents, with the body shape its route promises, and nothing crashes it.

const CASES_PER_ROUTE = 2_500;
let bed: EvaluatorTestBed;
let evaluator: RunningEvaluator;
let key: string;

beforeAll(async () => {
  bed = await openEvaluatorTestBed();
  const shop = await seedEnvironment(bed.owner, 'fuzz');
  key = await seedApiKey(bed.owner, shop);
  await putFlag(bed.owner, shop, 'dark-mode', { rollout: { percentage: 50 } });
  await putFlag(bed.owner, shop, 'banner', {
    variants: { a: 'Hello', b: 'Hi' },
    defaultVariant: 'a',
    targeting: {
      if: [
        { sem_ver: [{ var: 'version' }, '>=', '2.0.0'] },
        'b',
        {
          fractional: [
            ['a', 50],
            ['b', 50],
          ],
        },
      ],
    },
  });
  evaluator = await bed.start({ RATE_LIMIT_PER_SECOND: '0' });
}, 60_000);

afterAll(async () => {
  await bed?.close();
});

/** Request bodies: well-formed and not, deep, wide, huge, wrong types, raw text. */
const body = fc.oneof(
  { weight: 3, arbitrary: fc.record({ context: fc.jsonValue({ maxDepth: 6 }) }, { requiredKeys: [] }) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        flag_key: fc.oneof(fc.constantFrom('dark-mode', 'banner', 'nope', ''), fc.string(), fc.jsonValue()),
        flag_keys: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
        context: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 12 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 2_000 }).map((text) => ({ raw: text })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 80_000 }).map((size) => ({ context: { blob: 'x'.repeat(size) } })),
  },
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
);
const flagKey = fc.oneof(
  fc.constantFrom('dark-mode', 'banner', 'missing'),
  fc.stringMatching(/^[\w.%-]{1,40}$/),
);

async function send(url: string, payload: unknown, type: string) {
  const raw =
    payload && typeof payload === 'object' && 'raw' in payload
      ? String(payload.raw)
      : JSON.stringify(payload);
  const response = await evaluator.app.inject({
    method: 'POST',
    url,
    headers: { 'x-api-key': key, 'content-type': type },
    payload: raw,
  });
  let parsed: Record<string, unknown> | undefined;
  if (response.body) parsed = JSON.parse(response.body) as Record<string, unknown>; // every answer is JSON
  return { status: response.statusCode, type: String(response.headers['content-type'] ?? ''), body: parsed };
}

const OFREP_ERRORS = new Set([
  'PARSE_ERROR',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
  'FLAG_NOT_FOUND',
]);

function expectOfrep(result: Awaited<ReturnType<typeof send>>, bulk: boolean): void {
  expect([200, 400, 404, 413, 415]).toContain(result.status);
  if (result.status === 200) {
    if (bulk) expect(Array.isArray(result.body?.flags)).toBe(true);
    else expect(typeof result.body?.reason).toBe('string');
  } else if (result.status === 400 || result.status === 404) {
    expect(OFREP_ERRORS).toContain(result.body?.errorCode);
  }
}

function expectProblemOr200(result: Awaited<ReturnType<typeof send>>): void {
  expect([200, 400, 404, 413, 415]).toContain(result.status);
  if (result.status !== 200) {
    expect(result.type).toContain('application/problem+json');
    expect(result.body).toMatchObject({
      status: result.status,
      type: expect.any(String),
      title: expect.any(String),
    });
  }
}

describe('fuzzing the evaluation routes', () => {
  it(`OFREP single: ${CASES_PER_ROUTE} generated requests, only documented answers`, async () => {
    await fc.assert(
      fc.asyncProperty(flagKey, body, contentType, async (flag, payload, type) => {
        expectOfrep(await send(`/ofrep/v1/evaluate/flags/${encodeURIComponent(flag)}`, payload, type), false);
      }),
      { numRuns: CASES_PER_ROUTE },
    );
  }, 120_000);

  it(`OFREP bulk: ${CASES_PER_ROUTE} generated requests, only documented answers`, async () => {
    await fc.assert(
      fc.asyncProperty(body, contentType, async (payload, type) => {
        expectOfrep(await send('/ofrep/v1/evaluate/flags', payload, type), true);
      }),
      { numRuns: CASES_PER_ROUTE },
    );
  }, 120_000);

  it(`/api/v1/evaluate: ${CASES_PER_ROUTE} generated requests, results or problem+json`, async () => {
    await fc.assert(
      fc.asyncProperty(body, contentType, async (payload, type) => {
        expectProblemOr200(await send('/api/v1/evaluate', payload, type));
      }),
      { numRuns: CASES_PER_ROUTE },
    );
  }, 120_000);

  it(`/api/v1/evaluate/bulk: ${CASES_PER_ROUTE} generated requests, results or problem+json`, async () => {
    await fc.assert(
      fc.asyncProperty(body, contentType, async (payload, type) => {
        expectProblemOr200(await send('/api/v1/evaluate/bulk', payload, type));
      }),
      { numRuns: CASES_PER_ROUTE },
    );
  }, 120_000);

  it('is still serving correctly afterwards', async () => {
    const result = await send(
      '/ofrep/v1/evaluate/flags/banner',
      { context: { targetingKey: 'u', version: '2.1.0' } },
      'application/json',
    );
    expect(result).toMatchObject({ status: 200, body: { value: 'Hi', reason: 'TARGETING_MATCH' } });
  });
});
