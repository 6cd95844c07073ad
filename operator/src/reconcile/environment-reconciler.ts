import {
  apiKeySecretName,
  ENVIRONMENTS,
  FEATURE_FLAGS,
  formatIssues,
  notSynced,
  planApiKeys,
  reportEnvironment,
  validateEnvironmentSpec,
  type EnvironmentSpec,
  type KeySettings,
} from '../../../core/src/index.ts';
import { generateApiKey, hashApiKey, keyPrefix } from '../../../db/src/api-key-material.ts';
import type { TenantStore } from '../../../db/src/operator-store.ts';
import type { StoredApiKey } from '../../../db/src/stores/api-keys.ts';
import { SecretNotOursError } from '../cluster/cluster.ts';
import { resourceActor, resourceDeleter, resourceKey, type CustomResource } from '../kube/custom-resource.ts';
import {
  hasFinalizer,
  isDeleting,
  recordEvent,
  reportStatus,
  storeStep,
  withFinalizer,
  withoutFinalizer,
  type ReconcileDeps,
} from './reconcile-deps.ts';

const { plural } = ENVIRONMENTS;

/** The keys to add, each with its secret value: read back from our Secret, or made and stored there. */
async function keyMaterial(
  deps: ReconcileDeps,
  resource: CustomResource,
  keys: readonly (KeySettings & { name: string })[],
) {
  const material: (KeySettings & { name: string; hash: Buffer; prefix: string })[] = [];
  const conflicts: string[] = [];
  for (const { name, ...settings } of keys) {
    try {
      // A Secret written by an earlier attempt whose transaction failed is reused, so no key is ever lost.
      const existing = await deps.secrets.read(resource, name);
      if (existing) {
        material.push({ name, ...settings, hash: hashApiKey(existing), prefix: keyPrefix(existing) });
        continue;
      }
      const fresh = generateApiKey();
      await deps.secrets.create(resource, name, fresh.key);
      material.push({ name, ...settings, hash: fresh.hash, prefix: fresh.prefix });
    } catch (error) {
      if (!(error instanceof SecretNotOursError)) throw error;
      conflicts.push(apiKeySecretName(resource.metadata.name, name));
    }
  }
  return { material, conflicts };
}

const auditOf =
  (store: TenantStore, resource: CustomResource, actor = resourceActor(resource)) =>
  (action: string, before: unknown, after: unknown) =>
    store.audit({
      actor,
      action,
      kind: 'Environment',
      resource: resource.metadata.name,
      generation: resource.metadata.generation,
      before,
      after,
    });

// every flag of the namespace, in the lane the Environment came by: someone's new Environment is served at once,
// a resync's fan-out waits behind changes
const enqueueFlags = (deps: ReconcileDeps, namespace: string) => {
  for (const flag of deps.flags.list(namespace))
    deps.enqueue(resourceKey(FEATURE_FLAGS.kind, namespace, flag.metadata.name), deps.lane ?? 'backlog');
};

/**
 * Environment: the environment row (and its creation's audit row) in one transaction, then a Secret per new
 * key, then in a second transaction a SHA-256 row per new key and the revocation of removed ones; then the
 * removed keys' Secrets go, the evaluators are told, and a new environment has every flag written for it.
 */
export async function reconcileEnvironment(
  deps: ReconcileDeps,
  namespace: string,
  name: string,
): Promise<void> {
  const cached = deps.environments.get(namespace, name);
  if (!cached) return;
  if (isDeleting(cached)) return finalize(deps, cached);
  const resource = await withFinalizer(deps, plural, cached);
  const validated = validateEnvironmentSpec(resource.spec);
  if (!validated.ok) {
    const detail = formatIssues(validated.issues);
    await reportStatus(deps, plural, resource, notSynced('InvalidSpec', detail));
    recordEvent(deps, resource, { type: 'Warning', reason: 'InvalidSpec', note: detail });
    return;
  }
  const result = await storeStep(deps, plural, resource, (store) =>
    syncKeys(deps, store, resource, validated.value),
  );

  for (const key of result.revoked) await deps.secrets.delete(resource, key.name);
  const keysChanged = result.added > 0 || result.revoked.length > 0 || result.updated > 0;
  if (keysChanged || result.environment.created || result.environment.settingsChanged)
    await deps.publisher.publish([
      {
        tenantId: result.tenantId,
        environmentId: result.environment.id,
        revision: result.environment.revision,
        keysChanged: true,
      },
    ]);
  if (result.environment.created) enqueueFlags(deps, namespace);
  const report = reportEnvironment({
    environmentName: name,
    keys: result.keys,
    conflicts: result.conflicts,
    keysChanged,
    created: result.environment.created,
  });
  await reportStatus(deps, plural, resource, report.conditions, { apiKeys: report.apiKeys });
  recordEvent(deps, resource, report.event);
}

async function syncKeys(
  deps: ReconcileDeps,
  operatorStore: ReconcileDeps['store'],
  resource: CustomResource,
  spec: EnvironmentSpec,
) {
  const { namespace, name, uid } = resource.metadata;
  const corsAllowedOrigins = spec.cors?.allowedOrigins ?? [];
  const first = await operatorStore.inTenant(namespace, async (store) => {
    const environment = await store.upsertEnvironment({
      key: name,
      displayName: spec.displayName ?? name,
      isDefault: spec.default,
      corsAllowedOrigins,
      sourceUid: uid,
    });
    if (environment.created) await auditOf(store, resource)('create', null, spec);
    else if (environment.settingsChanged)
      await auditOf(store, resource)(
        'update-cors',
        { allowedOrigins: environment.previousOrigins },
        { allowedOrigins: corsAllowedOrigins },
      );
    return { tenantId: store.tenantId, environment, keys: await store.apiKeys(environment.id) };
  });
  const plan = planApiKeys(
    spec.apiKeys.map((key) => ({
      name: key.name,
      kind: key.kind ?? 'server',
      rateLimitPerSecond: key.rateLimit ?? null,
    })),
    first.keys,
  );
  // Kubernetes between the two transactions: each new key's Secret exists before its hash is stored.
  const { material, conflicts } = await keyMaterial(deps, resource, plan.create);
  const revoked: StoredApiKey[] = first.keys.filter((key) => plan.revoke.includes(key.id));
  const keys = await operatorStore.inTenant(namespace, async (store) => {
    const audit = auditOf(store, resource);
    for (const key of material)
      await store.insertApiKey({ environmentId: first.environment.id, ...key, sourceUid: uid });
    await store.revokeApiKeys(plan.revoke);
    for (const { key, settings } of plan.update) await store.updateApiKey(key.id, settings);
    for (const key of material)
      await audit('create-api-key', null, {
        apiKey: key.name,
        prefix: key.prefix,
        kind: key.kind,
        rateLimitPerSecond: key.rateLimitPerSecond,
      });
    for (const { key, settings } of plan.update)
      await audit(
        'change-api-key',
        { apiKey: key.name, prefix: key.prefix, kind: key.kind, rateLimitPerSecond: key.rateLimitPerSecond },
        { apiKey: key.name, prefix: key.prefix, ...settings },
      );
    for (const key of revoked) await audit('revoke-api-key', { apiKey: key.name, prefix: key.prefix }, null);
    return store.apiKeys(first.environment.id);
  });
  return { ...first, keys, revoked, added: material.length, updated: plan.update.length, conflicts };
}

/** Deletion: revoke every key, deactivate the environment, delete our Secrets, then let the resource go. */
async function finalize(deps: ReconcileDeps, resource: CustomResource): Promise<void> {
  if (!hasFinalizer(resource)) return;
  const { namespace, name } = resource.metadata;
  const result = await deps.store.inTenant(namespace, async (store) => {
    const environment = await store.deactivateEnvironment(name);
    if (!environment) return null;
    const keys = await store.apiKeys(environment.id);
    await store.revokeApiKeys(keys.map((key) => key.id));
    await auditOf(store, resource, resourceDeleter(resource))('delete', resource.spec, null);
    return { tenantId: store.tenantId, environment, keys };
  });
  if (result) {
    await deps.publisher.publish([
      {
        tenantId: result.tenantId,
        environmentId: result.environment.id,
        revision: result.environment.revision,
        keysChanged: true,
      },
    ]);
    for (const key of result.keys) await deps.secrets.delete(resource, key.name);
    enqueueFlags(deps, namespace);
  }
  await withoutFinalizer(deps, plural, resource);
}
