import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import fastJsonStringify from 'fast-json-stringify';
import { prepareFlag, type EvaluationResult } from '../../../core/src/index.ts';
import { ofrepBulkJson, toOfrep } from './ofrep-json.ts';
import { cachedJson } from './result-json.ts';
import { jsonSchema, ofrepBulkSuccess, ofrepFailure, ofrepSuccess, seedResult } from './schemas.ts';
import { toSeedResult } from '../routes/seed-api.ts';

// What fastify would write for these bodies from the routes' response schemas.
const writeSuccess = fastJsonStringify(jsonSchema(ofrepSuccess));
const writeFailure = fastJsonStringify(jsonSchema(ofrepFailure));
const writeBulk = fastJsonStringify(jsonSchema(ofrepBulkSuccess));
const writeSeed = fastJsonStringify(jsonSchema(seedResult));
const ofrepJson = cachedJson(toOfrep);
const seedJson = cachedJson(toSeedResult);

const json = fc.jsonValue({ maxDepth: 3 });
const metadata = fc.dictionary(
  fc.string(),
  fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true }), fc.boolean()),
);
const success = fc.record(
  {
    key: fc.string(),
    value: json,
    variant: fc.string(),
    reason: fc.constantFrom('STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT', 'DISABLED'),
    metadata,
  },
  { requiredKeys: ['key', 'reason', 'metadata'] },
) as fc.Arbitrary<EvaluationResult>;
const failure = fc.record({
  key: fc.string(),
  reason: fc.constant('ERROR'),
  errorCode: fc.constantFrom('FLAG_NOT_FOUND', 'PARSE_ERROR', 'GENERAL', 'INVALID_CONTEXT'),
  errorMessage: fc.string(),
  metadata,
}) as fc.Arbitrary<EvaluationResult>;

describe('cachedJson', () => {
  it('writes the text the success schema writes, for any result', () => {
    fc.assert(
      fc.property(success, (result) => expect(ofrepJson(result)).toBe(writeSuccess(toOfrep(result)))),
    );
  });

  it('writes the text the failure schema writes, for any error', () => {
    fc.assert(
      fc.property(failure, (result) => expect(ofrepJson(result)).toBe(writeFailure(toOfrep(result)))),
    );
  });

  it('writes the text the seed schema writes, for any result or error', () => {
    fc.assert(
      fc.property(fc.oneof(success, failure), (result) =>
        expect(seedJson(result)).toBe(writeSeed(toSeedResult(result))),
      ),
    );
  });

  it('writes a bulk body the bulk schema would write, with and without event streams', () => {
    const streams = [
      { type: 'sse' as const, endpoint: { requestUri: '/ofrep/v1/stream/t' }, inactivityDelaySec: 120 },
    ];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(success, failure), { maxLength: 5 }),
        fc.boolean(),
        (results, withStreams) => {
          const eventStreams = withStreams ? streams : undefined;
          const body = { flags: results.map(toOfrep), ...(eventStreams ? { eventStreams } : {}) };
          expect(ofrepBulkJson(results.map(ofrepJson), eventStreams)).toBe(writeBulk(body));
        },
      ),
    );
  });

  it('writes a prepared result once and answers the same text after', () => {
    const flag = prepareFlag({
      key: 'dark-mode',
      state: 'ENABLED',
      valueType: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      rollout: null,
      targeting: null,
      metadata: { team: 'web' },
    });
    const result = flag.resolved.STATIC.get('off')!;
    const first = ofrepJson(result);
    expect(first).toBe(
      '{"key":"dark-mode","reason":"STATIC","variant":"off","value":false,"metadata":{"team":"web"}}',
    );
    expect(ofrepJson(result)).toBe(first);
  });
});
