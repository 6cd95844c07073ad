import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EvaluationResult } from '../../../core/src/index.ts';
import { bulkEtag, etagMatches } from '../http/etag.ts';
import { ofrepBulkJson, toOfrep } from '../http/ofrep-json.ts';
import { cachedJson, sendJson } from '../http/result-json.ts';
import {
  jsonSchema,
  ofrepBody,
  ofrepBulkFailure,
  ofrepBulkSuccess,
  ofrepFailure,
  ofrepGeneralError,
  ofrepSuccess,
} from '../http/schemas.ts';
import { checkContext, visibleTo, withSnapshot, type EvaluationRouteDeps } from './evaluation-context.ts';
import { eventStreamsFor } from './event-streams.ts';
import { evaluateMany, evaluateOne } from './flag-evaluation.ts';

type OfrepBody = { context?: Record<string, unknown> };

/** OFREP clients may send no body at all (the JS provider sends `{}`; flagd's docs curl without one). */
function defaultBody(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  request.body ??= {};
  done();
}

export function ofrepRoutes(app: FastifyInstance, deps: EvaluationRouteDeps): void {
  const { snapshots, evaluation, streams } = deps;
  const ofrepJson = cachedJson(toOfrep);

  app.post<{ Body: OfrepBody; Params: { key: string } }>(
    '/ofrep/v1/evaluate/flags/:key',
    {
      config: { api: 'ofrep-single', auth: true },
      preValidation: defaultBody,
      preHandler: checkContext,
      schema: {
        tags: ['ofrep'],
        summary: 'OFREP: evaluate one flag',
        body: jsonSchema(ofrepBody, 'input'),
        response: {
          200: jsonSchema(ofrepSuccess),
          400: jsonSchema(ofrepFailure),
          404: jsonSchema(ofrepFailure),
          500: jsonSchema(ofrepGeneralError),
        },
      },
    },
    (request, reply: FastifyReply) =>
      withSnapshot(request, reply, snapshots, (snapshot) => {
        const answer = (result: EvaluationResult) => {
          if (result.errorCode) reply.code(result.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400);
          return sendJson(reply, ofrepJson(result));
        };
        const view = visibleTo(request, snapshot);
        const result = evaluateOne(evaluation, view, request.params.key, request.body.context);
        return result instanceof Promise ? result.then(answer) : answer(result);
      }),
  );

  app.post<{ Body: OfrepBody }>(
    '/ofrep/v1/evaluate/flags',
    {
      config: { api: 'ofrep-bulk', auth: true },
      preValidation: defaultBody,
      preHandler: checkContext,
      schema: {
        tags: ['ofrep'],
        summary: 'OFREP: evaluate every flag (ETag, 304 on If-None-Match)',
        body: jsonSchema(ofrepBody, 'input'),
        response: {
          200: jsonSchema(ofrepBulkSuccess),
          400: jsonSchema(ofrepBulkFailure),
          500: jsonSchema(ofrepGeneralError),
        },
      },
    },
    (request, reply) =>
      withSnapshot(request, reply, snapshots, (snapshot) => {
        const context = request.body.context ?? {};
        const identity = request.identity!;
        const eventStreams = streams ? eventStreamsFor(streams, identity, snapshot.revision) : undefined;
        const [stream] = eventStreams ?? [];
        const etag = bulkEtag(snapshot.environmentId, snapshot.revision, context, {
          kind: identity.kind,
          streamUrl: stream && (stream.url ?? stream.endpoint?.requestUri),
        });
        reply.header('etag', etag);
        if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
        const flags = evaluateMany(evaluation, visibleTo(request, snapshot), undefined, context, ofrepJson);
        const answer = (all: string[]) => sendJson(reply, ofrepBulkJson(all, eventStreams));
        return flags instanceof Promise ? flags.then(answer) : answer(flags);
      }),
  );
}
