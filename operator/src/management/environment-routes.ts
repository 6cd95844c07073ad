import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  createEnvironmentBody,
  ENVIRONMENTS,
  environmentView,
  patchEnvironmentBody,
} from '../../../core/src/index.ts';
import { createEnvironment, patchEnvironment, type EnvironmentWritten } from './environment-writes.ts';
import { jsonSchemaOf, routeDocs } from './openapi.ts';
import { ifMatchVersion, parseBody, tenantHeader, withEtag } from './request-parts.ts';
import type { EnvironmentWriteDeps } from './environment-writes.ts';
import { tenantAccess, type TenantAccessDeps } from './tenant-access.ts';

export type EnvironmentRouteDeps = TenantAccessDeps & EnvironmentWriteDeps;

type KeyRequest = { Params: { key: string }; Body: unknown };

/**
 * The answer to an Environment write: the Environment, and the keys it issued (`issued_keys`, in this answer
 * only). 202 when the operator had not issued them in time; they are then in their Secrets.
 */
function sendWritten(reply: FastifyReply, written: EnvironmentWritten, created: boolean): FastifyReply {
  const view = environmentView(written.resource);
  return withEtag(reply, written.resource)
    .code(!written.keysIssued ? 202 : created ? 201 : 200)
    .header('cache-control', 'no-store')
    .send({ ...view, issued_keys: written.issuedKeys });
}

/** The seed-compatible Environment routes: list, create, and change display name, default and API keys. */
export function environmentRoutes(app: FastifyInstance, deps: EnvironmentRouteDeps): void {
  const access = (request: Parameters<typeof tenantHeader>[0], mode: 'read' | 'write') =>
    tenantAccess(deps, request, tenantHeader(request), mode);
  const tag = 'environments';

  app.get(
    '/api/v1/environments',
    routeDocs(tag, "A tenant's environments and their keys' prefixes"),
    async (request) => {
      const tenant = await access(request, 'read');
      const environments = await deps.resources.list(ENVIRONMENTS.plural, tenant.namespace);
      return {
        environments: environments
          .map(environmentView)
          .sort((a, b) => Number(b.is_default) - Number(a.is_default) || a.key.localeCompare(b.key)),
      };
    },
  );

  app.post<KeyRequest>(
    '/api/v1/environments',
    routeDocs(tag, 'Creates an environment; new keys are returned once', {
      body: jsonSchemaOf(createEnvironmentBody),
    }),
    async (request, reply) => {
      const tenant = await access(request, 'write');
      const written = await createEnvironment(deps, tenant, parseBody(createEnvironmentBody, request.body));
      reply.header('location', `/api/v1/environments/${encodeURIComponent(written.resource.metadata.name)}`);
      return sendWritten(reply, written, true);
    },
  );

  app.patch<KeyRequest>(
    '/api/v1/environments/:key',
    routeDocs(tag, 'Changes an environment: name, default, keys added (returned once) and removed', {
      body: jsonSchemaOf(patchEnvironmentBody),
    }),
    async (request, reply) => {
      const tenant = await access(request, 'write');
      const body = parseBody(patchEnvironmentBody, request.body);
      const written = await patchEnvironment(deps, tenant, request.params.key, body, ifMatchVersion(request));
      return sendWritten(reply, written, false);
    },
  );
}
