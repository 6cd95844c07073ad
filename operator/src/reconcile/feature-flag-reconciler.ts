import {
  FEATURE_FLAGS,
  formatIssues,
  isJsonObject,
  planFlag,
  type InvalidationMessage,
} from '../../../core/src/index.ts';
import { archiveFlag, listEnvironments, readFlag, writeFlag } from '../../../db/src/operator-writes.ts';
import { withTenant } from '../../../db/src/tenant-scope.ts';
import { withClient } from '../../../db/src/with-client.ts';
import { lastSpecManager, type CustomResource } from '../kube/custom-resource.ts';
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
          if (plan.kind === 'unchanged')
            return { state: 'unchanged' as const, detail: 'up to date', revisions: [] };
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
    ],
    extra,
  );
  if (outcome.state === 'written') void deps.events.record(resource, 'Normal', 'Synced', outcome.detail);
}

/** Deletion: archive the flag (its row stays for the audit trail), announce it, then let the resource go. */
async function finalize(deps: ReconcileDeps, resource: CustomResource): Promise<void> {
  if (!hasFinalizer(resource)) return;
  const { namespace, name, uid } = resource.metadata;
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
