import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';

export interface Readiness {
  /** True once the first snapshots are loaded; false again while draining on shutdown. */
  ready(): boolean;
}

export function healthRoutes(app: FastifyInstance, deps: { readiness: Readiness; metrics: Metrics }): void {
  const hide = { hide: true };
  app.get('/healthz', { schema: hide }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: hide }, async (_request, reply) => {
    if (deps.readiness.ready()) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready' });
  });
  app.get('/metrics', { schema: hide }, async (_request, reply) => {
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
