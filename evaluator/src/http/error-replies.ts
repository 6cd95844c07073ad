import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { apiKindOf } from './api-kind.ts';

const PROBLEM_TYPE = 'https://exclusive-change.io/problems/';

interface ClientError {
  status: number;
  slug: string;
  title: string;
  detail?: string;
}

/** The refusals of authentication and admission, the same wherever a route or a stream is refused. */
export const REFUSALS = {
  unauthorized: { status: 401, slug: 'unauthorized', title: 'Unauthorized' },
  serverKeyRequired: { status: 403, slug: 'server-key-required', title: 'This route takes a server key' },
  originNotAllowed: { status: 403, slug: 'origin-not-allowed', title: 'Origin not allowed' },
  rateLimited: { status: 429, slug: 'rate-limited', title: 'Too many requests for this API key' },
} as const satisfies Record<string, ClientError>;

/** RFC 9457 problem details, the error body of the seed API. */
export function sendProblem(reply: FastifyReply, { status, slug, title, detail }: ClientError): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: PROBLEM_TYPE + slug, title, status, ...(detail === undefined ? {} : { detail }) });
}

/** Fastify's own errors (validation, body parsing, limits, rate limiting) as stable client errors. */
function classify(error: FastifyError): ClientError | null {
  if (error.validation)
    return { status: 400, slug: 'invalid-request', title: 'The request is not valid', detail: error.message };
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        slug: 'body-too-large',
        title: 'The request body is too large',
        detail: error.message,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        slug: 'unsupported-media-type',
        title: 'Send application/json',
        detail: error.message,
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        slug: 'malformed-json',
        title: 'The request body is not valid JSON',
        detail: error.message,
      };
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return {
      status: error.statusCode,
      slug: 'bad-request',
      title: 'The request cannot be served',
      detail: error.message,
    };
  }
  return null;
}

/** Replies to a request problem in the dialect of the route it was sent to. */
export function sendClientError(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: ClientError,
): FastifyReply {
  const kind = apiKindOf(request);
  if (kind === 'seed' || kind === 'plain') return sendProblem(reply, problem);
  if (problem.status === 401 || problem.status === 403 || problem.status === 429)
    return reply.code(problem.status).send();
  if (problem.status === 404 && !(request.params as { key?: string }).key) return reply.code(404).send();
  // OFREP clients read bodies on 400/404/500 only: every other request problem is a 400 INVALID_CONTEXT.
  const body = { errorCode: 'INVALID_CONTEXT', errorDetails: problem.detail ?? problem.title };
  return reply
    .code(400)
    .send(kind === 'ofrep-single' ? { key: (request.params as { key?: string }).key ?? '', ...body } : body);
}

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { retryAfterSeconds } = error as { retryAfterSeconds?: number };
  if (retryAfterSeconds !== undefined) reply.header('retry-after', retryAfterSeconds);
  const problem = classify(error);
  if (problem) return sendClientError(request, reply, problem);
  request.log.error({ err: error, reqId: request.id, route: request.routeOptions.url }, 'request failed');
  const kind = apiKindOf(request);
  if (kind === 'ofrep-single' || kind === 'ofrep-bulk')
    return reply.code(500).send({ errorDetails: 'internal error' });
  return sendProblem(reply, { status: 500, slug: 'internal', title: 'Internal error' });
}

/** An unknown route, answered in the dialect of the API its path is under. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const detail = `${request.method} ${request.url.split('?')[0]}`;
  if (request.url.startsWith('/ofrep/'))
    return reply.code(404).send({ errorCode: 'GENERAL', errorDetails: `no such route: ${detail}` });
  return sendProblem(reply, { status: 404, slug: 'no-such-route', title: 'No such route', detail });
}
