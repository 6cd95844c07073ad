import {
  BodyConflict,
  FEATURE_FLAGS,
  FLAT_FIELD_OF,
  flagKey,
  isJsonObject,
  resourceNameForKey,
  ruleIssues,
  specFromBody,
  validateFeatureFlagSpec,
  type RuleLimits,
  type CreateFlagBody,
  type JsonObject,
  type PatchFlagBody,
} from '../../../core/src/index.ts';
import type { ManagedResources } from '../cluster/cluster.ts';
import type { CustomResource } from '../kube/custom-resource.ts';
import { fieldProblem, Problem } from './problems.ts';
import {
  createWithActor,
  deleteInTurn,
  updateInTurn,
  type WriteDeps,
  type WriteTarget,
} from './resource-writes.ts';
import type { TenantAccess } from './tenant-access.ts';

const { plural } = FEATURE_FLAGS;

/** The live FeatureFlag serving `key` in the namespace: by the name the API gives it, else by its spec.key. */
export async function findFlag(
  resources: ManagedResources,
  namespace: string,
  key: string,
): Promise<CustomResource | null> {
  const named = await resources.get(plural, namespace, resourceNameForKey(key));
  if (named && flagKey({ name: named.metadata.name, spec: named.spec }) === key) return named;
  const listed = (await resources.list(plural, namespace)).find(
    (resource) => flagKey({ name: resource.metadata.name, spec: resource.spec }) === key,
  );
  return listed ? await resources.get(plural, namespace, listed.metadata.name) : null;
}

export interface FlagWriteDeps extends WriteDeps {
  /** The operator's limits on a rule's cost: a flag over them would be InvalidSpec, so it is refused here. */
  ruleLimits: RuleLimits;
}

/**
 * Refuses a flag the operator would mark InvalidSpec for its rules' cost (the limits are the operator's, not
 * the API server's), naming the field. A spec the schema refuses is left to the API server to say so.
 */
function checkRules(spec: JsonObject, limits: RuleLimits): JsonObject {
  let issues;
  try {
    const validated = validateFeatureFlagSpec(spec);
    issues = validated.ok ? ruleIssues(validated.value, limits) : [];
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    issues = [
      { field: 'spec.targeting', message: `nests deeper than the limit of ${limits.maxDepth} levels` },
    ];
  }
  if (issues.length === 0) return spec;
  throw fieldProblem(
    422,
    'invalid-resource',
    'The rules of the resource refuse it',
    issues.map(({ field, message }) => ({ field, message })),
  );
}

/** A body that contradicts itself, as the 422 naming its field. */
function bodySpec(build: () => JsonObject): JsonObject {
  try {
    return build();
  } catch (error) {
    if (error instanceof RangeError)
      throw fieldProblem(422, 'invalid-request', 'The request body is not valid', [
        { field: '(body)', message: 'nests deeper than any flag may' },
      ]);
    if (!(error instanceof BodyConflict)) throw error;
    throw fieldProblem(422, 'invalid-request', 'The request body is not valid', [
      { field: error.field, message: error.message },
    ]);
  }
}

const target = (deps: WriteDeps, access: TenantAccess, key: string): WriteTarget => ({
  plural,
  resourceKind: 'FeatureFlag',
  kind: 'flag',
  access,
  key,
  find: () => findFlag(deps.resources, access.namespace, key),
  flatFieldOf: FLAT_FIELD_OF,
});

/** Creates a FeatureFlag named after the key (spec.key holds a key that is not a resource name). */
export async function createFlag(
  deps: FlagWriteDeps,
  access: TenantAccess,
  body: CreateFlagBody,
): Promise<CustomResource> {
  let spec = checkRules(
    bodySpec(() => specFromBody(body)),
    deps.ruleLimits,
  );
  const name = resourceNameForKey(body.key);
  if (name !== body.key) spec = { key: body.key, ...spec };
  if (await findFlag(deps.resources, access.namespace, body.key))
    throw new Problem(409, 'duplicate-key', 'A flag with this key exists', body.key);
  return createWithActor(deps, target(deps, access, body.key), name, spec);
}

/** Changes a flag: the body's fields over its current spec, in turn (see updateInTurn). */
export function patchFlag(
  deps: FlagWriteDeps,
  access: TenantAccess,
  key: string,
  body: PatchFlagBody,
  ifMatch: string | undefined,
): Promise<CustomResource> {
  if (body.key !== undefined && body.key !== key)
    bodySpec(() => {
      throw new BodyConflict('key', 'is immutable: a new key is a new flag');
    });
  return updateInTurn(deps, target(deps, access, key), ifMatch, (current) =>
    checkRules(
      bodySpec(() => specFromBody(body, isJsonObject(current.spec) ? current.spec : {})),
      deps.ruleLimits,
    ),
  );
}

/** Deletes a flag; the operator archives its rows. */
export function deleteFlag(
  deps: WriteDeps,
  access: TenantAccess,
  key: string,
  ifMatch: string | undefined,
): Promise<void> {
  return deleteInTurn(deps, target(deps, access, key), ifMatch);
}
