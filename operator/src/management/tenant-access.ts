import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { findTenant, findTenantNamespace } from '../../../db/src/stores/tenants.ts';
import { withClient } from '../../../db/src/with-client.ts';
import { roleIn, type Principal, type Role } from './jwt-verifier.ts';
import { Problem, unauthorized } from './problems.ts';

/** A request's right to one tenant: who asks, which namespace, its tenant id (once it has one), in what role. */
export interface TenantAccess {
  principal: Principal;
  namespace: string;
  tenantId: string | null;
  role: Role;
}

export interface TenantAccessDeps {
  pool: pg.Pool;
  verify: (token: string) => Promise<Principal | null>;
  namespaceExists: (namespace: string) => Promise<boolean>;
  /** The namespaces the operator reconciles; empty for all. */
  watched: readonly string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Who the request's bearer token says the caller is; 401 without a valid one. */
export async function principalOf(
  deps: Pick<TenantAccessDeps, 'verify'>,
  request: FastifyRequest,
): Promise<Principal> {
  const header = request.headers.authorization;
  const principal = header?.startsWith('Bearer ') ? await deps.verify(header.slice(7).trim()) : null;
  if (!principal) throw unauthorized();
  return principal;
}

/**
 * The tenant a request names (`X-Tenant-ID`: a tenant id or a namespace), checked in this order so that each
 * answer tells a caller only what it may know: no valid token 401; a tenant the token has no role in 403; a
 * tenant that does not exist (or is not reconciled here) 404; a write by a viewer 403.
 */
export async function tenantAccess(
  deps: TenantAccessDeps,
  request: FastifyRequest,
  tenantRef: string | undefined,
  access: 'read' | 'write',
): Promise<TenantAccess> {
  const principal = await principalOf(deps, request);
  if (!tenantRef) throw new Problem(400, 'invalid-request', 'Name the tenant', 'X-Tenant-ID is required');
  const resolved = await resolve(deps, tenantRef);
  const role = resolved
    ? roleIn(principal, resolved.namespace, resolved.tenantId)
    : roleIn(principal, tenantRef, null);
  if (!role) throw new Problem(403, 'forbidden', 'This token may not use that tenant');
  if (!resolved) throw new Problem(404, 'no-such-tenant', 'No such tenant', tenantRef);
  if (access === 'write' && role !== 'editor')
    throw new Problem(
      403,
      'forbidden',
      'A viewer may not write',
      `the token is a viewer of ${resolved.namespace}`,
    );
  return { principal, role, ...resolved };
}

async function resolve(
  deps: TenantAccessDeps,
  ref: string,
): Promise<{ namespace: string; tenantId: string | null } | null> {
  const watched = (namespace: string) => deps.watched.length === 0 || deps.watched.includes(namespace);
  if (UUID.test(ref)) {
    const namespace = await withClient(deps.pool, (client) => findTenantNamespace(client, ref.toLowerCase()));
    return namespace && watched(namespace) ? { namespace, tenantId: ref.toLowerCase() } : null;
  }
  if (!LABEL.test(ref) || !watched(ref)) return null;
  const tenantId = await withClient(deps.pool, (client) => findTenant(client, ref));
  if (tenantId) return { namespace: ref, tenantId };
  return (await deps.namespaceExists(ref)) ? { namespace: ref, tenantId: null } : null;
}
