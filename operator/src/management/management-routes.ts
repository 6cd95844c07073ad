import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { verifyAuditChain } from '../../../db/src/audit-chain.ts';
import { readAuditPage } from '../../../db/src/stores/audit.ts';
import { listFlagSummaries } from '../../../db/src/stores/flags.ts';
import { findTenant } from '../../../db/src/stores/tenants.ts';
import { withTenant } from '../../../db/src/tenant-scope.ts';
import { withClient } from '../../../db/src/with-client.ts';
import type { ResourceCache } from '../cluster/cluster.ts';
import type { Principal } from './jwt-verifier.ts';

const PROBLEM = 'https://exclusive-change.io/problems/';
const pageQuery = z.object({
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

function problem(reply: FastifyReply, status: number, slug: string, title: string, detail?: string) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: PROBLEM + slug, title, status, ...(detail ? { detail } : {}) });
}

export interface ManagementDeps {
  pool: pg.Pool;
  verify: (token: string) => Promise<Principal | null>;
  flags: ResourceCache;
}

/**
 * The operator's management API, read-only: a tenant's flags with their sync status, its audit log (paged)
 * and a verification of its hash chain. Bearer JWTs only; a token names the tenants it may read.
 */
export function managementRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  /**
   * Authenticates and checks the tenant claim before anything else about the request is looked at (a caller
   * without a token learns nothing from a 400); then `validate`, then `work` in the tenant's scope; 404 for an
   * unknown tenant.
   */
  async function forTenant<T>(
    request: FastifyRequest<{ Params: { tenant: string } }>,
    reply: FastifyReply,
    work: (client: pg.ClientBase, tenantId: string) => Promise<T>,
    validate: () => string | null = () => null,
  ) {
    const header = request.headers.authorization;
    const principal = header?.startsWith('Bearer ') ? await deps.verify(header.slice(7).trim()) : null;
    if (!principal) return problem(reply, 401, 'unauthorized', 'Unauthorized');
    const { tenant } = request.params;
    if (!principal.tenants.has(tenant))
      return problem(reply, 403, 'forbidden', 'This token may not read that tenant');
    const invalid = validate();
    if (invalid !== null) return problem(reply, 400, 'invalid-request', 'Bad paging parameters', invalid);
    const result = await withClient(deps.pool, async (client) => {
      const tenantId = await findTenant(client, tenant);
      return tenantId === null
        ? null
        : { value: await withTenant(client, tenantId, (scoped) => work(scoped, tenantId)) };
    });
    if (result === null) return problem(reply, 404, 'no-such-tenant', 'No such tenant', tenant);
    return result.value;
  }

  app.get<{ Params: { tenant: string } }>('/management/v1/tenants/:tenant/flags', (request, reply) =>
    forTenant(request, reply, async (client, tenantId) => {
      const flags = await listFlagSummaries(client, tenantId);
      const resources = new Map(
        deps.flags.list(request.params.tenant).map((resource) => [resource.metadata.name, resource]),
      );
      return {
        flags: flags.map((flag) => {
          const resource = resources.get(flag.name);
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

  app.get<{ Params: { tenant: string }; Querystring: Record<string, string> }>(
    '/management/v1/tenants/:tenant/audit',
    (request, reply) => {
      const page = pageQuery.safeParse(request.query);
      return forTenant(
        request,
        reply,
        async (client, tenantId) => {
          const { after, limit } = page.data!;
          const entries = await readAuditPage(client, tenantId, after, limit);
          return { entries, next: entries.length === limit ? entries.at(-1)!.seq : null };
        },
        () =>
          page.success
            ? null
            : page.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
      );
    },
  );

  app.get<{ Params: { tenant: string } }>('/management/v1/tenants/:tenant/audit/verify', (request, reply) =>
    forTenant(request, reply, (client, tenantId) => verifyAuditChain(client, tenantId)),
  );
}
