import type { Logger } from 'pino';
import {
  FINALIZER,
  notSynced,
  type ConditionUpdate,
  type InvalidationMessage,
  type ResourceEvent,
  type RuleLimits,
} from '../../../core/src/index.ts';
import { DatabaseUnavailableError, type OperatorStore } from '../../../db/src/operator-store.ts';
import type { EventSink, KeyStore, ResourceCache, ResourceWriter } from '../cluster/cluster.ts';
import type { CustomResource, ResourceStatus } from '../kube/custom-resource.ts';
import { mergeConditions, sameStatus } from '../kube/resource-client.ts';
import type { PropagationTracker } from '../propagation/propagation-tracker.ts';
import type { Lane } from '../queue/work-queue.ts';

/** Everything a reconciler touches, injected by the composition root (and by the unit tests' fakes). */
export interface ReconcileDeps {
  store: OperatorStore;
  writer: ResourceWriter;
  events: EventSink;
  publisher: { publish(messages: readonly InvalidationMessage[]): Promise<void> };
  secrets: KeyStore;
  flags: ResourceCache;
  environments: ResourceCache;
  enqueue: (key: string, lane?: Lane) => void;
  /**
   * The lane the reconcile came by: what it queues follows it, and a backlog reconcile's Events are budgeted
   * (an initial sync of 100,000 flags would send as many), a change's never.
   */
  lane?: Lane;
  /** Reports Propagated once evaluators serve a change; absent without Redis (nothing to read it from). */
  propagation?: Pick<PropagationTracker, 'track' | 'forget'>;
  /** What a flag's rules may cost; beyond it a FeatureFlag is InvalidSpec. */
  ruleLimits: RuleLimits;
  log: Logger;
  now?: () => Date;
}

/**
 * Writes the conditions (and extra status fields) only when the status they make differs from what the
 * resource already shows (cert-manager's rule).
 */
export async function writeConditions(
  writer: ResourceWriter,
  plural: string,
  resource: CustomResource,
  conditions: readonly ConditionUpdate[],
  extra: Record<string, unknown> = {},
  now: Date = new Date(),
): Promise<void> {
  const generation = resource.metadata.generation;
  const status: ResourceStatus = {
    ...resource.status,
    ...extra,
    observedGeneration: generation,
    conditions: mergeConditions(
      resource.status?.conditions,
      conditions.map((condition) => ({ ...condition, observedGeneration: generation })),
      now.toISOString(),
    ),
  };
  if (!sameStatus(resource.status, status)) await writer.writeStatus(plural, resource, status);
}

export const reportStatus = (
  deps: ReconcileDeps,
  plural: string,
  resource: CustomResource,
  conditions: readonly ConditionUpdate[],
  extra?: Record<string, unknown>,
): Promise<void> => writeConditions(deps.writer, plural, resource, conditions, extra, deps.now?.());

/** Records the decision's Event, if it has one; an Event that cannot be written never fails the reconcile. */
export function recordEvent(
  deps: ReconcileDeps,
  resource: CustomResource,
  event: ResourceEvent | null,
): void {
  if (event) void deps.events.record(resource, event.type, event.reason, event.note, deps.lane === 'backlog');
}

/**
 * Runs a Postgres step. When Postgres is unreachable, says so on the resource (conditions and an Event) and
 * rethrows, so the queue backs off and retries; any other failure goes to the queue as it is.
 */
export async function storeStep<T>(
  deps: ReconcileDeps,
  plural: string,
  resource: CustomResource,
  work: (store: OperatorStore) => Promise<T>,
): Promise<T> {
  try {
    return await work(deps.store);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) {
      await reportStatus(
        deps,
        plural,
        resource,
        notSynced('DatabaseUnavailable', error.message, 'not written to Postgres yet; retrying'),
      );
      recordEvent(deps, resource, { type: 'Warning', reason: 'DatabaseUnavailable', note: error.message });
    }
    throw error;
  }
}

/** Adds our finalizer before anything is written outside the cluster; returns the updated resource. */
export async function withFinalizer(
  deps: ReconcileDeps,
  plural: string,
  resource: CustomResource,
): Promise<CustomResource> {
  const finalizers = resource.metadata.finalizers ?? [];
  if (finalizers.includes(FINALIZER)) return resource;
  return deps.writer.setFinalizers(plural, resource, [...finalizers, FINALIZER]);
}

export async function withoutFinalizer(
  deps: ReconcileDeps,
  plural: string,
  resource: CustomResource,
): Promise<void> {
  const finalizers = resource.metadata.finalizers ?? [];
  if (finalizers.includes(FINALIZER))
    await deps.writer.setFinalizers(
      plural,
      resource,
      finalizers.filter((name) => name !== FINALIZER),
    );
}

export const isDeleting = (resource: CustomResource): boolean => Boolean(resource.metadata.deletionTimestamp);
export const hasFinalizer = (resource: CustomResource): boolean =>
  (resource.metadata.finalizers ?? []).includes(FINALIZER);

/** Invalidation messages for the revisions a transaction committed. */
export const invalidations = (
  tenantId: string,
  revisions: ReadonlyMap<string, number>,
): InvalidationMessage[] =>
  [...revisions].map(([environmentId, revision]) => ({ tenantId, environmentId, revision }));
