import type { FastifyInstance } from 'fastify';
import type { RuleLimits } from '../../../core/src/index.ts';
import { fastifySSE } from '@fastify/sse';
import type { KeyStore, ManagedResources, ResourceCache } from '../cluster/cluster.ts';
import type { ResourceChanges } from '../cluster/resource-changes.ts';
import type { Principal } from './jwt-verifier.ts';
import type pg from 'pg';
import { environmentRoutes } from './environment-routes.ts';
import { flagEventRoutes } from './flag-event-routes.ts';
import { flagRoutes } from './flag-routes.ts';
import { managementReadRoutes } from './management-routes.ts';
import { meRoutes } from './me-routes.ts';
import { PerKeyLock } from './per-key-lock.ts';
import { Problem, problemHandling } from './problems.ts';
import { signInRoutes, type ConsoleOidc } from './sign-in-routes.ts';

export interface ManagementApiDeps {
  pool: pg.Pool;
  verify: (token: string) => Promise<Principal | null>;
  /** The operator's FeatureFlag cache: sync status for the tenant reads. */
  flags: ResourceCache;
  /** What that cache sees change: the event streams. */
  flagChanges: ResourceChanges;
  maxStreams: number;
  /** The resources themselves; absent where the management API does not write. */
  resources?: ManagedResources;
  keys: KeyStore;
  watched: readonly string[];
  writes: boolean;
  reconcileWaitMs: number;
  propagationWaitMs: number;
  ruleLimits: RuleLimits;
  /** The OpenID provider browser clients sign in with (`GET /api/v1/sign-in`), or null. */
  consoleOidc: ConsoleOidc | null;
  /** The console signs in from a `#token=` link (CONSOLE_TOKEN_LINK: local mode). */
  consoleTokenLink: boolean;
}

/** A ManagedResources that refuses every write: the management API with MANAGEMENT_WRITES=false. */
function readOnly(resources: ManagedResources): ManagedResources {
  const refuse = async (): Promise<never> => {
    throw new Problem(405, 'read-only', 'This management API does not write', 'MANAGEMENT_WRITES is false');
  };
  return {
    get: (plural, namespace, name) => resources.get(plural, namespace, name),
    list: (plural, namespace) => resources.list(plural, namespace),
    namespaceExists: (namespace) => resources.namespaceExists(namespace),
    create: refuse,
    update: refuse,
    delete: refuse,
  };
}

/**
 * The management API in its own scope: problem+json for every error, bodies validated by zod in the
 * handlers (fastify's own validation is off here, the schemas only document), JSON serialised as is.
 */
export async function registerManagementApi(app: FastifyInstance, deps: ManagementApiDeps): Promise<void> {
  await app.register(async (scope) => {
    problemHandling(scope);
    await scope.register(fastifySSE, { heartbeatInterval: 15_000 });
    scope.setValidatorCompiler(() => (value) => ({ value }));
    scope.setSerializerCompiler(() => (data) => JSON.stringify(data));
    const namespaceExists = deps.resources
      ? (namespace: string) => deps.resources!.namespaceExists(namespace)
      : async () => false;
    const base = { pool: deps.pool, verify: deps.verify, watched: deps.watched, namespaceExists };
    managementReadRoutes(scope, { ...base, flags: deps.flags });
    meRoutes(scope, base);
    signInRoutes(scope, deps.consoleOidc, deps.consoleTokenLink);
    flagEventRoutes(scope, { ...base, changes: deps.flagChanges, maxStreams: deps.maxStreams });
    if (!deps.resources) return;
    const resources = deps.writes ? deps.resources : readOnly(deps.resources);
    const writes = {
      ...base,
      resources,
      lock: new PerKeyLock(),
      keys: deps.keys,
      reconcileWaitMs: deps.reconcileWaitMs,
      propagationWaitMs: deps.propagationWaitMs,
      ruleLimits: deps.ruleLimits,
    };
    flagRoutes(scope, writes);
    environmentRoutes(scope, writes);
  });
}
