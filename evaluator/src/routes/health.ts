import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';

export interface Readiness {
  /** True once the first snapshots are loaded; false again while draining on shutdown. */
  ready(): boolean;
}

export function healthRoutes(app: FastifyInstance, deps: { readiness: Readiness }): void {
  const hide = { hide: true };
  app.get('/healthz', { schema: hide }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: hide }, async (_request, reply) => {
    if (deps.readiness.ready()) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready' });
  });
}

/** /metrics on a listener of its own: the port workloads call does not show how the platform is doing. */
export function buildMetricsApp(metrics: Metrics): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return app;
}
