import type { FastifyInstance } from 'fastify';
import type { EvaluationResult } from '../../../core/src/index.ts';
import { configEtag, etagMatches } from '../http/etag.ts';
import { sendProblem } from '../http/error-replies.ts';
import { cachedJson, sendJson } from '../http/result-json.ts';
import {
  jsonSchema,
  problem,
  seedBulkBody,
  seedBulkResult,
  seedEvaluateBody,
  seedResult,
} from '../http/schemas.ts';
import { checkContext, visibleTo, withSnapshot, type EvaluationRouteDeps } from './evaluation-context.ts';
import { streamConfig } from './event-streams.ts';
import { evaluateMany, evaluateOne } from './flag-evaluation.ts';

type SeedBody = { flag_key: string; context?: Record<string, unknown> };
type SeedBulkBody = { flag_keys?: string[]; context?: Record<string, unknown> };

/** The seed service's result shape: `enabled` is the value of a boolean flag, else "a variant resolved". */
export function toSeedResult(result: EvaluationResult) {
  const value = result.value ?? null;
  return {
    flag_key: result.key,
    enabled: typeof value === 'boolean' ? value : result.value !== undefined,
    value,
    variant: result.variant ?? null,
    reason: result.reason,
    error_code: result.errorCode,
  };
}

const errorResponses = {
  400: jsonSchema(problem),
  401: jsonSchema(problem),
  404: jsonSchema(problem),
  413: jsonSchema(problem),
  429: jsonSchema(problem),
};

export function seedApiRoutes(app: FastifyInstance, deps: EvaluationRouteDeps): void {
  const { snapshots, evaluation, streams } = deps;
  const config = { api: 'seed' as const, auth: true };
  const seedJson = cachedJson(toSeedResult);

  app.post<{ Body: SeedBody }>(
    '/api/v1/evaluate',
    {
      config,
      preHandler: checkContext,
      schema: {
        tags: ['seed'],
        summary: 'Evaluate one flag',
        body: jsonSchema(seedEvaluateBody, 'input'),
        response: { 200: jsonSchema(seedResult), ...errorResponses },
      },
    },
    (request, reply) =>
      withSnapshot(request, reply, snapshots, (snapshot) => {
        const answer = (result: EvaluationResult) => {
          if (result.errorCode !== 'FLAG_NOT_FOUND') return sendJson(reply, seedJson(result));
          return sendProblem(reply, {
            status: 404,
            slug: 'flag-not-found',
            title: 'Flag not found',
            detail: `no flag "${result.key}" in this environment`,
          });
        };
        const view = visibleTo(request, snapshot);
        const result = evaluateOne(evaluation, view, request.body.flag_key, request.body.context);
        return result instanceof Promise ? result.then(answer) : answer(result);
      }),
  );

  app.post<{ Body: SeedBulkBody }>(
    '/api/v1/evaluate/bulk',
    {
      config,
      preHandler: checkContext,
      schema: {
        tags: ['seed'],
        summary: 'Evaluate several flags, or all',
        body: jsonSchema(seedBulkBody, 'input'),
        response: { 200: jsonSchema(seedBulkResult), ...errorResponses },
      },
    },
    (request, reply) =>
      withSnapshot(request, reply, snapshots, (snapshot) => {
        const flags = evaluateMany(
          evaluation,
          visibleTo(request, snapshot),
          request.body.flag_keys,
          request.body.context,
          seedJson,
        );
        const answer = (all: string[]) => sendJson(reply, `{"flags":[${all.join(',')}]}`);
        return flags instanceof Promise ? flags.then(answer) : answer(flags);
      }),
  );

  app.get(
    '/api/v1/flags/config',
    {
      config: { ...config, serverKeysOnly: true },
      sse: 'dual',
      schema: {
        tags: ['seed'],
        summary:
          "The environment's compiled flag configurations (ETag, 304 on If-None-Match); with " +
          'Accept: text/event-stream, a `config` event now and at each change. Server keys only.',
      },
    },
    (request, reply) =>
      withSnapshot(request, reply, snapshots, (snapshot) => {
        if (reply.sse) {
          if (streams) return streamConfig(request, reply, streams, snapshot);
          return sendProblem(reply, {
            status: 406,
            slug: 'streams-off',
            title: 'Event streams are turned off on this evaluator',
          });
        }
        const etag = configEtag(snapshot.environmentId, snapshot.revision);
        reply.header('etag', etag).header('cache-control', 'no-cache');
        if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
        return {
          environment_id: snapshot.environmentId,
          revision: snapshot.revision,
          flags: snapshot.configs,
        };
      }),
  );
}
