import Fastify, { type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { ResourceCache } from './cluster/cluster.ts';
import type { OperatorConfig } from './config.ts';
import { createJwtVerifier } from './management/jwt-verifier.ts';
import { managementRoutes } from './management/management-routes.ts';
import type { OperatorMetrics } from './metrics.ts';

export interface OperatorAppDeps {
  config: OperatorConfig;
  pool: pg.Pool;
  flags: ResourceCache;
  metrics: OperatorMetrics;
  ready: () => boolean;
}

/** The operator's HTTP surface, built but not listening: health, readiness, metrics and the management API. */
export function buildOperatorApp({ config, pool, flags, metrics, ready }: OperatorAppDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    ready() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  if (config.MANAGEMENT_JWT_SECRET || config.MANAGEMENT_JWKS_URL) {
    const verify = createJwtVerifier({
      issuer: config.MANAGEMENT_JWT_ISSUER!,
      audience: config.MANAGEMENT_JWT_AUDIENCE!,
      secret: config.MANAGEMENT_JWT_SECRET,
      jwksUrl: config.MANAGEMENT_JWKS_URL,
      tenantClaim: config.MANAGEMENT_TENANT_CLAIM,
    });
    managementRoutes(app, { pool, verify, flags });
  }
  return app;
}
