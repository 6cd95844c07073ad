import { z } from 'zod';

/**
 * Request and response shapes of the evaluator's HTTP API, written once in zod and handed to fastify as JSON
 * Schema: ajv validates requests, fast-json-stringify serializes responses, @fastify/swagger documents both.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const converted = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete converted.$schema;
  return converted;
}

export const contextSchema = z
  .record(z.string(), z.unknown())
  .describe('The evaluation context: attributes of the user or request.');
const flagKey = z.string().min(1).max(256);
const metadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const anyValue = z.unknown().describe('The resolved value: boolean, string, number or object.');

// Seed-compatible API (/api/v1)
export const seedEvaluateBody = z.object({ flag_key: flagKey, context: contextSchema.optional() });
export const seedBulkBody = z.object({
  flag_keys: z.array(flagKey).max(1000).optional(),
  context: contextSchema.optional(),
});
export const seedResult = z.object({
  flag_key: z.string(),
  enabled: z
    .boolean()
    .describe('The value itself for boolean flags; whether a variant resolved for the others.'),
  value: anyValue,
  variant: z.string().nullable(),
  reason: z.string(),
  error_code: z.string().optional(),
});
export const seedBulkResult = z.object({ flags: z.array(seedResult) });
export const problem = z
  .object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string().optional() })
  .describe('RFC 9457 problem details (application/problem+json).');

// OFREP 0.3 (/ofrep/v1)
export const ofrepBody = z.object({ context: contextSchema.optional() });
export const ofrepSuccess = z.object({
  key: z.string(),
  reason: z.string(),
  variant: z.string().optional(),
  value: anyValue.optional(),
  metadata: metadata.optional(),
});
export const ofrepFailure = z.object({
  key: z.string(),
  errorCode: z.string(),
  errorDetails: z.string().optional(),
});
export const ofrepEventStream = z
  .object({
    type: z.literal('sse'),
    url: z.string().optional(),
    endpoint: z.object({ origin: z.string().optional(), requestUri: z.string() }).optional(),
    inactivityDelaySec: z.number().int().positive().optional(),
  })
  .describe(
    'A server-sent event stream that says when to fetch again (OFREP ADR 0008): opaque, expiring, it grants ' +
      'only that stream.',
  );
export const ofrepBulkSuccess = z.object({
  flags: z.array(z.union([ofrepSuccess, ofrepFailure])),
  metadata: metadata.optional(),
  eventStreams: z.array(ofrepEventStream).optional(),
});
export const ofrepBulkFailure = z.object({ errorCode: z.string(), errorDetails: z.string().optional() });
export const ofrepGeneralError = z.object({ errorDetails: z.string() });
