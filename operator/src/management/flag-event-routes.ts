import type { FastifyInstance, FastifyReply } from 'fastify';
import { flagView } from '../../../core/src/index.ts';
import type { ResourceChanges } from '../cluster/resource-changes.ts';
import { routeDocs } from './openapi.ts';
import { Problem } from './problems.ts';
import { tenantHeader } from './request-parts.ts';
import { tenantAccess, type TenantAccessDeps } from './tenant-access.ts';

export interface FlagEventDeps extends TenantAccessDeps {
  /** What the operator's FeatureFlag watch sees. */
  changes: ResourceChanges;
  /** Open streams this replica holds at most; more are answered 429. */
  maxStreams: number;
}

/**
 * `GET /api/v1/flags/events`: a tenant's flags as they change, as server-sent events. `flag` carries the flag
 * as `GET /api/v1/flags/{key}` answers it (spec, conditions: Ready, Synced, Propagated) each time its resource
 * changes, status included; `deleted` its key. The event id is the resource's version. A stream ends when the
 * token it was opened with expires, and when the operator stops: the client reconnects with a fresh token
 * and reads the list again.
 */
export function flagEventRoutes(app: FastifyInstance, deps: FlagEventDeps): void {
  const open = new Set<FastifyReply>();
  app.addHook('preClose', async () => {
    for (const reply of open) reply.sse.close();
  });
  app.get(
    '/api/v1/flags/events',
    {
      sse: 'only',
      ...routeDocs('flags', "A tenant's flag changes, as server-sent events (text/event-stream)"),
    },
    async (request, reply) => {
      const tenant = await tenantAccess(deps, request, tenantHeader(request), 'read');
      if (open.size >= deps.maxStreams)
        throw new Problem(
          429,
          'too-many-streams',
          'Too many open streams',
          `this replica holds at most ${deps.maxStreams}; retry later`,
        );
      open.add(reply);
      reply.sse.keepAlive();
      const unsubscribe = deps.changes.subscribe(tenant.namespace, (event, resource) => {
        const view = flagView(resource);
        const id = resource.metadata.resourceVersion;
        void reply.sse.send(
          event === 'delete'
            ? { id, event: 'deleted', data: { key: view.key } }
            : { id, event: 'flag', data: view },
        );
      });
      const expiry = setTimeout(
        () => reply.sse.close(),
        Math.max(0, tenant.principal.expiresAt - Date.now()),
      );
      reply.sse.onClose(() => {
        clearTimeout(expiry);
        unsubscribe();
        open.delete(reply);
      });
      await reply.sse.send({ event: 'ready', data: { namespace: tenant.namespace } });
    },
  );
}
