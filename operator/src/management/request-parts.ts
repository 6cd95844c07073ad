import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { fieldProblem, zodProblem } from './problems.ts';

/** A query zod refused: 400, each issue named by its parameter. */
export const invalidQuery = (error: z.ZodError) => zodProblem(400, 'query', error);

/** The body as `schema` reads it, or a 422 naming every field it got wrong. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw fieldProblem(422, 'invalid-request', 'The request body is not valid', [
      { field: '(body)', message: 'must be a JSON object' },
    ]);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw zodProblem(422, 'body', parsed.error);
  return parsed.data;
}

export function parseQuery<Schema extends z.ZodType>(schema: Schema, query: unknown): z.output<Schema> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw invalidQuery(parsed.error);
  return parsed.data;
}

/** The tenant a seed-style request names: `X-Tenant-ID`. */
export const tenantHeader = (request: FastifyRequest): string | undefined => {
  const value = request.headers['x-tenant-id'];
  return typeof value === 'string' ? value.trim() : undefined;
};

/** The resourceVersion `If-Match` names, or undefined when it is absent or `*` (any version). */
export const ifMatchVersion = (request: FastifyRequest): string | undefined => {
  const value = request.headers['if-match'];
  if (typeof value !== 'string' || value.trim() === '*') return undefined;
  return value.trim().replace(/^W\//, '').replaceAll('"', '');
};

/**
 * A resource's version as an entity tag, what `If-Match` sends back: its generation, which only a spec change
 * moves (the operator's status writes change the resourceVersion, and must not make a writer's next write stale).
 */
export const etagOf = (generation: string): string => `"${generation}"`;

export function withEtag(reply: FastifyReply, resource: { metadata: { generation: number } }): FastifyReply {
  return reply.header('etag', etagOf(String(resource.metadata.generation)));
}
