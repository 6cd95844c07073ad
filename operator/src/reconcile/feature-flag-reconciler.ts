import {
  decideFlag,
  FEATURE_FLAGS,
  flagKey,
  type EnvironmentRef,
  type FlagDecision,
  type KeyHolder,
  type PropagationTarget,
} from '../../../core/src/index.ts';
import { KeyTakenError, StaleFlagError, type FlagStore } from '../../../db/src/operator-store.ts';
import type { ResourceCache } from '../cluster/cluster.ts';
import { resourceActor, resourceDeleter, resourceKey, type CustomResource } from '../kube/custom-resource.ts';
import {
  hasFinalizer,
  invalidations,
  isDeleting,
  recordEvent,
  reportStatus,
  storeStep,
  withFinalizer,
  withoutFinalizer,
  type ReconcileDeps,
} from './reconcile-deps.ts';

const { kind, plural } = FEATURE_FLAGS;

/** What one transaction decided and wrote. */
interface FlagOutcome {
  tenantId: string;
  decision: FlagDecision;
  environments: readonly EnvironmentRef[];
  /** New revision per environment the write touched. */
  revisions: ReadonlyMap<string, number>;
}

/**
 * FeatureFlag: gather (the resource, the namespace's environments, the stored row and who holds it) → decide
 * (core's decideFlag) → act (one transaction, one statement: flag, configs, revision bumps, audit row; then
 * the invalidations, the status and the Event).
 */
export async function reconcileFeatureFlag(
  deps: ReconcileDeps,
  namespace: string,
  name: string,
): Promise<void> {
  const cached = deps.flags.get(namespace, name);
  if (!cached) return;
  if (isDeleting(cached)) return finalize(deps, cached);
  const resource = await withFinalizer(deps, plural, cached);
  const outcome = await storeStep(deps, plural, resource, async (store) => {
    const flags = await store.flags(namespace);
    // Two FeatureFlags claiming one key at once: the second to commit sees the first's row on its retry; a row
    // written between the read and the write is read again.
    return retrying([KeyTakenError, StaleFlagError], () => decideAndWrite(deps, flags, resource));
  });
  await act(deps, resource, outcome);
}

/** Read (one statement), decide (core), write (one statement, its own transaction). */
async function decideAndWrite(
  deps: ReconcileDeps,
  store: FlagStore,
  resource: CustomResource,
): Promise<FlagOutcome> {
  const { uid, name, namespace, generation, creationTimestamp } = resource.metadata;
  const { environments, stored } = await store.read(flagKey({ name, spec: resource.spec }));
  const decision = decideFlag({
    resource: {
      uid,
      name,
      generation,
      spec: resource.spec,
      creationTimestamp: creationTimestamp && new Date(creationTimestamp).toISOString(),
      status: resource.status,
    },
    environments,
    stored,
    holder:
      stored?.sourceUid && stored.sourceUid !== uid
        ? keyHolder(deps.flags, namespace, stored.sourceUid)
        : undefined,
    limits: deps.ruleLimits,
    propagation: deps.propagation !== undefined,
  });
  if (decision.kind !== 'write')
    return { tenantId: store.tenantId, decision, environments, revisions: new Map() };
  const revisions = await store.write(
    { name, uid, generation, actor: resourceActor(resource), stored },
    decision.plan,
  );
  return { tenantId: store.tenantId, decision, environments, revisions };
}

/** The FeatureFlag whose uid holds the stored row: null when none of the namespace's has it any more. */
function keyHolder(flags: ResourceCache, namespace: string, uid: string): KeyHolder | null {
  const holder = flags.list(namespace).find((flag) => flag.metadata.uid === uid);
  if (!holder) return null;
  const created = holder.metadata.creationTimestamp;
  return { name: holder.metadata.name, creationTimestamp: created && new Date(created).toISOString() };
}

async function act(deps: ReconcileDeps, resource: CustomResource, outcome: FlagOutcome): Promise<void> {
  const { decision } = outcome;
  const { namespace, name, generation } = resource.metadata;
  await deps.publisher.publish(invalidations(outcome.tenantId, outcome.revisions));
  const names = new Map(outcome.environments.map((environment) => [environment.id, environment.key]));
  const written =
    decision.kind === 'write'
      ? [...outcome.revisions]
          .filter(([id]) => decision.plan.configs.some((config) => config.environmentId === id))
          .map(([id, revision]) => ({ name: names.get(id)!, revision }))
          .sort((a, b) => a.name.localeCompare(b.name))
      : null;
  await reportStatus(deps, plural, resource, decision.conditions, written ? { environments: written } : {});
  recordEvent(deps, resource, decision.kind === 'unchanged' ? null : decision.event);
  if (decision.kind === 'write' && decision.plan.displaces)
    deps.enqueue(resourceKey(kind, namespace, decision.plan.displaces));

  const shown =
    decision.kind === 'unchanged' && decision.trackFromStatus ? statusEnvironments(resource) : null;
  const revisions = written ?? shown;
  if (!deps.propagation || !revisions) return;
  const ids = new Map(outcome.environments.map((environment) => [environment.key, environment.id]));
  const targets: PropagationTarget[] = revisions.flatMap(({ name: environment, revision }) => {
    const environmentId = ids.get(environment);
    return environmentId ? [{ environmentId, revision }] : [];
  });
  deps.propagation.track({ key: resourceKey(kind, namespace, name), namespace, name, generation, targets });
}

const statusEnvironments = (resource: CustomResource) =>
  (resource.status?.environments ?? []) as { name: string; revision: number }[];

/**
 * Deletion: archive the flag (its row stays for the audit trail), announce it, wake the FeatureFlags that
 * wanted its key, then let the resource go.
 */
async function finalize(deps: ReconcileDeps, resource: CustomResource): Promise<void> {
  if (!hasFinalizer(resource)) return;
  const { namespace, name, uid } = resource.metadata;
  deps.propagation?.forget(resourceKey(kind, namespace, name));
  const archived = await deps.store.inTenant(namespace, async (store) => ({
    tenantId: store.tenantId,
    revisions: await store.archiveFlag({ uid, name, actor: resourceDeleter(resource) }),
  }));
  await deps.publisher.publish(invalidations(archived.tenantId, archived.revisions));
  const key = flagKey({ name, spec: resource.spec });
  for (const other of deps.flags.list(namespace))
    if (other.metadata.uid !== uid && flagKey({ name: other.metadata.name, spec: other.spec }) === key)
      deps.enqueue(resourceKey(kind, namespace, other.metadata.name));
  await withoutFinalizer(deps, plural, resource);
}

/** Runs `work` again, once, after one of the `expected` races; a second race goes to the queue's backoff. */
async function retrying<T>(
  expected: readonly (new (...args: never[]) => Error)[],
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!expected.some((kind) => error instanceof kind)) throw error;
    return work();
  }
}
