import {
  FEATURE_FLAGS,
  formatIssues,
  isJsonObject,
  planFlag,
  type InvalidationMessage,
  type PropagationTarget,
} from '../../../core/src/index.ts';
import { archiveFlag, listEnvironments, readFlag, writeFlag } from '../../../db/src/operator-writes.ts';
import { withTenant } from '../../../db/src/tenant-scope.ts';
import { withClient } from '../../../db/src/with-client.ts';
import { lastSpecManager, resourceKey, type CustomResource } from '../kube/custom-resource.ts';
import {
  database,
  DatabaseUnavailableError,
  hasFinalizer,
  isDeleting,
  reportDatabaseUnavailable,
  tenantOf,
  updateStatus,
  withFinalizer,
  withoutFinalizer,
  type ReconcileDeps,
} from './reconcile-deps.ts';

const { plural } = FEATURE_FLAGS;

/**
 * FeatureFlag: gather (the resource, the namespace's environments, the stored row) → decide (core's planFlag)
 * → act (one transaction: flag, configs, revision bumps, audit row; then the invalidations) → status and Event.
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
  const spec = resource.spec;
  const key = isJsonObject(spec) && typeof spec.key === 'string' ? spec.key : name;

  let messages: InvalidationMessage[] = [];
  let outcome: {
    state: 'invalid' | 'conflict' | 'unchanged' | 'written';
    detail: string;
    revisions: { name: string; revision: number }[];
    /** Environment ids by name, as the transaction saw them. */
    ids?: Map<string, string>;
  };
  try {
    outcome = await database(() =>
      withClient(deps.pool, async (client) => {
        const tenantId = await tenantOf(deps, client, namespace);
        return withTenant(client, tenantId, async (scoped) => {
          const environments = await listEnvironments(scoped, tenantId);
          const stored = await readFlag(scoped, tenantId, key);
          const plan = planFlag(
            { uid: resource.metadata.uid, name, generation: resource.metadata.generation, spec },
            environments,
            stored,
            deps.ruleLimits,
          );
          const names = new Map(environments.map((environment) => [environment.id, environment.key]));
          if (plan.kind === 'invalid')
            return { state: 'invalid' as const, detail: formatIssues(plan.issues), revisions: [] };
          if (plan.kind === 'conflict')
            return {
              state: 'conflict' as const,
              detail: `key "${plan.key}" belongs to another FeatureFlag in this namespace`,
              revisions: [],
            };
          const ids = new Map(environments.map((environment) => [environment.key, environment.id]));
          if (plan.kind === 'unchanged')
            return { state: 'unchanged' as const, detail: 'up to date', revisions: [], ids };
          const revisions = await writeFlag(
            scoped,
            {
              tenantId,
              name,
              uid: resource.metadata.uid,
              generation: resource.metadata.generation,
              actor: lastSpecManager(resource),
              storedId: stored?.id ?? null,
              storedEnvironmentIds: stored?.environmentIds ?? [],
            },
            plan,
          );
          messages = [...revisions].map(([environmentId, revision]) => ({
            tenantId,
            environmentId,
            revision,
          }));
          return {
            state: 'written' as const,
            detail: `generation ${resource.metadata.generation} written to ${plan.configs.length} environment(s)`,
            revisions: plan.configs.map((config) => ({
              name: names.get(config.environmentId)!,
              revision: revisions.get(config.environmentId)!,
            })),
            ids,
          };
        });
      }),
    );
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError)) throw error;
    await reportDatabaseUnavailable(deps, plural, resource, error);
    throw error;
  }
  await deps.publisher.publish(messages);

  if (outcome.state === 'invalid' || outcome.state === 'conflict') {
    const reason = outcome.state === 'invalid' ? 'InvalidSpec' : 'KeyConflict';
    await updateStatus(deps, plural, resource, [
      { type: 'Synced', status: 'False', reason, message: outcome.detail },
      { type: 'Ready', status: 'False', reason, message: outcome.detail },
    ]);
    void deps.events.record(resource, 'Warning', reason, outcome.detail);
    return;
  }
  const extra =
    outcome.state === 'written'
      ? { environments: outcome.revisions.sort((a, b) => a.name.localeCompare(b.name)) }
      : {};
  const targets = deps.propagation ? propagationTargets(resource, outcome) : null;
  await updateStatus(
    deps,
    plural,
    resource,
    [
      { type: 'Synced', status: 'True', reason: 'Synced', message: outcome.detail },
      {
        type: 'Ready',
        status: 'True',
        reason: 'Synced',
        message: 'written to Postgres and announced to evaluators',
      },
      ...(targets ? [PROPAGATING] : []),
    ],
    extra,
  );
  if (targets)
    deps.propagation!.track({
      key: resourceKey(FEATURE_FLAGS.kind, resource.metadata.namespace, resource.metadata.name),
      namespace: resource.metadata.namespace,
      name: resource.metadata.name,
      generation: resource.metadata.generation,
      targets,
    });
  if (outcome.state === 'written') void deps.events.record(resource, 'Normal', 'Synced', outcome.detail);
}

const PROPAGATING = {
  type: 'Propagated',
  status: 'False',
  reason: 'Propagating',
  message: 'waiting for every live evaluator to serve this generation',
} as const;

/**
 * The environment revisions this generation lives in, when its propagation is still to be confirmed: just
 * written, or unchanged but not yet reported Propagated (after an operator restart, say).
 */
function propagationTargets(
  resource: CustomResource,
  outcome: { state: string; revisions: { name: string; revision: number }[]; ids?: Map<string, string> },
): PropagationTarget[] | null {
  const { generation } = resource.metadata;
  let revisions = outcome.revisions;
  if (outcome.state === 'unchanged') {
    const propagated = resource.status?.conditions?.find((condition) => condition.type === 'Propagated');
    if (propagated?.status === 'True' && propagated.observedGeneration === generation) return null;
    if (resource.status?.observedGeneration !== generation) return null;
    revisions = (resource.status?.environments ?? []) as { name: string; revision: number }[];
  } else if (outcome.state !== 'written') return null;
  const targets: PropagationTarget[] = [];
  for (const { name, revision } of revisions) {
    const environmentId = outcome.ids?.get(name);
    if (environmentId) targets.push({ environmentId, revision });
  }
  return targets;
}

/** Deletion: archive the flag (its row stays for the audit trail), announce it, then let the resource go. */
async function finalize(deps: ReconcileDeps, resource: CustomResource): Promise<void> {
  if (!hasFinalizer(resource)) return;
  const { namespace, name, uid } = resource.metadata;
  deps.propagation?.forget(resourceKey(FEATURE_FLAGS.kind, namespace, name));
  const messages = await database(() =>
    withClient(deps.pool, async (client) => {
      const tenantId = await tenantOf(deps, client, namespace);
      const revisions = await withTenant(client, tenantId, (scoped) =>
        archiveFlag(scoped, { tenantId, uid, name, actor: lastSpecManager(resource) }),
      );
      return [...revisions].map(([environmentId, revision]) => ({ tenantId, environmentId, revision }));
    }),
  );
  await deps.publisher.publish(messages);
  await withoutFinalizer(deps, plural, resource);
}
