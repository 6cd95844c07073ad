import { etagOf } from './request-parts.ts';
import {
  canonicalJson,
  DELETED_BY,
  DELETED_BY_EMAIL,
  gitOpsOwner,
  managementActorAnnotations,
  withSchemaDefaults,
  type JsonObject,
} from '../../../core/src/index.ts';
import { ResourceRefused, type ManagedResources } from '../cluster/cluster.ts';
import type { CustomResource } from '../kube/custom-resource.ts';
import type { PerKeyLock } from './per-key-lock.ts';
import { Problem, refusal } from './problems.ts';
import { pollResource, reconciled } from './reconcile-waits.ts';
import type { TenantAccess } from './tenant-access.ts';

export interface WriteDeps {
  resources: ManagedResources;
  lock: PerKeyLock;
  /** How long a write waits for the operator to reconcile the change before it (then 503). */
  reconcileWaitMs: number;
}

/** What a write is about: which resource, found how, and how the body names the resource's fields. */
export interface WriteTarget {
  plural: string;
  resourceKind: 'FeatureFlag' | 'Environment';
  /** What the answers call it. */
  kind: string;
  access: TenantAccess;
  /** The body's key for the resource (the flag key, the Environment name). */
  key: string;
  find: () => Promise<CustomResource | null>;
  flatFieldOf: Readonly<Record<string, string>>;
}

/** The resource's refusal in the body's terms; anything else is rethrown. */
export function refusedWrite(error: unknown, flatFieldOf: Readonly<Record<string, string>>): never {
  if (error instanceof ResourceRefused) throw refusal(error, flatFieldOf);
  throw error;
}

/** Refuses a write to a resource a GitOps controller applies: its next sync would revert it. */
export function refuseOwnedElsewhere(resource: CustomResource, kind: string): void {
  const owner = gitOpsOwner(resource.metadata);
  if (owner)
    throw new Problem(
      409,
      'gitops-owned',
      `A GitOps controller owns this ${kind}`,
      `${owner} applies it; change it in Git`,
      {
        owner,
      },
    );
}

const stale = (current: CustomResource) =>
  new Problem(
    412,
    'stale',
    'It changed since that version',
    `it is at ${etagOf(String(current.metadata.generation))}`,
  );

/** The current resource, checked: it exists, `If-Match` (when sent) names its version, no GitOps owner. */
async function currentFor(target: WriteTarget, ifMatch: string | undefined): Promise<CustomResource> {
  const current = await target.find();
  if (!current) throw new Problem(404, 'not-found', `No such ${target.kind}`, target.key);
  if (ifMatch !== undefined && ifMatch !== String(current.metadata.generation)) throw stale(current);
  refuseOwnedElsewhere(current, target.kind);
  return current;
}

/**
 * Changes a resource's spec to what `change` makes of the current one. One write at a time per resource on
 * this replica, and each waits until the operator has reconciled the one before, so every accepted write is
 * its own generation and its own audit row with its own actor; the resourceVersion precondition turns a write
 * by anyone else meanwhile into a retry on the new version. If-Match names a generation (the ETag): a status
 * or metadata write meanwhile is not a conflict for the writer, a spec change is (412).
 */
export function updateInTurn(
  deps: WriteDeps,
  target: WriteTarget,
  ifMatch: string | undefined,
  change: (current: CustomResource) => JsonObject,
): Promise<CustomResource> {
  const { access } = target;
  // from the request's arrival: a write queued behind others waits no longer than one alone would
  const deadline = Date.now() + deps.reconcileWaitMs;
  return deps.lock.run(`${target.plural}/${access.namespace}/${target.key}`, async () => {
    for (;;) {
      const current = await currentFor(target, ifMatch);
      if (!reconciled(current)) {
        const name = current.metadata.name;
        const settled = await pollResource(
          deps.resources,
          target.plural,
          access.namespace,
          name,
          reconciled,
          deadline,
        );
        if (settled && !reconciled(settled))
          throw new Problem(
            503,
            'not-reconciled',
            'The previous change is not reconciled yet',
            'retry shortly',
          );
        continue;
      }
      // with the CRD's defaults, so the spec digested for the audit is the one stored
      const spec = withSchemaDefaults(target.resourceKind, change(current));
      if (canonicalJson(spec) === canonicalJson(current.spec)) return current;
      const { subject, email } = access.principal;
      const annotations = {
        ...withoutDeletionMark(current.metadata.annotations),
        ...managementActorAnnotations(subject, email, spec),
      };
      try {
        return await deps.resources.update(target.plural, {
          ...current,
          metadata: { ...current.metadata, annotations },
          spec,
        });
      } catch (error) {
        // a conflict is anyone's write meanwhile, the operator's status too: read again, and with If-Match
        // refuse only if the spec moved on (currentFor)
        if (!(error instanceof ResourceRefused && error.reason === 'Conflict'))
          refusedWrite(error, target.flatFieldOf);
      }
    }
  });
}

const withoutDeletionMark = (annotations: Readonly<Record<string, string>> = {}) =>
  Object.fromEntries(
    Object.entries(annotations).filter(([key]) => key !== DELETED_BY && key !== DELETED_BY_EMAIL),
  );

/** Takes a deletion mark off again, if the resource is still as marked; best effort. */
async function unmark(deps: WriteDeps, plural: string, marked: CustomResource): Promise<void> {
  const annotations = withoutDeletionMark(marked.metadata.annotations);
  await deps.resources
    .update(plural, { ...marked, metadata: { ...marked.metadata, annotations } })
    .catch(() => undefined);
}

/** Deletes a resource (the operator archives its rows), saying on it first who deletes it. */
export function deleteInTurn(
  deps: WriteDeps,
  target: WriteTarget,
  ifMatch: string | undefined,
): Promise<void> {
  const { access } = target;
  return deps.lock.run(`${target.plural}/${access.namespace}/${target.key}`, async () => {
    const current = await currentFor(target, ifMatch);
    const { subject, email } = access.principal;
    const annotations = {
      ...current.metadata.annotations,
      [DELETED_BY]: subject,
      [DELETED_BY_EMAIL]: email ?? '',
    };
    let marked: CustomResource | null = null;
    try {
      marked = await deps.resources.update(target.plural, {
        ...current,
        metadata: { ...current.metadata, annotations },
      });
      await deps.resources.delete(target.plural, marked);
    } catch (error) {
      // the mark must not name this caller as the deleter of whatever deletes it later
      if (marked) await unmark(deps, target.plural, marked);
      if (error instanceof ResourceRefused && error.reason === 'Conflict')
        throw new Problem(409, 'conflict', 'It changed meanwhile; read it again');
      refusedWrite(error, target.flatFieldOf);
    }
  });
}

/** Creates a resource with the caller as its actor; 409 `duplicate` when the name is taken. */
export async function createWithActor(
  deps: WriteDeps,
  target: Omit<WriteTarget, 'find'>,
  name: string,
  requested: JsonObject,
): Promise<CustomResource> {
  const { subject, email } = target.access.principal;
  const spec = withSchemaDefaults(target.resourceKind, requested);
  try {
    return await deps.resources.create(target.plural, target.access.namespace, {
      metadata: { name, annotations: managementActorAnnotations(subject, email, spec) },
      spec,
    });
  } catch (error) {
    if (error instanceof ResourceRefused && error.reason === 'AlreadyExists')
      throw new Problem(409, 'duplicate-key', `A ${target.kind} with this key exists`, target.key);
    return refusedWrite(error, target.flatFieldOf);
  }
}
