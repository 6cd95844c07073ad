import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { presentedKey, type ApiKeyRing } from './auth/api-key-ring.ts';
import { sendClientError, handleError, handleNotFound } from './http/error-replies.ts';
import type { Metrics } from './metrics.ts';
import { healthRoutes, type Readiness } from './routes/health.ts';
import { ofrepRoutes } from './routes/ofrep.ts';
import { seedApiRoutes } from './routes/seed-api.ts';
import type { SnapshotRegistry } from './snapshots/snapshot-registry.ts';

export interface AppDeps {
  log: Logger;
  keys: ApiKeyRing;
  snapshots: SnapshotRegistry;
  metrics: Metrics;
  readiness: Readiness;
  /** Shared rate-limit counters across replicas; null keeps them in this process. */
  rateLimitRedis: Redis | null;
  options: { bodyLimitBytes: number; rateLimitPerMinute: number; docsUi: boolean };
}

/** The evaluator's HTTP application, built apart from listening so tests can inject requests. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.options.bodyLimitBytes,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  app.decorateRequest('identity', null);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Exclusive-Change evaluator',
        version: '0.1.0',
        description: 'Flag evaluation: OFREP 0.3 and the seed-compatible API.',
      },
      components: {
        securitySchemes: {
          ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          BearerAuth: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ ApiKeyAuth: [] }, { BearerAuth: [] }],
    },
  });
  if (deps.options.docsUi) await app.register(swaggerUi, { routePrefix: '/docs' });
  else app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());

  const limited = deps.options.rateLimitPerMinute > 0;
  await app.register(rateLimit, {
    global: false,
    ...(deps.rateLimitRedis
      ? { redis: deps.rateLimitRedis, skipOnError: true, nameSpace: 'xc:ratelimit:' }
      : {}),
  });
  const perKeyLimit: RateLimitOptions | false = limited
    ? {
        max: deps.options.rateLimitPerMinute,
        timeWindow: 60_000,
        hook: 'preHandler',
        keyGenerator: (request) => request.identity?.apiKeyId ?? 'anonymous',
      }
    : false;

  app.addHook('onRequest', async (request, reply) => {
    if (!request.routeOptions.config?.auth) return;
    const identity = await deps.keys.resolve(presentedKey(request.headers));
    if (!identity)
      return sendClientError(request, reply, { status: 401, slug: 'unauthorized', title: 'Unauthorized' });
    request.identity = identity;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!request.routeOptions.config?.auth) return;
    deps.metrics.requestDuration.observe(
      { route: request.routeOptions.url ?? 'unknown', status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  const routeDeps = { snapshots: deps.snapshots, metrics: deps.metrics, rateLimit: perKeyLimit };
  seedApiRoutes(app, routeDeps);
  ofrepRoutes(app, routeDeps);
  healthRoutes(app, deps);
  return app;
}
