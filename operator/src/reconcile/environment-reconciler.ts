import type pg from 'pg';
import {
  apiKeySecretName,
  ENVIRONMENTS,
  FEATURE_FLAGS,
  formatIssues,
  planApiKeys,
  validateEnvironmentSpec,
  type InvalidationMessage,
} from '../../../core/src/index.ts';
import { generateApiKey, hashApiKey, keyPrefix } from '../../../db/src/api-key-material.ts';
import {
  appendAudit,
  deactivateEnvironment,
  insertApiKey,
  listApiKeys,
  revokeApiKeys,
  upsertEnvironment,
  type StoredApiKey,
} from '../../../db/src/operator-writes.ts';
import { withTenant } from '../../../db/src/tenant-scope.ts';
import { withClient } from '../../../db/src/with-client.ts';
import { SecretNotOursError } from '../cluster/cluster.ts';
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

const { plural } = ENVIRONMENTS;

/** The keys the spec wants, each with its secret value: read back from our Secret, or made and stored there. */
async function keyMaterial(
  deps: ReconcileDeps,
  resource: CustomResource,
  names: readonly string[],
  stored: readonly StoredApiKey[],
) {
  const storedNames = new Set(stored.map((key) => key.name));
  const material: { name: string; hash: Buffer; prefix: string }[] = [];
  const conflicts: string[] = [];
  for (const name of names) {
    if (storedNames.has(name)) continue;
    try {
      // A Secret written by an earlier attempt whose transaction failed is reused, so no key is ever lost.
      const existing = await deps.secrets.read(resource, name);
      if (existing) {
        material.push({ name, hash: hashApiKey(existing), prefix: keyPrefix(existing) });
        continue;
      }
      const fresh = generateApiKey();
      await deps.secrets.create(resource, name, fresh.key);
      material.push({ name, hash: fresh.hash, prefix: fresh.prefix });
    } catch (error) {
      if (!(error instanceof SecretNotOursError)) throw error;
      conflicts.push(apiKeySecretName(resource.metadata.name, name));
    }
  }
  return { material, conflicts };
}

/**
 * Environment: ensure the tenant and the environment row, then make the stored API keys match the spec:
 * a Secret and a SHA-256 row per new key, revocation (row inactive, Secret deleted) per removed one.
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
    await updateStatus(deps, plural, resource, [
      { type: 'Synced', status: 'False', reason: 'InvalidSpec', message: detail },
      { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: detail },
    ]);
    return;
  }
  const spec = validated.value;
  const wanted = spec.apiKeys.map((key) => key.name);
  const actor = lastSpecManager(resource);

  const audit = (scoped: pg.ClientBase, tenantId: string, action: string, before: unknown, after: unknown) =>
    appendAudit(scoped, {
      tenantId,
      actor,
      action,
      kind: 'Environment',
      resource: name,
      generation: resource.metadata.generation,
      before,
      after,
    });

  let result;
  try {
    // The environment row and its creation's audit row commit together, before any Secret is made.
    const stored = await database(() =>
      withClient(deps.pool, async (client) => {
        const tenantId = await tenantOf(deps, client, namespace);
        return withTenant(client, tenantId, async (scoped) => {
          const environment = await upsertEnvironment(scoped, {
            tenantId,
            key: name,
            displayName: spec.displayName ?? name,
            isDefault: spec.default,
            sourceUid: resource.metadata.uid,
          });
          if (environment.created) await audit(scoped, tenantId, 'create', null, spec);
          return { tenantId, environment, keys: await listApiKeys(scoped, environment.id) };
        });
      }),
    );
    // Kubernetes between the two transactions: each new key's Secret exists before its hash is stored.
    const { material, conflicts } = await keyMaterial(deps, resource, wanted, stored.keys);
    const plan = planApiKeys(wanted, stored.keys);
    const revoked = stored.keys.filter((key) => plan.revoke.includes(key.id));
    const { tenantId, environment } = stored;
    const keys = await database(() =>
      withClient(deps.pool, (client) =>
        withTenant(client, tenantId, async (scoped) => {
          for (const key of material)
            await insertApiKey(scoped, {
              tenantId,
              environmentId: environment.id,
              ...key,
              sourceUid: resource.metadata.uid,
            });
          await revokeApiKeys(scoped, plan.revoke);
          for (const key of material)
            await audit(scoped, tenantId, 'create-api-key', null, { apiKey: key.name, prefix: key.prefix });
          for (const key of revoked)
            await audit(scoped, tenantId, 'revoke-api-key', { apiKey: key.name, prefix: key.prefix }, null);
          return listApiKeys(scoped, environment.id);
        }),
      ),
    );
    result = {
      tenantId,
      environment,
      keys,
      revoked,
      changed: material.length > 0 || revoked.length > 0,
      conflicts,
    };
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError)) throw error;
    await reportDatabaseUnavailable(deps, plural, resource, error);
    throw error;
  }

  for (const key of result.revoked) await deps.secrets.delete(resource, key.name);
  if (result.changed || result.environment.created) {
    const message: InvalidationMessage = {
      tenantId: result.tenantId,
      environmentId: result.environment.id,
      revision: result.environment.revision,
      keysChanged: true,
    };
    await deps.publisher.publish([message]);
  }
  // A new environment needs every flag of the namespace compiled for it.
  if (result.environment.created)
    for (const flag of deps.flags.list(namespace))
      deps.enqueue(resourceKey(FEATURE_FLAGS.kind, namespace, flag.metadata.name));

  const apiKeys = result.keys.map((key) => ({
    name: key.name,
    secretName: apiKeySecretName(name, key.name),
    prefix: key.prefix,
  }));
  const conflict = result.conflicts.length > 0;
  await updateStatus(
    deps,
    plural,
    resource,
    [
      conflict
        ? {
            type: 'Synced',
            status: 'False',
            reason: 'SecretConflict',
            message: `not ours, left alone: ${result.conflicts.join(', ')}`,
          }
        : { type: 'Synced', status: 'True', reason: 'Synced', message: `${apiKeys.length} API key(s)` },
      {
        type: 'Ready',
        status: conflict ? 'False' : 'True',
        reason: conflict ? 'SecretConflict' : 'Synced',
        message: conflict ? 'some API keys could not be issued' : 'ready for evaluations',
      },
    ],
    { apiKeys },
  );
  if (conflict)
    void deps.events.record(
      resource,
      'Warning',
      'SecretConflict',
      `Secrets not managed by this Environment: ${result.conflicts.join(', ')}`,
    );
  else if (result.changed || result.environment.created)
    void deps.events.record(resource, 'Normal', 'Synced', `${apiKeys.length} API key(s) issued`);
}

/** Deletion: revoke every key, deactivate the environment, delete our Secrets, then let the resource go. */
async function finalize(deps: ReconcileDeps, resource: CustomResource): Promise<void> {
  if (!hasFinalizer(resource)) return;
  const { namespace, name } = resource.metadata;
  const result = await withClient(deps.pool, async (client) => {
    const tenantId = await tenantOf(deps, client, namespace);
    return withTenant(client, tenantId, async (scoped) => {
      const environment = await deactivateEnvironment(scoped, tenantId, name);
      if (!environment) return { tenantId, environment, keys: [] };
      const keys = await listApiKeys(scoped, environment.id);
      await revokeApiKeys(
        scoped,
        keys.map((key) => key.id),
      );
      await appendAudit(scoped, {
        tenantId,
        actor: lastSpecManager(resource),
        action: 'delete',
        kind: 'Environment',
        resource: name,
        generation: resource.metadata.generation,
        before: resource.spec,
        after: null,
      });
      return { tenantId, environment, keys };
    });
  });
  if (result.environment) {
    await deps.publisher.publish([
      {
        tenantId: result.tenantId,
        environmentId: result.environment.id,
        revision: result.environment.revision,
        keysChanged: true,
      },
    ]);
    for (const key of result.keys) await deps.secrets.delete(resource, key.name);
    for (const flag of deps.flags.list(namespace))
      deps.enqueue(resourceKey(FEATURE_FLAGS.kind, namespace, flag.metadata.name));
  }
  await withoutFinalizer(deps, plural, resource);
}
