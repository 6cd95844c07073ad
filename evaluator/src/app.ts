import { fastifySSE } from '@fastify/sse';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type HookHandlerDoneFunction as HookDone,
  type onRequestHookHandler,
  type onResponseHookHandler,
} from 'fastify';
import type { Logger } from 'pino';
import { presentedKey, type ApiKeyRing, type Identity } from './auth/api-key-ring.ts';
import { clientErrorHandler } from './http/client-errors.ts';
import type { CorsPolicy } from './http/cors.ts';
import { REFUSALS, sendClientError, handleError, handleNotFound } from './http/error-replies.ts';
import { RefusalPacer } from './http/refusal-pacer.ts';
import type { SyncedWindowCounters } from './http/request-counters.ts';
import type { Metrics } from './metrics.ts';
import type { FlagEvaluation } from './routes/flag-evaluation.ts';
import { SchedulerFullError, type FairScheduler } from './scheduling/fair-scheduler.ts';
import { healthRoutes, type Readiness } from './routes/health.ts';
import { ofrepStreamRoute, type EventStreamDeps } from './routes/event-streams.ts';
import { snapshotFor } from './routes/evaluation-context.ts';
import { ofrepRoutes } from './routes/ofrep.ts';
import { seedApiRoutes } from './routes/seed-api.ts';
import type { SnapshotRegistry } from './snapshots/snapshot-registry.ts';

export interface AppDeps {
  log: Logger;
  keys: ApiKeyRing;
  snapshots: SnapshotRegistry;
  metrics: Metrics;
  readiness: Readiness;
  /** Per-key request counters, shared across replicas through Redis when it is there. */
  rateLimitCounters: SyncedWindowCounters;
  evaluation: FlagEvaluation;
  cors: CorsPolicy;
  /** Event streams (OFREP's and the config route's), or null when they are turned off. */
  streams: Omit<EventStreamDeps, 'withinRateLimit'> | null;
  options: {
    bodyLimitBytes: number;
    /** Requests per second of a key without a limit of its own, all replicas together; 0: none. */
    rateLimitPerSecond: number;
    docsUi: boolean;
    logRequests?: boolean;
    /** Slow or stalled clients are cut off: the whole request within this, its headers within the other. */
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    /** A comment line on every open stream this often, so proxies keep it open. */
    streamHeartbeatMs: number;
  };
}

const CORS_PREFLIGHT_PATHS = [
  '/ofrep/v1/evaluate/flags',
  '/ofrep/v1/evaluate/flags/:key',
  '/api/v1/evaluate',
  '/api/v1/evaluate/bulk',
];

/** Request bodies above this are parsed in their tenant's turn (FairScheduler); most contexts are far smaller. */
const LARGE_BODY_BYTES = 8 * 1024;
const isLargeBody = (headers: Record<string, string | string[] | undefined>) =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > LARGE_BODY_BYTES;

/** fastify's JSON parser (prototype poisoning refused), run in the tenant's turn for a large body. */
function parseJsonFairly(app: FastifyInstance, scheduler: FairScheduler): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) => {
    const body = text as string;
    const tenant = request.identity?.tenantId;
    if (!tenant || body.length <= LARGE_BODY_BYTES) return parse(request, body, done);
    scheduler
      .once(tenant, () => {
        let parsed: [Error | null, unknown] = [null, undefined];
        parse(request, body, (error, value) => (parsed = [error, value]));
        return parsed;
      })
      .then(([error, value]) => done(error, value), done);
  });
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The evaluator's HTTP application, built apart from listening so tests can inject requests. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: !deps.options.logRequests }),
    // One logger for all requests: a pino child per request (fastify's default) costs measurable throughput,
    // and request logs are off unless LOG_REQUESTS; errors are logged with the request's route and id explicitly.
    childLoggerFactory: (logger) => logger,
    bodyLimit: deps.options.bodyLimitBytes,
    // A flag key is up to 128 characters, a stream token about 150 (fastify's default is 100).
    routerOptions: { maxParamLength: 512 },
    requestTimeout: deps.options.requestTimeoutMs,
    // Node checks the timeouts every 30 s unless told otherwise: a stalled client would keep its socket that long.
    http: {
      headersTimeout: deps.options.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, deps.options.headersTimeoutMs),
    },
    clientErrorHandler,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const pacer = new RefusalPacer({ holdMs: 250, maxHeldPerTenant: 64 });
  app.setErrorHandler((error: FastifyError, request, reply) =>
    error.code === 'XC_ERR_SCHEDULER_FULL' && request.identity
      ? pacer.pace(request.identity.tenantId, reply, () => handleError(error, request, reply))
      : handleError(error, request, reply),
  );
  app.setNotFoundHandler(handleNotFound);
  app.decorateRequest('identity', null);
  parseJsonFairly(app, deps.evaluation.scheduler);

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
  await app.register(fastifySSE, {
    heartbeatInterval: deps.options.streamHeartbeatMs,
    // The config stream sends text serialized once per snapshot for all its streams.
    serializer: (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)),
  });
  if (deps.options.docsUi) await app.register(swaggerUi, { routePrefix: '/docs' });
  else app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());

  const defaultPerSecond = deps.options.rateLimitPerSecond;
  /** Counts a request of `identity`'s key; over its limit, false with Retry-After set. */
  const withinRateLimit = (identity: Identity, reply: FastifyReply): boolean => {
    const perSecond = identity.rateLimitPerSecond ?? defaultPerSecond;
    if (perSecond <= 0) return true;
    const { current, ttl } = deps.rateLimitCounters.increment(identity.apiKeyId, 1000);
    if (current <= perSecond) return true;
    reply.header('retry-after', Math.ceil(ttl / 1000));
    return false;
  };

  /** The last steps of authentication: the key's rate limit, then a large body's share; `done` lets it through. */
  const limit = (request: FastifyRequest, reply: FastifyReply, done: HookDone, identity: Identity) => {
    if (!withinRateLimit(identity, reply)) return void sendClientError(request, reply, REFUSALS.rateLimited);
    // A large body is parsed in its tenant's turn (parseJsonFairly); refused before it is read when the tenant is
    // over its share.
    if (isLargeBody(request.headers) && deps.evaluation.scheduler.overShare(identity.tenantId))
      return void done(new SchedulerFullError(`tenant ${identity.tenantId} used its share of this replica`));
    done();
  };
  const checkOrigin = (
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookDone,
    identity: Identity,
    origin: string,
    allowed: readonly string[],
  ) => {
    if (!deps.cors.admit(reply, origin, allowed, identity.kind))
      return void sendClientError(request, reply, REFUSALS.originNotAllowed);
    limit(request, reply, done, identity);
  };

  // Authentication, the per-key limit and CORS run in one callback-style hook, made per route as the route is
  // declared (what it needs is known then): on the evaluation path each promise is measurable
  // (docs/adr/0004-rate-limit-in-memory.md), and `request.routeOptions` is a getter that builds a new object on
  // every access.
  const authenticateFor = (route: { serverKeysOnly: boolean; cors: boolean }): onRequestHookHandler =>
    function authenticate(request, reply, done) {
      const origin = route.cors ? request.headers.origin : undefined;
      const accept = (identity: Identity | null) => {
        if (!identity) {
          // A page may read why it was refused when some environment admits it.
          if (origin !== undefined && deps.cors.mayAdmit(origin)) deps.cors.allow(reply, origin);
          return void sendClientError(request, reply, REFUSALS.unauthorized);
        }
        request.identity = identity;
        if (route.serverKeysOnly && identity.kind === 'client')
          return void sendClientError(request, reply, REFUSALS.serverKeyRequired);
        deps.evaluation.scheduler.noteRequest(identity.tenantId);
        if (origin === undefined) return limit(request, reply, done, identity);
        const snapshot = deps.snapshots.get(identity.environmentId);
        if (snapshot) return checkOrigin(request, reply, done, identity, origin, snapshot.corsAllowedOrigins);
        snapshotFor(request, deps.snapshots).then(
          (loaded) => checkOrigin(request, reply, done, identity, origin, loaded.corsAllowedOrigins),
          done,
        );
      };
      const resolved = deps.keys.resolveOn(request.raw.socket, presentedKey(request.headers));
      if (resolved instanceof Promise) resolved.then(accept, done);
      else accept(resolved);
    };
  app.addHook('onRoute', (route) => {
    if (!route.config?.auth) return;
    const observe: onResponseHookHandler = (_request, reply, done) => {
      deps.metrics.requestDuration.observe(route.url, reply.elapsedTime / 1000);
      done();
    };
    const authenticate = authenticateFor({
      serverKeysOnly: route.config.serverKeysOnly === true,
      cors: CORS_PREFLIGHT_PATHS.includes(route.url),
    });
    route.onRequest = [authenticate, ...asArray(route.onRequest)];
    route.onResponse = [observe, ...asArray(route.onResponse)];
  });
  for (const url of CORS_PREFLIGHT_PATHS)
    app.options(url, { schema: { hide: true } }, (request, reply) =>
      deps.cors.preflight(
        reply,
        request.headers.origin,
        request.headers['access-control-request-method'] as string | undefined,
        request.headers['access-control-request-headers'] as string | undefined,
      ),
    );
  const streams = deps.streams && { ...deps.streams, withinRateLimit };
  if (streams) {
    app.addHook('preClose', async () => streams.hub.closeAll());
    ofrepStreamRoute(app, streams, deps.snapshots);
  }

  const routeDeps = { snapshots: deps.snapshots, evaluation: deps.evaluation, streams };
  seedApiRoutes(app, routeDeps);
  ofrepRoutes(app, routeDeps);
  healthRoutes(app, deps);
  return app;
}
