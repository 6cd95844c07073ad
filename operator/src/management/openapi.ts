import { z } from 'zod';

/** A zod schema as the OpenAPI document shows it (JSON Schema without its `$schema` line). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(json).filter(([key]) => key !== '$schema'));
}

const problemResponse = {
  description: 'application/problem+json (RFC 9457): type, title, status, detail, and `errors` naming fields',
  type: 'object',
  additionalProperties: true,
};

/**
 * A management route's OpenAPI entry. The schemas document the route; the handler validates with zod (the
 * scope's validator compiler accepts everything), so errors come back as problem+json in one shape.
 */
export function routeDocs(
  tag: string,
  summary: string,
  schemas: { body?: object; querystring?: object } = {},
) {
  return {
    schema: {
      tags: [tag],
      summary,
      security: [{ BearerAuth: [] }],
      headers: {
        type: 'object',
        properties: {
          'x-tenant-id': { type: 'string', description: 'The tenant: its id (UUID) or its namespace' },
          'if-match': { type: 'string', description: 'On writes: the ETag read, so a stale write is 412' },
        },
        required: ['x-tenant-id'],
      },
      ...schemas,
      response: { '4xx': problemResponse, '5xx': problemResponse },
    },
  };
}
