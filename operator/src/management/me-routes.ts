import type { FastifyInstance } from 'fastify';
import { listTenants } from '../../../db/src/stores/tenants.ts';
import { withClient } from '../../../db/src/with-client.ts';
import { roleIn } from './jwt-verifier.ts';
import { routeDocs } from './openapi.ts';
import { principalOf, type TenantAccessDeps } from './tenant-access.ts';

/**
 * `GET /api/v1/me`: who the token says the caller is, and the tenants it holds a role in (those this operator
 * reconciles), so a client can offer them without reading the token's claims itself.
 */
export function meRoutes(app: FastifyInstance, deps: TenantAccessDeps): void {
  app.get(
    '/api/v1/me',
    routeDocs('me', 'The caller, and the tenants its token holds a role in'),
    async (request) => {
      const principal = await principalOf(deps, request);
      const watched = new Set(deps.watched);
      const tenants = (await withClient(deps.pool, listTenants))
        .filter((tenant) => watched.size === 0 || watched.has(tenant.namespace))
        .flatMap((tenant) => {
          const role = roleIn(principal, tenant.namespace, tenant.id);
          return role ? [{ id: tenant.id, namespace: tenant.namespace, role }] : [];
        });
      return {
        subject: principal.subject,
        email: principal.email,
        expires_at: new Date(principal.expiresAt).toISOString(),
        tenants,
      };
    },
  );
}
