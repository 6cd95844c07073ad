import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CustomResource } from '../kube/custom-resource.ts';
import { z } from 'zod';
import { listArchivedFlags, readArchivedFlag } from '../../../db/src/stores/flag-reads.ts';
import { withTenant } from '../../../db/src/tenant-scope.ts';
import { withClient } from '../../../db/src/with-client.ts';
import {
  createFlagBody,
  FEATURE_FLAGS,
  FLAG_STATUSES,
  flagKey,
  flagView,
  patchFlagBody,
  storedFlagView,
  type FlagView,
} from '../../../core/src/index.ts';
import { createFlag, deleteFlag, findFlag, patchFlag } from './flag-writes.ts';
import { jsonSchemaOf, routeDocs } from './openapi.ts';
import { Problem } from './problems.ts';
import { waitForPropagation, type PropagationWaitDeps } from './propagation-wait.ts';
import { ifMatchVersion, parseBody, parseQuery, tenantHeader, withEtag } from './request-parts.ts';
import type { FlagWriteDeps } from './flag-writes.ts';
import { tenantAccess, type TenantAccessDeps } from './tenant-access.ts';

export type FlagRouteDeps = TenantAccessDeps & FlagWriteDeps & PropagationWaitDeps;

const listQuery = z.strictObject({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(FLAG_STATUSES).optional(),
  search: z.string().max(256).optional(),
});
const writeQuery = z.strictObject({ wait: z.enum(['propagated']).optional() });

type KeyRequest = { Params: { key: string }; Querystring: Record<string, string>; Body: unknown };

const matches = (flag: FlagView, search: string | undefined) =>
  !search || [flag.key, flag.name].some((text) => text.toLowerCase().includes(search.toLowerCase()));

/**
 * The seed-compatible flag routes: a tenant's flags (live ones from their FeatureFlags, archived ones from
 * the rows the operator kept), and writes that go to the FeatureFlags as any kubectl change would.
 */
export function flagRoutes(app: FastifyInstance, deps: FlagRouteDeps): void {
  const access = (request: Parameters<typeof tenantHeader>[0], mode: 'read' | 'write') =>
    tenantAccess(deps, request, tenantHeader(request), mode);
  const tag = 'flags';
  /** The written flag, or with `?wait=propagated` the flag once served everywhere (202 if not in time). */
  const answerWritten = async (
    reply: FastifyReply,
    written: CustomResource,
    wait: unknown,
    status: number,
  ) => {
    const current = wait
      ? await waitForPropagation(deps, FEATURE_FLAGS.plural, written)
      : { resource: written, done: true };
    return withEtag(reply, current.resource)
      .code(current.done ? status : 202)
      .send(flagView(current.resource));
  };

  app.get<KeyRequest>(
    '/api/v1/flags',
    routeDocs(tag, "A tenant's flags, a page at a time", { querystring: jsonSchemaOf(listQuery) }),
    async (request) => {
      const tenant = await access(request, 'read');
      const query = parseQuery(listQuery, request.query);
      const offset = (query.page - 1) * query.page_size;
      const paged = { page: query.page, page_size: query.page_size };
      if (query.status === 'archived') {
        if (!tenant.tenantId) return { flags: [], total: 0, ...paged };
        const tenantId = tenant.tenantId;
        const { rows, total } = await withClient(deps.pool, (client) =>
          withTenant(client, tenantId, (scoped) =>
            listArchivedFlags(scoped, tenantId, { offset, limit: query.page_size, search: query.search }),
          ),
        );
        return { flags: rows.map(storedFlagView), total, ...paged };
      }
      const resources = await deps.resources.list(FEATURE_FLAGS.plural, tenant.namespace);
      if (!query.status && !query.search) {
        // the console's and most clients' read: only the page's views are built, whatever the tenant's size
        const byKey = resources
          .map((resource) => ({
            resource,
            key: flagKey({ name: resource.metadata.name, spec: resource.spec }),
          }))
          .sort((a, b) => a.key.localeCompare(b.key));
        const page = byKey.slice(offset, offset + query.page_size);
        return { flags: page.map((entry) => flagView(entry.resource)), total: byKey.length, ...paged };
      }
      const live = resources
        .map(flagView)
        .filter((flag) => (!query.status || flag.status === query.status) && matches(flag, query.search))
        .sort((a, b) => a.key.localeCompare(b.key));
      return { flags: live.slice(offset, offset + query.page_size), total: live.length, ...paged };
    },
  );

  app.get<KeyRequest>(
    '/api/v1/flags/:key',
    routeDocs(tag, 'One flag, live or archived'),
    async (request, reply) => {
      const tenant = await access(request, 'read');
      const { key } = request.params;
      const live = await findFlag(deps.resources, tenant.namespace, key);
      if (live) return withEtag(reply, live).send(flagView(live));
      const tenantId = tenant.tenantId;
      const archived = tenantId
        ? await withClient(deps.pool, (client) =>
            withTenant(client, tenantId, (scoped) => readArchivedFlag(scoped, tenantId, key)),
          )
        : null;
      if (!archived) throw new Problem(404, 'not-found', 'No such flag', key);
      return storedFlagView(archived);
    },
  );

  app.post<KeyRequest>(
    '/api/v1/flags',
    routeDocs(tag, 'Creates a flag', {
      body: jsonSchemaOf(createFlagBody),
      querystring: jsonSchemaOf(writeQuery),
    }),
    async (request, reply) => {
      const tenant = await access(request, 'write');
      const { wait } = parseQuery(writeQuery, request.query);
      const created = await createFlag(deps, tenant, parseBody(createFlagBody, request.body));
      reply.header('location', `/api/v1/flags/${encodeURIComponent(flagView(created).key)}`);
      return answerWritten(reply, created, wait, 201);
    },
  );

  app.patch<KeyRequest>(
    '/api/v1/flags/:key',
    routeDocs(tag, 'Changes a flag', {
      body: jsonSchemaOf(patchFlagBody),
      querystring: jsonSchemaOf(writeQuery),
    }),
    async (request, reply) => {
      const tenant = await access(request, 'write');
      const { wait } = parseQuery(writeQuery, request.query);
      const body = parseBody(patchFlagBody, request.body);
      const written = await patchFlag(deps, tenant, request.params.key, body, ifMatchVersion(request));
      return answerWritten(reply, written, wait, 200);
    },
  );

  app.delete<KeyRequest>(
    '/api/v1/flags/:key',
    routeDocs(tag, 'Archives a flag: its FeatureFlag is deleted, its rows kept'),
    async (request, reply) => {
      const tenant = await access(request, 'write');
      await deleteFlag(deps, tenant, request.params.key, ifMatchVersion(request));
      return reply.code(204).send();
    },
  );
}
