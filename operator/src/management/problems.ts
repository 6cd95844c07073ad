import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { ResourceRefused, type RefusalCause } from '../cluster/cluster.ts';

const BASE = 'https://exclusive-change.io/problems/';

/** A field a request got wrong: the body's name for it, and the resource's when they differ. */
export interface FieldError {
  field: string;
  resourceField?: string;
  message: string;
}

export interface ProblemExtra {
  errors?: FieldError[];
  owner?: string;
  conditions?: unknown;
  [member: string]: unknown;
}

/** An RFC 9457 problem the management API answers with; thrown anywhere below a route, sent by its handler. */
export class Problem extends Error {
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extra: ProblemExtra;

  constructor(status: number, slug: string, title: string, detail?: string, extra: ProblemExtra = {}) {
    super(detail ?? title);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.detail = detail;
    this.extra = extra;
  }
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({
      type: BASE + problem.slug,
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...problem.extra,
    });
}

export const unauthorized = () => new Problem(401, 'unauthorized', 'Unauthorized');

/** A refusal naming each field it refuses, the detail listing them. */
export const fieldProblem = (status: number, slug: string, title: string, errors: FieldError[]): Problem =>
  new Problem(status, slug, title, errors.map((entry) => `${entry.field}: ${entry.message}`).join('; '), {
    errors,
  });

/** What zod refused of `part` (the body, the query), each issue named by its field. */
export function zodProblem(status: 400 | 422, part: 'body' | 'query', error: z.ZodError): Problem {
  const errors = error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : `(${part})`,
    message:
      issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
  const title = part === 'body' ? 'The request body is not valid' : 'The query parameters are not valid';
  return fieldProblem(status, 'invalid-request', title, errors);
}

/** A resource refusal in the body's terms: `spec.rollout.percentage` is `rollout_percentage` to its writer. */
export function refusal(error: ResourceRefused, flatFieldOf: Readonly<Record<string, string>>): Problem {
  if (error.reason === 'AlreadyExists')
    return new Problem(409, 'conflict', 'It exists already', error.message);
  if (error.reason === 'Conflict')
    return new Problem(409, 'conflict', 'The resource changed meanwhile; read it again', error.message);
  if (error.reason === 'NotFound') return new Problem(404, 'not-found', 'Not found', error.message);
  const errors = error.causes.map((cause: RefusalCause) => {
    const field = cause.field.replace(/^\./, '');
    const flat = flatFieldOf[field];
    return { field: flat ?? field, ...(flat ? { resourceField: field } : {}), message: cause.message };
  });
  if (errors.length === 0)
    return new Problem(422, 'invalid-resource', 'The rules of the resource refuse it', error.message, {
      errors,
    });
  return fieldProblem(422, 'invalid-resource', 'The rules of the resource refuse it', errors);
}

/**
 * The management routes' error handling, in their plugin scope: a Problem as thrown, a body too large (413) or
 * not JSON (400) as a problem too, and anything else a 500 whose detail stays in the log.
 */
export function problemHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof Problem) return sendProblem(reply, error);
    if (error instanceof ResourceRefused) return sendProblem(reply, refusal(error, {}));
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 413)
      return sendProblem(reply, new Problem(413, 'too-large', 'The request body is too large'));
    if (status === 400 || status === 415)
      return sendProblem(
        reply,
        new Problem(400, 'invalid-request', 'The request is not valid JSON', (error as Error).message),
      );
    request.log.error({ err: error }, 'management request failed');
    return sendProblem(reply, new Problem(500, 'internal', 'Internal error'));
  });
}
