import compress from '@fastify/compress';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import { ruleLimitsOf } from '../../core/src/index.ts';
import type { Cluster, ResourceCache } from './cluster/cluster.ts';
import type { ResourceChanges } from './cluster/resource-changes.ts';
import type { OperatorConfig } from './config.ts';
import { registerConsole } from './management/console-assets.ts';
import { createJwtVerifier } from './management/jwt-verifier.ts';
import { registerManagementApi } from './management/management-api.ts';
import { consoleOidcOf } from './management/sign-in-routes.ts';
import type { OperatorMetrics } from './metrics.ts';

export interface OperatorAppDeps {
  config: OperatorConfig;
  pool: pg.Pool;
  cluster: Cluster;
  flags: ResourceCache;
  flagChanges: ResourceChanges;
  metrics: OperatorMetrics;
  ready: () => boolean;
  log: Logger;
}

/** The operator's HTTP surface, built but not listening: health, readiness, metrics and the management API. */
export async function buildOperatorApp(deps: OperatorAppDeps): Promise<FastifyInstance> {
  const { config, metrics, ready } = deps;
  const loggerInstance: FastifyBaseLogger = deps.log.child({ component: 'http' });
  const app = Fastify({
    loggerInstance,
    disableRequestLogging: true,
    bodyLimit: config.MANAGEMENT_BODY_LIMIT_BYTES,
    return503OnClosing: true,
  });
  // JSON answers compressed for clients that ask (a tenant's 500 flags are ~0.5 MB of JSON); event streams and
  // the console's precompressed files are left as they are.
  await app.register(compress, { encodings: ['br', 'gzip'] });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Exclusive-Change management API',
        version: '0.1.0',
        description:
          'Flags and environments of a tenant (X-Tenant-ID: its id or namespace), read and written through their Kubernetes resources.',
      },
      components: {
        securitySchemes: { BearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) =>
    ready() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  if (config.MANAGEMENT_JWT_SECRET || config.MANAGEMENT_JWKS_URL) {
    const verify = createJwtVerifier({
      issuer: config.MANAGEMENT_JWT_ISSUER,
      audience: config.MANAGEMENT_JWT_AUDIENCE!,
      secret: config.MANAGEMENT_JWT_SECRET,
      jwksUrl: config.MANAGEMENT_JWKS_URL,
      tenantClaim: config.MANAGEMENT_TENANT_CLAIM,
    });
    const consoleOidc = consoleOidcOf(config);
    await registerManagementApi(app, {
      pool: deps.pool,
      verify,
      flags: deps.flags,
      flagChanges: deps.flagChanges,
      maxStreams: config.MANAGEMENT_MAX_STREAMS,
      resources: deps.cluster.managed,
      keys: deps.cluster.keys,
      watched: config.WATCH_NAMESPACES,
      writes: config.MANAGEMENT_WRITES,
      reconcileWaitMs: config.MANAGEMENT_RECONCILE_WAIT_MS,
      propagationWaitMs: config.MANAGEMENT_PROPAGATION_WAIT_MS,
      ruleLimits: ruleLimitsOf(config),
      consoleOidc,
      consoleTokenLink: config.CONSOLE_TOKEN_LINK,
    });
    if (config.CONSOLE) await registerConsole(app, { oidcIssuer: consoleOidc?.issuer });
  }
  return app;
}
