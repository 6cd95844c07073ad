import {
  addedKeyNames,
  ENVIRONMENT_FLAT_FIELD_OF,
  ENVIRONMENTS,
  environmentSpecFromBody,
  isJsonObject,
  nameIssues,
  type CreateEnvironmentBody,
  type PatchEnvironmentBody,
} from '../../../core/src/index.ts';
import { SecretNotOursError, type KeyStore } from '../cluster/cluster.ts';
import type { CustomResource } from '../kube/custom-resource.ts';
import { Problem } from './problems.ts';
import { pollResource, reconciled } from './reconcile-waits.ts';
import { createWithActor, updateInTurn, type WriteDeps, type WriteTarget } from './resource-writes.ts';
import type { TenantAccess } from './tenant-access.ts';

const { plural } = ENVIRONMENTS;

export interface EnvironmentWriteDeps extends WriteDeps {
  keys: KeyStore;
}

/** A write's outcome: the Environment, and the keys it issued, each handed over here and never again. */
export interface EnvironmentWritten {
  resource: CustomResource;
  issuedKeys: { name: string; key: string }[];
  /** False when the operator had not issued the keys in time: they are then only in their Secrets. */
  keysIssued: boolean;
}

/** An Environment's name from a URL: one that cannot be a resource name is no Environment (404, no call). */
const environmentName = (key: string) => {
  if (nameIssues(key).length > 0) throw new Problem(404, 'not-found', 'No such environment', key);
  return key;
};

const target = (deps: WriteDeps, access: TenantAccess, key: string): WriteTarget => ({
  plural,
  resourceKind: 'Environment',
  kind: 'environment',
  access,
  key,
  find: () => deps.resources.get(plural, access.namespace, key),
  flatFieldOf: { ...ENVIRONMENT_FLAT_FIELD_OF, 'metadata.name': 'key' },
});

/**
 * The keys the operator issued for `names`, read where it stored them, once it has reconciled the write. The
 * wait is bounded: past it the keys stay where the operator put them (their Secrets), and the answer says so.
 */
async function issued(
  deps: EnvironmentWriteDeps,
  written: CustomResource,
  names: readonly string[],
): Promise<EnvironmentWritten> {
  if (names.length === 0) return { resource: written, issuedKeys: [], keysIssued: true };
  const { namespace, name } = written.metadata;
  const deadline = Date.now() + deps.reconcileWaitMs;
  const settled = await pollResource(deps.resources, plural, namespace, name, reconciled, deadline);
  if (!settled || !reconciled(settled))
    return { resource: settled ?? written, issuedKeys: [], keysIssued: false };
  const issuedKeys = [];
  for (const keyName of names) {
    // a key the operator could not issue (its Secret's name is another's) is reported in the conditions
    const key = await deps.keys.read(settled, keyName).catch((error: unknown) => {
      if (error instanceof SecretNotOursError) return null;
      throw error;
    });
    if (key) issuedKeys.push({ name: keyName, key });
  }
  return { resource: settled, issuedKeys, keysIssued: issuedKeys.length === names.length };
}

export async function createEnvironment(
  deps: EnvironmentWriteDeps,
  access: TenantAccess,
  body: CreateEnvironmentBody,
): Promise<EnvironmentWritten> {
  const spec = environmentSpecFromBody(body);
  const written = await createWithActor(deps, target(deps, access, body.key), body.key, spec);
  return issued(deps, written, addedKeyNames({}, spec));
}

export async function patchEnvironment(
  deps: EnvironmentWriteDeps,
  access: TenantAccess,
  key: string,
  body: PatchEnvironmentBody,
  ifMatch: string | undefined,
): Promise<EnvironmentWritten> {
  let added: string[] = [];
  const written = await updateInTurn(deps, target(deps, access, environmentName(key)), ifMatch, (current) => {
    const before = isJsonObject(current.spec) ? current.spec : {};
    const after = environmentSpecFromBody(body, before);
    added = addedKeyNames(before, after);
    return after;
  });
  return issued(deps, written, added);
}
