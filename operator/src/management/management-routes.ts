import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { verifyAuditChain } from '../../../db/src/audit-chain.ts';
import { readAuditPage } from '../../../db/src/stores/audit.ts';
import { listFlagSummaries } from '../../../db/src/stores/flags.ts';
import { withTenant } from '../../../db/src/tenant-scope.ts';
import { withClient } from '../../../db/src/with-client.ts';
import type { ResourceCache } from '../cluster/cluster.ts';
import { Problem } from './problems.ts';
import { invalidQuery } from './request-parts.ts';
import { tenantAccess, type TenantAccessDeps } from './tenant-access.ts';

const pageQuery = z.object({
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export interface ManagementReadDeps extends TenantAccessDeps {
  flags: ResourceCache;
}

type TenantRequest = { Params: { tenant: string }; Querystring: Record<string, string> };

/**
 * The operator's tenant reads: a tenant's flags with their sync status, its audit log (paged) and a
 * verification of its hash chain. The token is checked before anything else about the request is looked at
 * (a caller without one learns nothing from a 400); a tenant with no rows yet is 404.
 */
export function managementReadRoutes(app: FastifyInstance, deps: ManagementReadDeps): void {
  async function inTenant<T>(
    request: { params: { tenant: string } } & Parameters<typeof tenantAccess>[1],
    work: (client: pg.ClientBase, tenantId: string, namespace: string) => Promise<T>,
    validate: () => void = () => undefined,
  ): Promise<T> {
    const access = await tenantAccess(deps, request, request.params.tenant, 'read');
    validate();
    const { tenantId } = access;
    if (tenantId === null) throw new Problem(404, 'no-such-tenant', 'No such tenant', request.params.tenant);
    return withClient(deps.pool, (client) =>
      withTenant(client, tenantId, (scoped) => work(scoped, tenantId, access.namespace)),
    );
  }

  app.get<TenantRequest>('/management/v1/tenants/:tenant/flags', { schema: { hide: true } }, (request) =>
    inTenant(request, async (client, tenantId, namespace) => {
      const flags = await listFlagSummaries(client, tenantId);
      const resources = new Map(
        deps.flags.list(namespace).map((resource) => [resource.metadata.name, resource]),
      );
      return {
        flags: flags.map((flag) => {
          const resource = resources.get(flag.resourceName);
          const ready = resource?.status?.conditions?.find((condition) => condition.type === 'Ready');
          return {
            ...flag,
            sync: resource
              ? {
                  resourceGeneration: resource.metadata.generation,
                  observedGeneration: resource.status?.observedGeneration ?? null,
                  ready: ready?.status ?? 'Unknown',
                  reason: ready?.reason ?? null,
                }
              : null,
          };
        }),
      };
    }),
  );

  app.get<TenantRequest>('/management/v1/tenants/:tenant/audit', { schema: { hide: true } }, (request) => {
    const page = pageQuery.safeParse(request.query);
    return inTenant(
      request,
      async (client, tenantId) => {
        const { after, limit } = page.data!;
        const entries = await readAuditPage(client, tenantId, after, limit);
        return { entries, next: entries.length === limit ? entries.at(-1)!.seq : null };
      },
      () => {
        if (!page.success) throw invalidQuery(page.error);
      },
    );
  });

  app.get<TenantRequest>(
    '/management/v1/tenants/:tenant/audit/verify',
    { schema: { hide: true } },
    (request) => inTenant(request, (client, tenantId) => verifyAuditChain(client, tenantId)),
  );
}
