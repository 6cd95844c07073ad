import type pg from 'pg';
import type { Logger } from 'pino';
import { FINALIZER, type RuleLimits } from '../../../core/src/index.ts';
import { ensureTenant } from '../../../db/src/operator-writes.ts';
import type { InvalidationPublisher } from '../invalidation-publisher.ts';
import type { PropagationTracker } from '../propagation/propagation-tracker.ts';
import type { EventSink, KeyStore, ResourceCache, ResourceWriter } from '../cluster/cluster.ts';
import type { Condition, CustomResource, ResourceStatus } from '../kube/custom-resource.ts';
import { mergeConditions, sameStatus } from '../kube/resource-client.ts';

/** Everything a reconciler touches, injected by the composition root. */
export interface ReconcileDeps {
  pool: pg.Pool;
  client: ResourceWriter;
  events: EventSink;
  publisher: InvalidationPublisher;
  secrets: KeyStore;
  flags: ResourceCache;
  environments: ResourceCache;
  enqueue: (key: string) => void;
  /** Reports Propagated once evaluators serve a change; absent without Redis (nothing to read it from). */
  propagation?: PropagationTracker;
  /** Tenant ids by namespace: a tenant, once created, keeps its id. */
  tenants: Map<string, string>;
  /** What a flag's rules may cost; beyond it a FeatureFlag is InvalidSpec. */
  ruleLimits: RuleLimits;
  log: Logger;
  now?: () => Date;
}

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** Writes status only when it differs from what the resource already shows (cert-manager's rule). */
export async function updateStatus(
  deps: ReconcileDeps,
  plural: string,
  resource: CustomResource,
  conditions: ConditionUpdate[],
  extra: Record<string, unknown> = {},
): Promise<void> {
  const generation = resource.metadata.generation;
  const now = (deps.now?.() ?? new Date()).toISOString();
  const status: ResourceStatus = {
    ...resource.status,
    ...extra,
    observedGeneration: generation,
    conditions: mergeConditions(
      resource.status?.conditions,
      conditions.map((condition) => ({ ...condition, observedGeneration: generation })),
      now,
    ),
  };
  if (!sameStatus(resource.status, status)) await deps.client.writeStatus(plural, resource, status);
}

/** Adds our finalizer before anything is written outside the cluster; returns the updated resource. */
export async function withFinalizer(
  deps: ReconcileDeps,
  plural: string,
  resource: CustomResource,
): Promise<CustomResource> {
  const finalizers = resource.metadata.finalizers ?? [];
  if (finalizers.includes(FINALIZER)) return resource;
  return deps.client.setFinalizers(plural, resource, [...finalizers, FINALIZER]);
}

export async function withoutFinalizer(
  deps: ReconcileDeps,
  plural: string,
  resource: CustomResource,
): Promise<void> {
  const finalizers = resource.metadata.finalizers ?? [];
  if (finalizers.includes(FINALIZER))
    await deps.client.setFinalizers(
      plural,
      resource,
      finalizers.filter((name) => name !== FINALIZER),
    );
}

export const isDeleting = (resource: CustomResource): boolean => Boolean(resource.metadata.deletionTimestamp);
export const hasFinalizer = (resource: CustomResource): boolean =>
  (resource.metadata.finalizers ?? []).includes(FINALIZER);

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The namespace's tenant id, from memory after the first time. */
export async function tenantOf(
  deps: ReconcileDeps,
  client: pg.ClientBase,
  namespace: string,
): Promise<string> {
  const known = deps.tenants.get(namespace);
  if (known) return known;
  const id = await ensureTenant(client, namespace);
  deps.tenants.set(namespace, id);
  return id;
}

export class DatabaseUnavailableError extends Error {
  readonly code = 'XC_ERR_DATABASE_UNAVAILABLE';
}

/** Runs a Postgres step; any failure of it becomes a DatabaseUnavailableError (Kubernetes failures stay as they are). */
export async function database<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new DatabaseUnavailableError(describeError(error), { cause: error });
  }
}

/** Says so in the conditions and an Event; the caller rethrows so the queue backs off and retries. */
export async function reportDatabaseUnavailable(
  deps: ReconcileDeps,
  plural: string,
  resource: CustomResource,
  error: DatabaseUnavailableError,
): Promise<void> {
  await updateStatus(deps, plural, resource, [
    { type: 'Synced', status: 'False', reason: 'DatabaseUnavailable', message: error.message },
    {
      type: 'Ready',
      status: 'False',
      reason: 'DatabaseUnavailable',
      message: 'not written to Postgres yet; retrying',
    },
  ]);
  void deps.events.record(resource, 'Warning', 'DatabaseUnavailable', error.message);
}
